// Rules: the documentation of every rule id (rules/GW*.yaml, compiled in), for `gwctl explain`
// and for the rule metadata of machine reports; and the declarative rules among them.
//
// A declarative rule file adds `select` (a JSON-pointer glob: `*` matches one segment) and
// `schema` (a JSON Schema each selected node must satisfy), optionally `target` (`model`, the
// effective config with defaults filled and durations in milliseconds, the default; or
// `config`, the merged config as written) and `message` (`{path}` is replaced by where the
// node is, e.g. "routes[chat].cache"). Teams add their own in the folders `rules.paths` of
// gwctl.yaml names (default `rules/`), or with `gwctl lint --rules DIR`.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "gwctl/diagnostic.hpp"
#include "gwctl/source.hpp"

namespace gwctl {

class Schema;

struct RuleDoc {
  std::string id;  // "GW102", or a team's own id such as "ACME001"
  std::string title;
  std::string category;
  std::string severity;
  std::string rationale;
  std::string fix;
  std::string example;
  std::string fixed;
};

struct DeclarativeRule {
  RuleDoc doc;
  std::string select;  // "/routes/*/cache"
  bool on_model = true;
  std::string message;
  std::shared_ptr<const Schema> schema;
  std::vector<std::pair<std::string, std::string>> patterns;  // (schema pointer of a `pattern`, regex)
};

// Every documented built-in rule, sorted by id.
const std::vector<RuleDoc>& rule_docs();
// The built-in rule with this id (case-insensitive), or nullptr.
const RuleDoc* find_rule_doc(std::string_view id);
// The built-in declarative rules.
const std::vector<DeclarativeRule>& builtin_declarative_rules();

// A rule id a team may use for its own rules: upper-case letters then digits ("ACME001"), not
// starting with "GW" (reserved for gwctl's rules).
bool valid_custom_rule_id(std::string_view id);
// Any rule id: a built-in one or a valid custom one.
bool looks_like_rule_id(std::string_view id);

// Parses one rule file (`file` in `sources`). Mistakes are GW117 diagnostics; returns nullptr
// then. `custom`: a team's file (its id must not be a GW id).
std::shared_ptr<DeclarativeRule> parse_rule_file(const SourceSet& sources, std::uint32_t file, bool custom,
                                                 Diagnostics& diags);

}  // namespace gwctl
