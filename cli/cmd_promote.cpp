// gwctl promote: an artifact taken to the next environment, compiled from the artifact's own
// commit (not the work tree), after the parity check; the result records `promoted_from`.
#include <filesystem>

#include <fmt/format.h>

#include "common.hpp"
#include "git_sources.hpp"
#include "gwctl/artifact.hpp"
#include "gwctl/promote.hpp"
#include "gwctl/signing.hpp"

namespace gwctl::cli {

namespace {

namespace fs = std::filesystem;

struct PromoteArgs {
  std::string artifact;
  std::string to;
  std::string output;
  bool force = false;
};

void refuse(const std::string& artifact, const Refusal& r) {
  fmt::print(stderr, "gwctl: error: cannot promote '{}': {}\n", artifact, r.message);
  if (!r.hint.empty()) fmt::print(stderr, "  hint: {}\n", r.hint);
}

std::string where(const Project& project, const Drift::Value& v) {
  if (!v.span.valid()) return "";
  return fmt::format(" ({}:{}:{})", project.sources.file(v.span.file).path, v.span.line, v.span.column);
}

int run_promote(const GlobalOptions& global, const PromoteArgs& args) {
  auto text = read_input(args.artifact);
  if (!text) return failure;
  ArtifactCheck checked = check_artifact(*text);
  if (checked.status == ArtifactCheck::Status::digest_mismatch) {
    refuse(args.artifact, {checked.message, "promote the artifact 'gwctl compile' wrote, unchanged"});
    return gate;
  }
  if (!checked.ok()) {
    error(fmt::format("'{}' is not a gwctl artifact: {}", args.artifact, checked.message));
    return failure;
  }
  const nlohmann::json& source = checked.artifact;
  if (auto r = check_promotable(source)) {
    refuse(args.artifact, *r);
    return gate;
  }
  const std::string from = source["environment"].get<std::string>();
  const std::string commit = source["source"]["commit"].get<std::string>();

  auto repo = GitRepository::open(global.root);
  if (!repo) {
    error(fmt::format("{}\n  hint: promote reads commit {} from the Git repository of the config root (-C)",
                      repo.error().message, commit.substr(0, 12)));
    return failure;
  }
  auto base = load_base(**repo, commit, std::nullopt, true);
  if (!base) return failure;
  const Project& project = base->loaded.project;
  if (!check_env(project, args.to)) return failure;

  Pipeline pipeline(project);
  Promotion p = promote(pipeline, base->loaded.diags, source, args.to, args.force);
  switch (p.outcome) {
    case Promotion::Outcome::refused:
      refuse(args.artifact, p.refusal);
      return gate;
    case Promotion::Outcome::errors: {
      print_diagnostics(global, p.diags, project.sources);
      if (std::any_of(p.diags.all().begin(), p.diags.all().end(), unreadable_input)) return failure;
      std::size_t n = p.diags.error_count();
      fmt::print(stderr, "gwctl: no artifact written: {} error{} in environment '{}' at commit {}\n", n,
                 n == 1 ? "" : "s", p.env, base->commit.short_sha());
      return gate;
    }
    case Promotion::Outcome::drift: {
      fmt::print(stderr,
                 "gwctl: error: cannot promote '{}' to '{}': {} value{} differ{} outside parity.may_differ at "
                 "commit {}:\n",
                 from, args.to, p.drift.size(), p.drift.size() == 1 ? "" : "s", p.drift.size() == 1 ? "s" : "",
                 base->commit.short_sha());
      for (const auto& d : p.drift) {
        fmt::print(stderr, "  {}\n", d.where);
        for (const auto& v : d.values) fmt::print(stderr, "    {}: {}{}\n", v.env, v.text, where(project, v));
      }
      fmt::print(stderr,
                 "  hint: set these in the base layer for every environment, use a flag overlay, or add the paths "
                 "to parity.may_differ in gwctl.yaml; then commit and compile '{}' again\n",
                 from);
      fmt::print(stderr, "gwctl: no artifact written\n");
      return gate;
    }
    case Promotion::Outcome::promoted:
      break;
  }

  std::string output = args.output;
  if (output.empty()) output = (fs::path(args.artifact).parent_path() / (args.to + ".json")).string();
  std::error_code ec;
  if (output != "-" && fs::equivalent(output, args.artifact, ec)) {
    error(fmt::format("'{}' is the source artifact; write the '{}' artifact elsewhere with -o FILE", output, args.to));
    return failure;
  }
  if (!write_output(output, p.text)) return failure;
  fmt::print(stderr, "gwctl: promoted '{}' ({}) to '{}' at commit {}{}: {} ({})\n", from,
             source["digest"].get<std::string>().substr(0, 19), args.to, base->commit.short_sha(),
             p.forced ? ", forced past the promotion order" : "", output == "-" ? "standard output" : output,
             p.artifact["digest"].get<std::string>().substr(0, 19));
  return ok;
}

}  // namespace

Command register_promote(CLI::App& app, const GlobalOptions& global) {
  auto args = std::make_shared<PromoteArgs>();
  CLI::App* sub = app.add_subcommand(
      "promote", "Compile an artifact's own commit for the next environment, after the parity check");
  sub->add_option("artifact", args->artifact, "The artifact to promote (written by gwctl compile or promote)")
      ->required()
      ->type_name("ARTIFACT");
  sub->add_option("--to", args->to, "Target environment: the one after the artifact's in gwctl.yaml")
      ->required()
      ->type_name("ENV");
  sub->add_option("-o,--output", args->output,
                  "Write the target artifact to FILE atomically (default: ENV.json next to ARTIFACT; - for stdout)")
      ->type_name("FILE");
  sub->add_flag("--force", args->force,
                "Allow skipping environments of the promotion order (recorded as promoted_from.forced)");
  return {sub, [&global, args] { return run_promote(global, *args); }};
}

}  // namespace gwctl::cli
