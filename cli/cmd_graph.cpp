// gwctl graph: one environment's compiled config as Graphviz DOT (routes → models →
// deployments → providers); like compile, nothing is drawn from a config with errors.
#include <fmt/format.h>

#include "common.hpp"
#include "gwctl/graph.hpp"

namespace gwctl::cli {

namespace {

struct GraphArgs {
  std::string env;
  std::vector<std::string> flags;
  std::string output;
};

int run_graph(const GlobalOptions& global, const GraphArgs& args) {
  VariantRun run = run_variant(global, args.env, args.flags, Stage::emit);
  if (!run.ok || run.result.artifact.is_null()) {
    if (run.exit == gate) {
      std::size_t n = run.result.diags.error_count();
      fmt::print(stderr, "gwctl: no graph written: {} error{} in environment '{}'\n", n, n == 1 ? "" : "s", args.env);
    }
    return run.ok ? gate : run.exit;
  }
  std::string dot = render_dot(run.result.artifact["config"], args.env, run.result.variant.flags);
  exit_now(write_output(args.output, dot) ? ok : failure);
}

}  // namespace

Command register_graph(CLI::App& app, const GlobalOptions& global) {
  auto args = std::make_shared<GraphArgs>();
  CLI::App* sub = app.add_subcommand("graph",
                                     "Draw one environment as Graphviz DOT: routes, models, deployments, "
                                     "providers");
  sub->add_option("--env", args->env, "Environment to draw")->required()->type_name("ENV");
  sub->add_option("--flag", args->flags, "Turn a flag on (NAME) or off (NAME=false) (repeatable)")->type_name("FLAG");
  sub->add_option("-o,--output", args->output, "Write the DOT text to FILE atomically (default: stdout)")
      ->type_name("FILE");
  return {sub, [&global, args] { return run_graph(global, *args); }};
}

}  // namespace gwctl::cli
