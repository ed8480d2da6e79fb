// Lint scope: `gwctl lint --changed-since REV` keeps the findings about what changed since REV.
//
// Lint still computes every finding (a change can break an entity it does not touch, and that
// entity's finding then points at the changed one); this filter only decides what is reported.
// What changed: the entities whose merged config differs between the two projects in some
// environment (merged, not compiled, so that a config with errors can still be scoped), and
// the files whose bytes differ.
#pragma once

#include <set>
#include <string>
#include <utility>
#include <vector>

#include "gwctl/lint.hpp"
#include "gwctl/project.hpp"

namespace gwctl {

struct ChangeScope {
  std::set<std::pair<std::string, std::string>> entities;  // (kind, name): ("route", "chat")
  std::set<std::string> files;                             // added or modified, relative to the root
};

ChangeScope change_scope(const Project& base, const Diagnostics& base_load, const Project& head,
                         const Diagnostics& head_load);

// The findings of `head` that fall in `scope`: a finding with a config path counts for the
// entity it points into; one without (a parse error, a secret in a comment) for its file; one
// with neither is kept.
std::vector<Finding> findings_in_scope(const Project& head, std::vector<Finding> findings, const ChangeScope& scope);

}  // namespace gwctl
