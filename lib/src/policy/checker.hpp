// What one policy rule sees: the merged config with positions, the effective model, and a way
// to report at the layer line behind a model value.
#pragma once

#include <optional>
#include <string>
#include <string_view>
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
// The model aliases a route can reach: its `models`, its default, and their fallbacks,
// transitively (known aliases only), in first-reached order.
std::vector<std::string> reachable_models(const nlohmann::json& model, const nlohmann::json& route);

void check_references(Checker& c);  // GW2xx
void check_auth(Checker& c);        // GW4xx
void check_resilience(Checker& c);  // GW5xx
void check_cost(Checker& c);        // GW6xx
void check_declarative(Checker& c, const DeclarativeRule& rule);

}  // namespace gwctl::policy
