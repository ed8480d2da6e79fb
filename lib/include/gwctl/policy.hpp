// Policy: the rules beyond the schema (DESIGN.md section 7), run on each variant's merged config
// once it is schema-valid.
//
//   GW2xx references and consistency   GW4xx auth and exposure   GW5xx resilience
//   GW6xx cost and limits              declarative rules (rules/*.yaml and the team's own)
//
// Each rule reads both the merged config as written (positions; what the layers actually set)
// and the effective model (defaults filled, durations in ms, weights in basis points). A finding
// points at the layer line that set the offending value, so an overlay that turns TLS
// verification off is blamed on the overlay. Parity (GW7xx) compares environments and runs in
// the lint driver (parity.hpp).
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include <nlohmann/json.hpp>

#include "gwctl/config_tree.hpp"
#include "gwctl/diagnostic.hpp"
#include "gwctl/rules.hpp"

namespace gwctl {

// What the route-local checks found for each route node, so that variants sharing a route check
// it once. Owned by the pipeline; lint's variants use it from several threads.
class PolicyCache {
 public:
  // The diagnostics stored for `route` (paths relative to it), if any.
  std::optional<std::vector<Diagnostic>> find(const Node* route) const;
  void store(const NodePtr& route, std::vector<Diagnostic> diags);

 private:
  struct Entry {
    NodePtr node;  // keeps the key alive, so its address is not reused
    std::vector<Diagnostic> diags;
  };
  mutable std::mutex mutex_;
  std::unordered_map<const Node*, Entry> routes_;
};

struct PolicyContext {
  std::string env;
  bool production = false;                // the last environment of the promotion order
  const Node* config = nullptr;           // merged and interpolated
  const nlohmann::json* model = nullptr;  // the GatewayModel's config
  const Node* base = nullptr;             // the base layer alone (merged, not interpolated); may be null
  const std::vector<std::shared_ptr<DeclarativeRule>>* custom_rules = nullptr;
  PolicyCache* cache = nullptr;  // optional
  bool parallel = false;         // split the checks over two threads (a single compile; lint runs variants in parallel)
};

void check_policy(const PolicyContext& context, Diagnostics& diags);

// A route's worst case over one day under its limits and budget, for `gwctl show`.
struct RouteSpend {
  std::string route;
  double usd_per_day = 0;  // when bounded
  bool bounded = false;
  bool priced = false;   // at least one of its models has pricing
  std::string bound_by;  // what caps it: "budget", "token limit", "request limit"
};
std::vector<RouteSpend> worst_case_spend(const nlohmann::json& model);

// Severity overrides from gwctl.yaml: `off` drops the diagnostic. Structure rules (GW1xx) are
// never overridden.
struct SeverityOverrides {
  std::map<std::string, std::string> all;                            // rule → severity|off
  std::map<std::string, std::map<std::string, std::string>> by_env;  // env → rule → severity|off
  // The override for a rule in an environment, or empty.
  std::string lookup(const std::string& env, const std::string& rule) const;
};
void apply_severity_overrides(const SeverityOverrides& overrides, const std::string& env, Diagnostics& diags);

// JSON-pointer glob matching: `*` matches one segment; a glob also covers everything below it.
bool pointer_glob_covers(std::string_view glob, std::string_view pointer);

}  // namespace gwctl
