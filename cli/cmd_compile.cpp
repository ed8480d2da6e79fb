// gwctl compile: one environment's artifact, written atomically, never from a config with errors.
#include <fmt/format.h>

#include "common.hpp"
#include "gwctl/artifact.hpp"

namespace gwctl::cli {

namespace {

struct CompileArgs {
  std::string env;
  std::vector<std::string> flags;
  std::string output;
  std::string ref;
};

int run_compile(const GlobalOptions& global, const CompileArgs& args) {
  SourceSpec source;
  source.record_git = true;
  if (!args.ref.empty()) source = {SourceSpec::Kind::revision, args.ref};
  VariantRun run = run_variant(global, args.env, args.flags, Stage::emit, source);
  if (!run.ok || run.result.artifact.is_null()) {
    if (run.exit == gate) {
      std::size_t n = run.result.diags.error_count();
      fmt::print(stderr, "gwctl: no artifact written: {} error{} in environment '{}'\n", n, n == 1 ? "" : "s",
                 args.env);
    }
    return run.ok ? gate : run.exit;
  }
  exit_now(write_output(args.output, run.result.artifact_text) ? ok : failure);
}

}  // namespace

Command register_compile(CLI::App& app, const GlobalOptions& global) {
  auto args = std::make_shared<CompileArgs>();
  CLI::App* sub = app.add_subcommand("compile", "Compile one environment into its artifact");
  sub->add_option("--env", args->env, "Environment to compile")->required()->type_name("ENV");
  sub->add_option("--flag", args->flags, "Turn a flag on (NAME) or off (NAME=false) (repeatable)")->type_name("FLAG");
  sub->add_option("-o,--output", args->output, "Write the artifact to FILE atomically (default: stdout)")
      ->type_name("FILE");
  sub->add_option("--ref", args->ref,
                  "Compile the config as committed in revision REV (branch, tag, HEAD~2, SHA), read from Git")
      ->type_name("REV")
      ->check(revision_given());
  return {sub, [&global, args] { return run_compile(global, *args); }};
}

}  // namespace gwctl::cli
