// Project diff: the two pipelines of `gwctl diff`. Takes a base and a head Project (read from
// any FileReader: a commit, the index, the work tree), compiles each environment on both sides
// with its configured flags, and diffs the GatewayModels (semantic_diff.hpp). An environment
// whose files are byte-for-byte the same on both sides is not compiled: same inputs give the
// same artifact.
#pragma once

#include <set>
#include <string>
#include <utility>
#include <vector>

#include "gwctl/diagnostic.hpp"
#include "gwctl/project.hpp"
#include "gwctl/semantic_diff.hpp"

namespace gwctl {

struct ProjectDiffOptions {
  std::vector<std::string> envs;  // empty: every environment of either side
  // Compare merged configs instead of compiled models: works on configs with errors, at the
  // price of defaults and shorthands showing as changes. Used to scope lint to changes.
  bool merged_only = false;
};

struct ProjectDiff {
  DiffReport report;
  // Problems that stopped an environment from compiling, per side, each reported once.
  Diagnostics base_diags;
  Diagnostics head_diags;
  bool base_failed = false;  // some environment of the base has errors
  bool head_failed = false;
  bool unreadable = false;  // an input could not be read (GW113): the diff is not complete
};

ProjectDiff diff_projects(const Project& base, const Diagnostics& base_load, const Project& head,
                          const Diagnostics& head_load, const ProjectDiffOptions& options);

// The entities a report changes, as (kind, name), over every environment.
std::set<std::pair<std::string, std::string>> changed_entities(const DiffReport& report);

}  // namespace gwctl
