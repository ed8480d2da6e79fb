#include "gwctl/promote.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "gwctl/artifact.hpp"
#include "gwctl/semantic_diff.hpp"

namespace gwctl {

using json = nlohmann::json;

namespace {

std::string short_sha(const std::string& sha) {
  return sha.substr(0, 12);
}

// One environment compiled as configured at the commit, with the load diagnostics that concern
// it; errors end the promotion.
PipelineResult compile_env(const Pipeline& pipeline, const Diagnostics& load_diags, const std::string& env) {
  PipelineResult r = pipeline.run(env, {}, Stage::emit);
  Diagnostics diags = load_diagnostics_for(pipeline.project(), load_diags, r.variant);
  diags.append(r.diags);
  r.diags = std::move(diags);
  return r;
}

std::vector<std::string> sorted(std::vector<std::string> v) {
  std::sort(v.begin(), v.end());
  return v;
}

// What differs between the artifact and the commit's own compile, for the refusal message.
std::string what_differs(const json& artifact, const json& rebuilt) {
  std::vector<std::string> parts;
  auto files = changed_files(source_files_of(artifact), source_files_of(rebuilt));
  if (!files.empty()) {
    std::vector<std::string> names;
    for (const auto& f : files) names.push_back(f.path);
    parts.push_back(fmt::format("its source files differ from the commit's ({})", fmt::join(names, ", ")));
  }
  if (artifact["config"] != rebuilt["config"]) parts.push_back("its config differs from the commit's compile");
  if (parts.empty()) parts.push_back("its envelope differs from the commit's compile");
  return fmt::format("{}", fmt::join(parts, "; "));
}

}  // namespace

std::optional<Refusal> check_promotable(const json& artifact) {
  const json& source = artifact["source"];
  std::string env = artifact.value("environment", "");
  if (!source["commit"].is_string()) {
    return Refusal{
        fmt::format("the '{}' artifact was not compiled from a Git commit (source.commit is null), so its "
                    "config cannot be read back from history",
                    env),
        fmt::format("commit the config and compile it again ('gwctl compile --env {}' in a clean work tree, or "
                    "'--ref REV'), then promote that artifact",
                    env)};
  }
  if (!source["dirty"].is_boolean() || source["dirty"].get<bool>()) {
    return Refusal{fmt::format("the '{}' artifact was compiled from uncommitted changes (source.dirty is {}): "
                               "commit {} does not hold what it was compiled from",
                               env, source["dirty"].dump(), short_sha(source["commit"].get<std::string>())),
                   fmt::format("commit the changes, compile '{}' again from the clean work tree (or with --ref), "
                               "and promote that artifact",
                               env)};
  }
  return std::nullopt;
}

std::optional<Refusal> check_order(const std::vector<std::string>& environments, const std::string& from,
                                   const std::string& to, bool force, bool* forced) {
  if (forced) *forced = false;
  auto at = [&](const std::string& e) { return std::find(environments.begin(), environments.end(), e); };
  auto f = at(from), t = at(to);
  std::string order = fmt::format("{}", fmt::join(environments, " → "));
  if (f == environments.end()) {
    return Refusal{
        fmt::format("the artifact's environment '{}' is not in the promotion order of its commit ({})", from, order),
        "list it in 'environments' in gwctl.yaml"};
  }
  if (t == environments.end()) {
    return Refusal{fmt::format("environment '{}' is not in the promotion order ({})", to, order),
                   "list it in 'environments' in gwctl.yaml"};
  }
  if (t == f) {
    return Refusal{fmt::format("the artifact is already for '{}'", to), "promote it to the environment after it"};
  }
  if (t < f) {
    return Refusal{fmt::format("'{}' comes before '{}' in the promotion order ({}); promotion only moves forward, "
                               "even with --force",
                               to, from, order),
                   fmt::format("to roll '{}' back, deploy an earlier '{}' artifact, or compile the revision you "
                               "want with 'gwctl compile --env {} --ref REV'",
                               to, to, to)};
  }
  if (t != f + 1) {
    if (force) {
      if (forced) *forced = true;
      return std::nullopt;
    }
    std::vector<std::string> skipped(f + 1, t);
    return Refusal{fmt::format("'{}' is not the next environment after '{}' in the promotion order ({}): the next "
                               "is '{}'; this would skip {}",
                               to, from, order, *(f + 1), fmt::join(skipped, ", ")),
                   fmt::format("promote to '{}' first, or pass --force (recorded in the artifact as "
                               "promoted_from.forced)",
                               *(f + 1))};
  }
  return std::nullopt;
}

Promotion promote(const Pipeline& pipeline, const Diagnostics& load_diags, const json& source, const std::string& to,
                  bool force) {
  Promotion p;
  const Project& project = pipeline.project();
  const std::string from = source["environment"].get<std::string>();
  const std::string commit =
      source["source"]["commit"].is_string() ? source["source"]["commit"].get<std::string>() : std::string("(none)");
  auto refuse = [&](Refusal r) {
    p.outcome = Promotion::Outcome::refused;
    p.refusal = std::move(r);
    return p;
  };
  if (auto r = check_order(project.settings.environments, from, to, force, &p.forced)) return refuse(*r);

  // The source as the commit configures it: a command-line --flag override is not promoted.
  Variant configured = pipeline.resolve(from, {}, nullptr);
  std::vector<std::string> flags = source["flags"].get<std::vector<std::string>>();
  if (sorted(configured.flags) != flags) {
    std::vector<std::string> changes;
    for (const auto& f : flags) {
      if (std::find(configured.flags.begin(), configured.flags.end(), f) == configured.flags.end())
        changes.push_back("--flag " + f);
    }
    for (const auto& f : configured.flags) {
      if (std::find(flags.begin(), flags.end(), f) == flags.end()) changes.push_back("--flag " + f + "=false");
    }
    return refuse({fmt::format("the '{}' artifact was compiled with command-line flag overrides ({}); promote "
                               "compiles each environment as its overlay configures it",
                               from, fmt::join(changes, ", ")),
                   fmt::format("set the flags in the '{}' overlay ('flags:'), commit, compile '{}' again and "
                               "promote that artifact",
                               from, from)});
  }

  // An environment that does not compile at the commit ends the promotion with its errors.
  auto compile_or_stop = [&](const std::string& env) -> std::optional<PipelineResult> {
    PipelineResult r = compile_env(pipeline, load_diags, env);
    if (!r.diags.has_errors() && !r.artifact.is_null()) return r;
    p.outcome = Promotion::Outcome::errors;
    p.env = env;
    p.diags = std::move(r.diags);
    return std::nullopt;
  };

  // The commit must reproduce the source artifact exactly; otherwise it is not what it says.
  std::optional<PipelineResult> rebuilt = compile_or_stop(from);
  if (!rebuilt) return p;
  json again = rebuilt->artifact;
  again["promoted_from"] = source["promoted_from"];
  if (artifact_digest(again) != source["digest"].get<std::string>()) {
    return refuse({fmt::format("the '{}' artifact is not what commit {} compiles for '{}': {} (digest {} in the "
                               "artifact, {} from the commit)",
                               from, short_sha(commit), from, what_differs(source, again),
                               source["digest"].get<std::string>(), artifact_digest(again)),
                   "compile it again from that commit ('gwctl compile --env " + from + " --ref " + short_sha(commit) +
                       "') with this gwctl, and promote that artifact"});
  }

  std::optional<PipelineResult> target = compile_or_stop(to);
  if (!target) return p;

  p.drift = parity_drift(pipeline, {from, to});
  if (!p.drift.empty()) {
    p.outcome = Promotion::Outcome::drift;
    return p;
  }

  json a = std::move(target->artifact);
  json promoted_from = {{"environment", from}, {"digest", source["digest"]}};
  if (p.forced) promoted_from["forced"] = true;
  a["promoted_from"] = std::move(promoted_from);
  a["signature"] = nullptr;
  a["digest"] = artifact_digest(a);
  p.text = canonical_json(a);
  p.artifact = std::move(a);
  p.outcome = Promotion::Outcome::promoted;
  return p;
}

}  // namespace gwctl
