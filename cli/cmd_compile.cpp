// gwctl compile: one environment's artifact, written atomically, never from a config with errors.
#include <algorithm>

#include <fmt/format.h>

#include "common.hpp"
#include "gwctl/artifact.hpp"

namespace gwctl::cli {

namespace {

struct CompileArgs {
  std::string env;
  std::vector<std::string> flags;
  std::string output;
};

int run_compile(const GlobalOptions& global, const CompileArgs& args) {
  auto loaded = load(global);
  if (!loaded) return failure;
  const Project& project = loaded->project;
  if (!check_env(project, args.env)) return failure;
  auto overrides = parse_flags(project, args.flags);
  if (!overrides) return failure;

  Pipeline pipeline(project);
  PipelineResult r = pipeline.run(args.env, *overrides, Stage::emit);
  Diagnostics diags = relevant(project, loaded->diags, r.variant);
  diags.append(r.diags);
  RenderOptions render{use_color(global, 2)};
  std::string text = render_diagnostics(diags, project.sources, render);
  if (!text.empty()) fmt::print(stderr, "{}", text);
  bool unreadable = std::any_of(diags.all().begin(), diags.all().end(), unreadable_input);
  if (diags.has_errors() || r.artifact.is_null()) {
    fmt::print(stderr, "gwctl: no artifact written: {} error{} in environment '{}'\n", diags.error_count(),
               diags.error_count() == 1 ? "" : "s", args.env);
    return unreadable ? failure : gate;
  }
  if (!write_output(args.output, canonical_json(r.artifact))) return failure;
  return ok;
}

}  // namespace

Command register_compile(CLI::App& app, const GlobalOptions& global) {
  auto args = std::make_shared<CompileArgs>();
  CLI::App* sub = app.add_subcommand("compile", "Compile one environment into its artifact");
  sub->add_option("--env", args->env, "Environment to compile")->required()->type_name("ENV");
  sub->add_option("--flag", args->flags, "Turn a flag on (NAME) or off (NAME=false) (repeatable)")->type_name("FLAG");
  sub->add_option("-o,--output", args->output, "Write the artifact to FILE atomically (default: stdout)")
      ->type_name("FILE");
  return {sub, [&global, args] { return run_compile(global, *args); }};
}

}  // namespace gwctl::cli
