// gwctl: the command-line front of the gwctl library. Each subcommand lives in cmd_<name>.cpp.
#include <CLI/CLI.hpp>

#include <fmt/format.h>

#include "common.hpp"
#include "gwctl/version.hpp"

int main(int argc, char** argv) {
  using namespace gwctl::cli;
  CLI::App app{"gwctl: lint, compile and inspect AI gateway configuration kept in Git", "gwctl"};
  app.set_version_flag("--version", std::string(gwctl::version()));
  app.require_subcommand(1);
  // Global options may also follow the subcommand: `gwctl lint -C gateway` (pre-commit hooks
  // append their `args` after the entry).
  app.fallthrough();
  GlobalOptions global;
  app.add_option("-C", global.root, "Config root (default: the current directory)")->type_name("DIR");
  app.add_option("--color", global.color, "Colour: auto, always or never (auto honours NO_COLOR)")
      ->check(CLI::IsMember({"auto", "always", "never"}));

  std::vector<Command> commands = {
      register_lint(app, global),   register_compile(app, global), register_show(app, global),
      register_schema(app, global), register_init(app, global),    register_explain(app, global),
      register_diff(app, global),   register_test(app, global),    register_promote(app, global),
      register_graph(app, global),  register_keygen(app, global),  register_sign(app, global),
      register_verify(app, global)};
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    fmt::print(stderr, "gwctl: error: {}\nRun 'gwctl --help' for usage.\n", e.what());
    return failure;
  }
  try {
    for (auto& c : commands) {
      if (c.app->parsed()) return c.run();
    }
  } catch (const std::exception& e) {
    // A bug, not a user mistake; still a clean exit 2 rather than a crash.
    fmt::print(stderr, "gwctl: internal error: {}\n", e.what());
    return failure;
  }
  return failure;
}
