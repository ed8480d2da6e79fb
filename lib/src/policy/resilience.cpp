// GW5xx: resilience and operations. Timeouts that bound a request, retries that can help, and a
// fallback plan that fits in the time a client waits.
#include <algorithm>
#include <set>

#include <fmt/format.h>
#include <re2/re2.h>

#include "checker.hpp"

namespace gwctl::policy {

namespace {

std::string ms_text(double ms) {
  if (ms >= 1000 && static_cast<long long>(ms) % 1000 == 0)
    return fmt::format("{}s", static_cast<long long>(ms) / 1000);
  return fmt::format("{}ms", static_cast<long long>(ms));
}

void check_timeouts(Checker& c, const nlohmann::json& route, std::size_t r) {
  std::string name = str(route, "name");
  if (proxies(route) && !c.written(route_ptr(r) + "/timeouts")) {
    c.report("GW501", route_ptr(r), fmt::format("route '{}' sets no timeouts; it relies on the defaults", name)).hint =
        "set timeouts: {total: …, first_byte: …, idle: …} for what this route's clients can wait";
  }
  const auto& t = sub(route, "timeouts");
  double total = num(t, "total");
  for (const char* key : {"first_byte", "idle"}) {
    double v = num(t, key);
    if (total > 0 && v > total) {
      auto& d = c.report("GW502", fmt::format("{}/timeouts/{}", route_ptr(r), key),
                         fmt::format("timeouts.{} ({}) of route '{}' is longer than timeouts.total ({}), so it never "
                                     "applies",
                                     key, ms_text(v), name, ms_text(total)));
      d.hint = fmt::format("make {} shorter than total", key);
    }
  }
}

void check_retry_statuses(Checker& c, const nlohmann::json& route, std::size_t r) {
  if (!proxies(route)) return;
  std::string name = str(route, "name");
  const auto& retry_on = sub(sub(route, "resilience"), "retry_on");
  for (std::size_t i = 0; retry_on.is_array() && i < retry_on.size(); ++i) {
    if (!retry_on[i].is_number_integer()) continue;
    int status = retry_on[i].get<int>();
    if (status >= 400 && status < 500 && status != 408 && status != 409 && status != 429) {
      c.report("GW503", fmt::format("{}/resilience/retry_on/{}", route_ptr(r), i),
               fmt::format("route '{}' retries on {}, which the same request will get again", name, status))
          .hint = "retry only on 408, 409, 429, 5xx, timeout and connect_error";
    }
  }
}

void check_retries(Checker& c, const nlohmann::json& route, std::size_t r) {
  if (!proxies(route)) return;
  std::string name = str(route, "name");
  const auto& res = sub(route, "resilience");
  bool retries = num(res, "retries") > 0;
  bool fallbacks = false;
  for (const auto& alias : ModelGraph(c.model()).asked(route)) {
    fallbacks = fallbacks || !strings(sub(sub(c.model(), "models"), alias), "fallbacks").empty();
  }
  if ((retries || fallbacks) && !c.written(route_ptr(r) + "/resilience/max_attempts")) {
    c.report("GW504", route_ptr(r) + (c.written(route_ptr(r) + "/resilience") ? "/resilience" : ""),
             fmt::format("route '{}' retries or falls back but sets no resilience.max_attempts", name))
        .hint = "set max_attempts: the hard cap on upstream attempts for one request";
  }
}

// Worst case of a route's plan for one model: it gets 1 + retries attempts of up to
// first_byte each, with exponential backoff between retries, then each fallback in order the
// same, until max_attempts. Reports the first fallback that can never run, once per route.
bool check_plan_for(Checker& c, const nlohmann::json& route, std::size_t r, const std::string& primary) {
  const auto& models = sub(c.model(), "models");
  std::vector<std::string> chain{primary};
  for (const auto& f : strings(models[primary], "fallbacks")) {
    if (models.contains(f) && std::find(chain.begin(), chain.end(), f) == chain.end()) chain.push_back(f);
  }
  if (chain.size() < 2) return false;
  const auto& res = sub(route, "resilience");
  const auto& t = sub(route, "timeouts");
  double total = num(t, "total"), first_byte = num(t, "first_byte");
  double base = num(sub(res, "backoff"), "base"), cap = num(sub(res, "backoff"), "max");
  int retries = static_cast<int>(num(res, "retries"));
  int max_attempts = static_cast<int>(num(res, "max_attempts", 1e9));
  double elapsed = 0;
  int attempts = 0;
  std::string name = str(route, "name");
  for (std::size_t m = 0; m < chain.size(); ++m) {
    if (attempts >= max_attempts) {
      c.report("GW505", route_ptr(r) + "/resilience/max_attempts",
               fmt::format("route '{}' can never fall back from '{}' to '{}': max_attempts ({}) is used up by the "
                           "attempts before it",
                           name, primary, chain[m], max_attempts))
          .hint = "raise max_attempts, or lower retries so that fallbacks get their turn";
      return true;
    }
    if (m > 0 && elapsed >= total) {
      auto& d = c.report(
          "GW505", route_ptr(r) + "/timeouts/total",
          fmt::format("route '{}' can never fall back from '{}' to '{}': the attempts before it can take {} (each up "
                      "to first_byte {} plus backoff), and timeouts.total is {}",
                      name, primary, chain[m], ms_text(elapsed), ms_text(first_byte), ms_text(total)));
      d.hint = "lower first_byte or retries, or raise total, so that worst case × attempts fits";
      return true;
    }
    for (int k = 0; k <= retries && attempts < max_attempts; ++k) {
      if (k > 0) elapsed += std::min(cap, base * static_cast<double>(1LL << std::min(k - 1, 30)));
      elapsed += first_byte;
      ++attempts;
    }
  }
  return false;
}

void check_plan(Checker& c, const nlohmann::json& route, std::size_t r) {
  if (!proxies(route) || sub(sub(route, "resilience"), "fallback_on").empty()) return;
  const auto& models = sub(c.model(), "models");
  std::vector<std::string> asked = strings(route, "models");
  if (auto d = str(route, "default_model"); !d.empty() && std::find(asked.begin(), asked.end(), d) == asked.end()) {
    asked.insert(asked.begin(), d);
  }
  for (const auto& alias : asked) {
    if (models.contains(alias) && check_plan_for(c, route, r, alias)) return;
  }
}

// A dated or versioned id: 2024-11-20, 20241022, -0613 or -2411 (MMDD, YYMM), -002, @20240229,
// -v1:0 (Bedrock). "gpt-4o", "claude-3-5-sonnet-latest" and "deepseek-v3" are not.
bool pinned_id(const std::string& id) {
  static const RE2 dated(R"((19|20)\d\d-?[01]\d-?[0-3]\d|-\d{3,4}$|@\d{8}|-v\d+:\d+$)");
  return RE2::PartialMatch(id, dated);
}

void check_pinning(Checker& c) {
  const auto& models = sub(c.model(), "models");
  for (const auto& [alias, model] : models.items()) {
    if (flag(model, "floating")) continue;
    const auto& ds = sub(model, "deployments");
    for (std::size_t i = 0; ds.is_array() && i < ds.size(); ++i) {
      std::string id = str(ds[i], "id");
      if (id.empty() || pinned_id(id)) continue;
      std::string list = entity_ptr("models", alias) + "/deployments";
      std::string p = c.written(list) ? fmt::format("{}/{}/id", list, i) : entity_ptr("models", alias) + "/id";
      auto& d = c.report(
          "GW507", p,
          fmt::format("model '{}' uses the undated upstream id '{}': the provider can change what it serves under "
                      "it without a config change",
                      alias, id),
          c.context().production ? Severity::error : Severity::warning);
      d.hint = "pin a dated id (e.g. gpt-4o-2024-11-20), or set floating: true on the model to accept it";
    }
  }
}

// Ejection applies to the models clients ask for (fallbacks are the answer to a model failing
// as a whole).
void check_ejection(Checker& c, const nlohmann::json& route, std::size_t r) {
  if (!field(sub(route, "resilience"), "eject")) return;
  const auto& models = sub(c.model(), "models");
  std::vector<std::string> asked = strings(route, "models");
  if (auto d = str(route, "default_model"); !d.empty() && std::find(asked.begin(), asked.end(), d) == asked.end()) {
    asked.insert(asked.begin(), d);
  }
  for (const auto& alias : asked) {
    if (!models.contains(alias)) continue;
    const auto& ds = sub(models[alias], "deployments");
    if (ds.is_array() && ds.size() == 1) {
      c.report("GW508", route_ptr(r) + "/resilience/eject",
               fmt::format("route '{}' ejects failing deployments, but model '{}' has a single deployment: ejecting "
                           "it leaves nothing to serve",
                           str(route, "name"), alias))
          .hint = "add a second deployment to the model, or rely on fallbacks instead of ejection";
      return;
    }
  }
}

}  // namespace

void check_resilience_route(Checker& c, const nlohmann::json& route, std::size_t r) {
  check_timeouts(c, route, r);
  check_retry_statuses(c, route, r);
}

void check_resilience(Checker& c) {
  const auto& routes = sub(c.model(), "routes");
  for (std::size_t r = 0; routes.is_array() && r < routes.size(); ++r) {
    check_retries(c, routes[r], r);
    check_plan(c, routes[r], r);
    check_ejection(c, routes[r], r);
  }
  check_pinning(c);
}

}  // namespace gwctl::policy
