// gwctl show: the effective merged config of one environment, optionally with provenance.
#include <fmt/format.h>

#include "common.hpp"
#include "gwctl/schema.hpp"
#include "gwctl/show.hpp"

namespace gwctl::cli {

namespace {

struct ShowArgs {
  std::string env;
  std::vector<std::string> flags;
  bool provenance = false;
  std::string format = "yaml";
};

int run_show(const GlobalOptions& global, const ShowArgs& args) {
  VariantRun run = run_variant(global, args.env, args.flags, Stage::merge);
  if (!run.ok) return run.exit;
  const SourceSet& sources = run.loaded->project.sources;
  NodePtr shown = redact_secret_literals(run.result.merged.root, Schema::config());
  std::string out = args.format == "json" ? show_json(*shown, sources, args.provenance).dump(2) + "\n"
                                          : show_yaml(*shown, sources, args.provenance);
  exit_now(write_output("", out) ? ok : failure);
}

}  // namespace

Command register_show(CLI::App& app, const GlobalOptions& global) {
  auto args = std::make_shared<ShowArgs>();
  CLI::App* sub = app.add_subcommand("show", "Print the effective merged config of an environment");
  sub->add_option("--env", args->env, "Environment to show")->required()->type_name("ENV");
  sub->add_option("--flag", args->flags, "Turn a flag on (NAME) or off (NAME=false) (repeatable)")->type_name("FLAG");
  sub->add_flag("--provenance", args->provenance, "Annotate every value with the file:line:col that set it");
  sub->add_option("--format", args->format, "Output format: yaml or json")->check(CLI::IsMember({"yaml", "json"}));
  return {sub, [&global, args] { return run_show(global, *args); }};
}

}  // namespace gwctl::cli
