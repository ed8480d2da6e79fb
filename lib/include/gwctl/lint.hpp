// Lint: runs the pipeline to validation for every environment with its configured flags and
// with each flag overlay on top, and folds the diagnostics into Findings: one per problem,
// saying in which environments it arises and which flags it needs.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "gwctl/diagnostic.hpp"
#include "gwctl/pipeline.hpp"
#include "gwctl/project.hpp"
#include "gwctl/rules.hpp"

namespace gwctl {

struct Finding {
  Diagnostic diag;
  std::vector<std::string> envs;   // where it arises
  std::vector<std::string> flags;  // flags that are on wherever it arises
  std::string layer;               // layer of the file it points at
  std::string fingerprint;         // stable across line moves
  std::string entity;              // where in the config, by name: "routes[chat].cors.origins[0]"
};

// A baseline: findings accepted for now, keyed by (file, entity, rule, hash of the offending
// value), never by line, so it survives edits elsewhere; a changed value (a rotated secret, a
// new origin) is a new finding.
struct BaselineEntry {
  std::string rule, file, entity, value;  // value: hash of the offending source text
  friend auto operator<=>(const BaselineEntry&, const BaselineEntry&) = default;
};
struct Baseline {
  std::vector<BaselineEntry> entries;
};

struct LintOptions {
  std::vector<std::string> envs;        // empty: every environment
  std::vector<FlagOverride> overrides;  // applied to every variant
  bool flag_matrix = true;              // also each flag overlay on top of each environment
  // Today as YYYY-MM-DD, for the `until=` of suppressions; the CLI passes the UTC date, tests
  // a fixed one. Empty: no suppression expires.
  std::string today;
  const Baseline* baseline = nullptr;  // findings it lists are not reported; stale entries are GW118
  bool parity = true;                  // compare the environments (GW7xx)
};

struct LintResult {
  std::vector<Finding> findings;      // sorted by file, line, column, rule
  std::vector<Variant> variants;      // what was checked
  std::size_t suppressed = 0;         // findings silenced by a valid `# gwctl:ignore`
  std::size_t baselined = 0;          // findings the baseline accepts
  std::vector<Finding> accepted;      // those findings (a rewritten baseline keeps them)
  std::vector<RuleDoc> custom_rules;  // documentation of the team's rules, for reports
};

// The documentation of a rule id: a built-in rule, or one of `result`'s custom rules.
const RuleDoc* find_rule_doc(const LintResult& result, std::string_view id);

// The baseline that accepts every finding of `result`, including those already accepted.
Baseline make_baseline(const LintResult& result, const SourceSet& sources);
nlohmann::json baseline_to_json(const Baseline& baseline);
// Parses a baseline file; on a malformed one returns nullopt with `error` set.
std::optional<Baseline> parse_baseline(std::string_view text, std::string& error);

// `project_diags` are the diagnostics of loading the project (they arise everywhere the file
// is used).
LintResult lint(const Project& project, const Diagnostics& project_diags, const LintOptions& options);

// Counts at each severity.
struct Tally {
  std::size_t errors = 0, warnings = 0, infos = 0;
};
Tally tally(const std::vector<Finding>& findings);

}  // namespace gwctl
