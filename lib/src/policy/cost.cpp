// GW6xx: cost and limits. What bounds a route's traffic and spend, and what a day can cost.
#include <algorithm>
#include <cmath>
#include <limits>

#include <fmt/format.h>

#include "checker.hpp"

namespace gwctl {

namespace {

constexpr double kDayMs = 86'400'000.0;

using policy::field;
using policy::flag;
using policy::num;
using policy::str;
using policy::strings;
using policy::sub;

bool has_limit(const nlohmann::json& route, const char* kind) {
  const auto& limits = sub(route, "limits");
  if (!limits.is_array()) return false;
  return std::any_of(limits.begin(), limits.end(), [&](const nlohmann::json& l) { return field(l, kind); });
}

bool local_limits_anywhere(const nlohmann::json& model) {
  auto any_limits = [](const nlohmann::json& list) {
    if (!list.is_array()) return false;
    return std::any_of(list.begin(), list.end(), [](const nlohmann::json& e) { return !sub(e, "limits").empty(); });
  };
  return any_limits(sub(model, "routes")) || any_limits(sub(model, "consumers"));
}

}  // namespace

std::vector<RouteSpend> worst_case_spend(const nlohmann::json& model) {
  std::vector<RouteSpend> out;
  const auto& routes = sub(model, "routes");
  const auto& gateway = sub(model, "gateway");
  // Local limits are per replica: the fleet admits replicas × the limit.
  double replicas =
      str(gateway, "rate_limit_store", "local") == "local" ? std::max(1.0, num(gateway, "replicas", 1)) : 1.0;
  const auto& consumers = sub(model, "consumers");
  policy::ModelGraph graph(model);
  for (std::size_t r = 0; routes.is_array() && r < routes.size(); ++r) {
    const auto& route = routes[r];
    RouteSpend s;
    s.route = str(route, "name");
    if (!policy::proxies(route)) {
      s.bounded = true;
      out.push_back(s);
      continue;
    }
    policy::ModelGraph::Reach reach = graph.route_reach(route);
    s.priced = reach.priced;
    double in = reach.input, outp = reach.output, per_request = reach.per_request;
    if (!s.priced) {
      s.bounded = true;
      out.push_back(s);
      continue;
    }
    // How many callers a per-consumer limit multiplies by.
    double callers = 0;
    for (std::size_t k = 0; consumers.is_array() && k < consumers.size(); ++k) {
      auto granted = strings(consumers[k], "routes");
      if (std::find(granted.begin(), granted.end(), s.route) != granted.end() ||
          std::find(granted.begin(), granted.end(), "*") != granted.end()) {
        callers += 1;
      }
    }
    double best = std::numeric_limits<double>::infinity();
    auto consider = [&](double usd, const char* by) {
      if (usd < best) {
        best = usd;
        s.bound_by = by;
      }
    };
    const auto& limits = sub(route, "limits");
    for (std::size_t i = 0; limits.is_array() && i < limits.size(); ++i) {
      const auto& l = limits[i];
      double per = num(l, "per");
      std::string key = str(l, "key", "consumer");
      // One bucket per client address bounds nothing; neither does one per consumer when the
      // consumers are not a known list (a JWT's subjects, or anonymous callers).
      if (per <= 0 || key == "ip") continue;
      if (key == "consumer" && str(sub(route, "auth"), "type", "api_key") != "api_key") continue;
      double windows = kDayMs / per * replicas * (key == "consumer" ? callers : 1.0);
      if (field(l, "tokens")) consider(num(l, "tokens") * windows * std::max(in, outp) / 1e6, "token limit");
      if (field(l, "requests") && per_request > 0)
        consider(num(l, "requests") * windows * per_request, "request limit");
    }
    if (const auto* budget = field(route, "budget")) {
      double per = num(*budget, "per", kDayMs);
      if (per > 0) consider(num(*budget, "usd") * kDayMs / per, "budget");
    }
    s.bounded = std::isfinite(best);
    s.usd_per_day = s.bounded ? best : 0;
    out.push_back(s);
  }
  return out;
}

namespace policy {

void check_cost_route(Checker& c, const nlohmann::json& route, std::size_t r) {
  if (!proxies(route)) return;
  bool authenticated = str(sub(route, "auth"), "type", "api_key") != "none";
  if (authenticated && !has_limit(route, "requests") && !has_limit(route, "tokens")) {
    c.report("GW601", route_ptr(r), fmt::format("route '{}' has no request or token limit", str(route, "name"))).hint =
        "add limits: [{requests: N, per: 1m}, {tokens: N, per: 1m}]; one leaked key can otherwise spend "
        "without bound";
  }
}

void check_cost(Checker& c) {
  const auto& m = c.model();
  const auto& routes = sub(m, "routes");
  ModelGraph graph(m);
  for (std::size_t r = 0; routes.is_array() && r < routes.size(); ++r) {
    const auto& route = routes[r];
    if (!proxies(route)) continue;
    std::string name = str(route, "name");
    bool tokens = has_limit(route, "tokens");
    bool priced = graph.route_reach(route).priced;
    if (priced && !tokens && !field(route, "budget")) {
      c.report("GW603", route_ptr(r),
               fmt::format("route '{}' serves priced models with neither a budget nor a token limit", name))
          .hint = "add budget: {usd: N, per: 1d} or a tokens limit; `gwctl show` prints the worst-case daily spend";
    }
  }
  const auto& gateway = sub(m, "gateway");
  double replicas = num(gateway, "replicas", 1);
  if (replicas > 1 && str(gateway, "rate_limit_store", "local") == "local" && local_limits_anywhere(m)) {
    c.report("GW602", "/gateway/replicas",
             fmt::format("{} replicas each enforce the limits locally: the real limits are {} times what the config "
                         "says",
                         static_cast<long long>(replicas), static_cast<long long>(replicas)))
        .hint = "share the counters (rate_limit_store: redis://host:port), or divide the limits by the replica count";
  }
}

}  // namespace policy

}  // namespace gwctl
