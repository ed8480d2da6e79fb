// gwctl test: route tests against the compiled config, with route coverage (man gwctl-test).
#include <cmath>
#include <cstdlib>
#include <filesystem>

#include <fmt/format.h>

#include "common.hpp"
#include "gwctl/route_test.hpp"

namespace gwctl::cli {

namespace {

struct TestArgs {
  std::vector<std::string> files;
  std::string env;
  std::optional<double> fail_under;
  std::string format = "text";
  std::string output;
};

// The test files: those named on the command line (read from disk, relative to the current
// directory), else every *.yaml of the project's tests folder. Nullopt (printed) when a file
// cannot be read or parsed.
std::optional<std::vector<RouteTestFile>> read_tests(const GlobalOptions& global, const TestArgs& args,
                                                     LoadedProject& loaded) {
  Project& project = loaded.project;
  Diagnostics diags;
  std::vector<RouteTestFile> files;
  bool usable = true;
  if (!args.files.empty()) {
    for (const std::string& path : args.files) {
      std::filesystem::path p(path);
      if (!p.has_filename()) p = p.parent_path();  // "dir/": name the folder in the error
      DiskReader reader(p.has_parent_path() ? p.parent_path() : std::filesystem::path("."));
      std::size_t first = project.sources.size();
      auto file = load_route_tests(reader, p.filename().string(), project.sources, diags);
      if (project.sources.size() > first) project.sources.rename(static_cast<std::uint32_t>(first), path);
      if (file) files.push_back(std::move(*file));
      usable = usable && file.has_value();
    }
  } else {
    const std::string& dir = project.settings.tests_dir;
    auto names = list_route_test_files(*loaded.reader, dir);
    if (!names || names->empty()) {
      error(fmt::format("no route tests: {} has no {}/*.yaml (set layout.tests in gwctl.yaml, or name files)",
                        loaded.reader->describe(), dir));
      return std::nullopt;
    }
    for (const std::string& path : *names) {
      auto file = load_route_tests(*loaded.reader, path, project.sources, diags);
      if (file) files.push_back(std::move(*file));
      usable = usable && file.has_value();
    }
  }
  std::string text = render_diagnostics(diags, project.sources, RenderOptions{use_color(global, 2)});
  if (!text.empty()) fmt::print(stderr, "{}", text);
  if (!usable || diags.has_errors()) return std::nullopt;
  return files;
}

int run_test(const GlobalOptions& global, const TestArgs& args) {
  auto loaded = load(global);
  if (!loaded) return failure;
  Project& project = loaded->project;
  if (loaded->diags.has_errors()) {
    fmt::print(stderr, "{}", render_diagnostics(loaded->diags, project.sources, RenderOptions{use_color(global, 2)}));
    return failure;
  }
  if (!args.env.empty() && !check_env(project, args.env)) return failure;
  auto files = read_tests(global, args, *loaded);
  if (!files) return failure;

  RouteTestOptions options;
  if (!args.env.empty()) options.env = args.env;
  Diagnostics diags;
  TestReport report = run_route_tests(project, *files, options, diags);
  if (diags.has_errors()) {
    fmt::print(stderr, "{}", render_diagnostics(diags, project.sources, RenderOptions{use_color(global, 2)}));
    fmt::print(stderr, "gwctl: error: the route tests could not run\n");
    exit_now(failure);
  }

  TestRenderOptions render;
  render.fail_under = args.fail_under;
  std::string text;
  if (args.format == "json") {
    text = render_tests_json(report, project.sources, render).dump(2) + "\n";
  } else if (args.format == "junit") {
    text = render_tests_junit(report, project.sources);
  } else {
    render.color = (args.output.empty() || args.output == "-") && use_color(global, 1);
    text = render_tests_text(report, project.sources, render);
  }
  if (!write_output(args.output, text)) exit_now(failure);
  bool under = args.fail_under && report.coverage.percent() < *args.fail_under;
  exit_now(report.failed() > 0 || under ? gate : ok);
}

}  // namespace

Command register_test(CLI::App& app, const GlobalOptions& global) {
  auto args = std::make_shared<TestArgs>();
  CLI::App* sub = app.add_subcommand("test", "Run route tests against the compiled config, with route coverage");
  sub->add_option("files", args->files, "Test files (default: every *.yaml in the tests folder)")->type_name("FILE");
  sub->add_option("--env", args->env, "Only this environment")->type_name("ENV");
  sub->add_option("--fail-under", args->fail_under, "Exit 1 when branch coverage is under PCT percent")
      ->type_name("PCT")
      ->check(CLI::Range(0.0, 100.0))
      // Range lets NaN through (every comparison with it is false), and NaN would never trip.
      ->check(CLI::Validator(
          [](std::string& value) {
            return std::isnan(std::strtod(value.c_str(), nullptr))
                       ? "PCT must be a number from 0 to 100, not '" + value + "'"
                       : std::string();
          },
          "", "not NaN"));
  sub->add_option("--format", args->format, "Output format: text, json or junit")
      ->check(CLI::IsMember({"text", "json", "junit"}));
  sub->add_option("-o,--output", args->output, "Write the report to FILE (atomically) instead of stdout")
      ->type_name("FILE");
  return {sub, [&global, args] { return run_test(global, *args); }};
}

}  // namespace gwctl::cli
