// Pipeline: the one runner that takes a Project through the stages for one environment.
//
//   layers --merge--> MergedConfig --interpolate--> --validate--> --normalize--> GatewayModel
//          --emit--> artifact
//
// Commands say how far down they go (`Stage`); none of them repeats the sequence. Which flags
// are on is decided here: base + env are merged, the env's `flags:` mapping read, command-line
// overrides applied, then the enabled flag overlays merged in project order.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "gwctl/artifact.hpp"
#include "gwctl/config_tree.hpp"
#include "gwctl/diagnostic.hpp"
#include "gwctl/merge.hpp"
#include "gwctl/normalize.hpp"
#include "gwctl/policy.hpp"
#include "gwctl/project.hpp"
#include "gwctl/validate.hpp"

namespace gwctl {

enum class Stage { merge, validate, emit };

struct FlagOverride {
  std::string name;
  bool on = true;
};

// One environment with the flags applied on top of it, in application order.
struct Variant {
  std::string env;
  std::vector<std::string> flags;
  friend bool operator==(const Variant&, const Variant&) = default;
};

struct PipelineResult {
  Variant variant;
  MergedConfig merged;        // merged and interpolated
  nlohmann::json artifact;    // null unless emitted; its "config" is the GatewayModel
  std::string artifact_text;  // canonical_json(artifact), when emitted
  Diagnostics diags;
};

// Whether a file of `layer` ("project", "base", "env:prod", "flag:x") goes into `variant`.
bool variant_uses(const Variant& variant, std::string_view layer);
// Of the diagnostics from loading `project`, those that concern `variant`: the ones in files it
// uses, and the ones tied to no file.
Diagnostics load_diagnostics_for(const Project& project, const Diagnostics& load_diags, const Variant& variant);

struct PipelineOptions {
  // Run the policy rules (policy.hpp) once the schema holds. Compile and lint do; the semantic
  // diff does not: a risky change must still be shown, not refused.
  bool policy = true;
};

class Pipeline {
 public:
  explicit Pipeline(const Project& project, PipelineOptions options = {});

  PipelineResult run(const std::string& env, const std::vector<FlagOverride>& overrides, Stage stop_after) const;
  // Runs a variant already resolved (its flags in application order).
  PipelineResult run(const Variant& variant, Stage stop_after) const;
  // The flags an environment turns on by itself, after `overrides`.
  Variant resolve(const std::string& env, const std::vector<FlagOverride>& overrides, Diagnostics* diags) const;
  // The files that went into a variant, hashed, for the artifact's `source`.
  SourceInfo source_info(const Variant& variant) const;

  const Project& project() const { return project_; }

 private:
  NodePtr merge_env(const std::string& env, Diagnostics& diags) const;

  const Project& project_;
  PipelineOptions options_;
  NodePtr base_;  // the base layer merged once
  Diagnostics base_diags_;
  mutable ValidationCache cache_;     // entities shared between runs are validated once
  mutable PolicyCache policy_cache_;  // and their route-local policy checks run once
};

}  // namespace gwctl
