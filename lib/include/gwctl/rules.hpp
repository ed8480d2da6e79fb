// Rules: the documentation of every rule id (rules/GW*.yaml, compiled in), for `gwctl explain`
// and for the rule metadata of machine reports.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace gwctl {

struct RuleDoc {
  std::string id;  // "GW102"
  std::string title;
  std::string category;
  std::string severity;
  std::string rationale;
  std::string fix;
  std::string example;
  std::string fixed;
};

// Every documented rule, sorted by id.
const std::vector<RuleDoc>& rule_docs();
// The rule with this id (case-insensitive), or nullptr.
const RuleDoc* find_rule_doc(std::string_view id);

}  // namespace gwctl
