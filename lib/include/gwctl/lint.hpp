// Lint: runs the pipeline to validation for every environment with its configured flags and
// with each flag overlay on top, and folds the diagnostics into Findings: one per problem,
// saying in which environments it arises and which flags it needs.
#pragma once

#include <string>
#include <vector>

#include "gwctl/diagnostic.hpp"
#include "gwctl/pipeline.hpp"
#include "gwctl/project.hpp"

namespace gwctl {

struct Finding {
  Diagnostic diag;
  std::vector<std::string> envs;   // where it arises
  std::vector<std::string> flags;  // flags that are on wherever it arises
  std::string layer;               // layer of the file it points at
  std::string fingerprint;         // stable across line moves
};

struct LintOptions {
  std::vector<std::string> envs;        // empty: every environment
  std::vector<FlagOverride> overrides;  // applied to every variant
  bool flag_matrix = true;              // also each flag overlay on top of each environment
  // Today as YYYY-MM-DD, for the `until=` of suppressions; the CLI passes the UTC date, tests
  // a fixed one. Empty: no suppression expires.
  std::string today;
};

struct LintResult {
  std::vector<Finding> findings;  // sorted by file, line, column, rule
  std::vector<Variant> variants;  // what was checked
  std::size_t suppressed = 0;     // findings silenced by a valid `# gwctl:ignore`
};

// `project_diags` are the diagnostics of loading the project (they arise everywhere the file
// is used).
LintResult lint(const Project& project, const Diagnostics& project_diags, const LintOptions& options);

// Counts at each severity.
struct Tally {
  std::size_t errors = 0, warnings = 0, infos = 0;
};
Tally tally(const std::vector<Finding>& findings);

}  // namespace gwctl
