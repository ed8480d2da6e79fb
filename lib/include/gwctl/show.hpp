// Show: the effective merged config as YAML or JSON, optionally with each value's provenance.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "gwctl/config_tree.hpp"
#include "gwctl/schema.hpp"
#include "gwctl/source.hpp"

namespace gwctl {

// The tree with every literal in a secret-bearing field (a mistake lint reports as GW111)
// replaced by a mask, so that `show` never prints a credential. References stay as written.
NodePtr redact_secret_literals(const NodePtr& root, const Schema& schema);

// Block-style YAML. With provenance, every value carries a `# file:line:col` comment, and
// values an overlay changed also say what they replaced.
std::string show_yaml(const Node& root, const SourceSet& sources, bool provenance);

// {"format_version": 1, "config": …} and, with provenance, "provenance": {pointer: "file:line:col"}.
nlohmann::json show_json(const Node& root, const SourceSet& sources, bool provenance);

}  // namespace gwctl
