// gwctl schema: the JSON Schemas gwctl validates with, for editors and other tools.
#include <fmt/format.h>

#include "common.hpp"
#include "gwctl/schema.hpp"

namespace gwctl::cli {

Command register_schema(CLI::App& app, const GlobalOptions&) {
  auto which = std::make_shared<std::string>("config");
  CLI::App* sub = app.add_subcommand("schema", "Print a JSON Schema: config (default), artifact, project or tests");
  sub->add_option("kind", *which, "config, artifact, project or tests (route test files)")
      ->check(CLI::IsMember({"config", "artifact", "project", "tests"}));
  return {sub, [which] {
            std::string_view text = embedded_file("schema/" + *which);
            return write_output("", std::string(text)) ? ok : failure;
          }};
}

}  // namespace gwctl::cli
