// Promote: an environment's artifact taken to the next environment in promotion order, compiled
// from the same commit (DESIGN.md section 5, `gwctl promote`).
//
// The caller reads the source artifact (check_artifact in signing.hpp), refuses one that did not come from a
// clean commit (check_promotable), and loads the Project as that commit has it. promote() then
// checks, in order: the environments' order, that the commit reproduces the source artifact
// byte for byte, that the target environment compiles, and that the two environments do not
// drift outside parity.may_differ; only then does it build the target artifact, with
// `promoted_from` naming the source. Nothing here reads files or Git.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "gwctl/diagnostic.hpp"
#include "gwctl/parity.hpp"
#include "gwctl/pipeline.hpp"

namespace gwctl {

// Why a promotion was refused, for people: the message and what to do about it.
struct Refusal {
  std::string message;
  std::string hint;
};

// A verified artifact that cannot be promoted: compiled outside Git (no commit) or from
// uncommitted changes (dirty). Such an artifact cannot be rebuilt from history.
std::optional<Refusal> check_promotable(const nlohmann::json& artifact);

// `to` must come right after `from` in `environments` (promotion order). Skipping ahead needs
// `force`; going backwards or staying put is refused even then. Sets `*forced` when a skip is
// allowed by `force`.
std::optional<Refusal> check_order(const std::vector<std::string>& environments, const std::string& from,
                                   const std::string& to, bool force, bool* forced);

struct Promotion {
  enum class Outcome {
    promoted,  // `artifact` and `text` hold the target artifact
    refused,   // `refusal` says why
    errors,    // `env` does not compile at the commit: `diags`
    drift,     // the environments differ outside parity.may_differ: `drift`
  };
  Outcome outcome = Outcome::refused;
  Refusal refusal;
  std::string env;
  Diagnostics diags;
  std::vector<Drift> drift;
  bool forced = false;
  nlohmann::json artifact;
  std::string text;  // canonical_json(artifact)
};

// Promotes `source` (verified and promotable) to environment `to` with the project at the
// source's commit. `load_diags` are the diagnostics of loading that project: an error in a file
// an environment is compiled from stops the promotion like a pipeline error does.
Promotion promote(const Pipeline& pipeline, const Diagnostics& load_diags, const nlohmann::json& source,
                  const std::string& to, bool force);

}  // namespace gwctl
