// What one policy rule sees: the merged config with positions, the effective model, and a way
// to report at the layer line behind a model value.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include <nlohmann/json.hpp>

#include "gwctl/policy.hpp"

namespace gwctl::policy {

class Checker {
 public:
  Checker(const PolicyContext& context, Diagnostics& out) : context_(context), out_(out) {}

  const Node& config() const { return *context_.config; }
  const nlohmann::json& model() const { return *context_.model; }
  const PolicyContext& context() const { return context_; }

  // The node a pointer names in the merged config, or its nearest ancestor that exists (a
  // value filled in from a default has no position of its own).
  const Node* node_at(std::string_view pointer) const;
  Span span_at(std::string_view pointer) const;
  // "routes[chat].timeouts.total"
  std::string where(std::string_view pointer) const { return describe_path(config(), pointer); }
  // Whether the layers set this value (rather than a default).
  bool written(std::string_view pointer) const { return find_pointer(config(), pointer) != nullptr; }

  // Reports at `pointer` with the rule's documented severity unless `severity` is given.
  Diagnostic& report(std::string_view rule, std::string pointer, std::string message,
                     std::optional<Severity> severity = std::nullopt);

 private:
  const PolicyContext& context_;
  Diagnostics& out_;
};

// Typed reads of the model, tolerant of absent fields.
inline const nlohmann::json* field(const nlohmann::json& j, std::string_view key) {
  if (!j.is_object()) return nullptr;
  auto it = j.find(key);
  return it == j.end() ? nullptr : &*it;
}
inline std::string str(const nlohmann::json& j, std::string_view key, std::string fallback = {}) {
  const auto* f = field(j, key);
  return f && f->is_string() ? f->get<std::string>() : fallback;
}
inline double num(const nlohmann::json& j, std::string_view key, double fallback = 0) {
  const auto* f = field(j, key);
  return f && f->is_number() ? f->get<double>() : fallback;
}
inline bool flag(const nlohmann::json& j, std::string_view key, bool fallback = false) {
  const auto* f = field(j, key);
  return f && f->is_boolean() ? f->get<bool>() : fallback;
}
inline const nlohmann::json& sub(const nlohmann::json& j, std::string_view key) {
  static const nlohmann::json empty = nlohmann::json::object();
  const auto* f = field(j, key);
  return f ? *f : empty;
}
std::vector<std::string> strings(const nlohmann::json& j, std::string_view key);

// Route pointers: "/routes/3".
inline std::string route_ptr(std::size_t i) {
  return "/routes/" + std::to_string(i);
}
inline std::string entity_ptr(std::string_view collection, std::string_view name) {
  return pointer_append(std::string("/") + std::string(collection), name);
}
// A route proxies to models (rather than answering itself with `respond`).
bool proxies(const nlohmann::json& route);
// The models and their fallbacks, with what each alias reaches summarised once: large configs
// chain hundreds of models and route thousands of routes to them.
class ModelGraph {
 public:
  explicit ModelGraph(const nlohmann::json& model);

  // Over an alias and every model its fallbacks reach, transitively.
  struct Reach {
    bool priced = false;
    double input = 0, output = 0;  // the highest prices per million tokens
    double per_request = 0;        // the costliest single request: full context in, max output out
  };
  const Reach& reach(const std::string& alias);
  // The same over a route's models and default.
  Reach route_reach(const nlohmann::json& route);
  // The aliases a route lets clients ask for: its default, then its models (known ones only).
  std::vector<std::string> asked(const nlohmann::json& route) const;
  // Every alias reachable from some route, fallbacks included.
  std::unordered_set<std::string> used_by(const nlohmann::json& routes) const;
  // The longest fallback chain from an alias (cycles cut), at most `cap`.
  std::size_t depth(const std::string& alias, std::size_t cap = 9);

 private:
  const nlohmann::json& models_;
  std::unordered_map<std::string, Reach> reach_;
  std::unordered_map<std::string, std::size_t> depth_;
  std::unordered_set<std::string> visiting_;
};

// Checks that read one route and nothing else: cached per route node across variants.
void check_auth_route(Checker& c, const nlohmann::json& route, std::size_t r);
void check_resilience_route(Checker& c, const nlohmann::json& route, std::size_t r);
void check_cost_route(Checker& c, const nlohmann::json& route, std::size_t r);

void check_references(Checker& c);  // GW2xx
void check_auth(Checker& c);        // GW4xx
void check_resilience(Checker& c);  // GW5xx
void check_cost(Checker& c);        // GW6xx
// A declarative rule over the whole document, or over one route: `route` is the route's
// model JSON at route_ptr(r) (only for rules whose select is route-scoped).
void check_declarative(Checker& c, const DeclarativeRule& rule, const nlohmann::json* route = nullptr,
                       std::size_t r = 0);
// Whether a rule's select stays inside one route (/routes/*/…) of the model.
bool route_scoped(const DeclarativeRule& rule);

}  // namespace gwctl::policy
