// GW2xx: references and consistency. Names must resolve, routes must be reachable, fallbacks
// must end and must add resilience, weights must describe a real pool.
#include <algorithm>
#include <cctype>
#include <functional>
#include <map>
#include <set>
#include <unordered_set>

#include <fmt/format.h>

#include "checker.hpp"

namespace gwctl::policy {

namespace {

std::vector<std::string> keys_of(const nlohmann::json& object) {
  std::vector<std::string> out;
  if (object.is_object()) {
    for (const auto& [k, v] : object.items()) out.push_back(k);
  }
  return out;
}

std::vector<std::string> names_of(const nlohmann::json& list) {
  std::vector<std::string> out;
  if (list.is_array()) {
    for (const auto& item : list) out.push_back(str(item, "name"));
  }
  return out;
}

// Where a deployment's provider was written: the deployment, or the model's shorthand.
std::string deployment_ptr(const Checker& c, const std::string& alias, std::size_t i, const char* field_name) {
  std::string list = entity_ptr("models", alias) + "/deployments";
  if (c.written(list)) return fmt::format("{}/{}/{}", list, i, field_name);
  return entity_ptr("models", alias) + "/" + field_name;
}

void unknown(Checker& c, const std::string& pointer, const std::string& what, const std::string& name,
             const std::vector<std::string>& candidates, const std::string& defined_in) {
  auto& d = c.report("GW201", pointer, fmt::format("{} '{}' is not defined", what, name));
  std::string guess = did_you_mean(name, candidates);
  d.hint = guess.empty() ? fmt::format("define it under '{}', or fix the name", defined_in)
                         : fmt::format("did you mean '{}'?", guess);
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char ch) { return std::tolower(ch); });
  return s;
}

// Whether every request `later` matches is also matched by `earlier`.
bool covers(const nlohmann::json& earlier, const nlohmann::json& later) {
  const auto& a = sub(earlier, "match");
  const auto& b = sub(later, "match");
  std::string a_path = str(a, "path"), a_prefix = str(a, "path_prefix");
  std::string b_path = str(b, "path"), b_prefix = str(b, "path_prefix");
  if (!a_path.empty()) {
    if (b_path != a_path) return false;
  } else if (!a_prefix.empty()) {
    const std::string& b_any = !b_path.empty() ? b_path : b_prefix;
    if (b_any.empty() || !b_any.starts_with(a_prefix)) return false;
  }
  auto a_methods = strings(a, "methods");
  if (!a_methods.empty()) {
    auto b_methods = strings(b, "methods");
    if (b_methods.empty()) return false;
    for (auto& m : a_methods) m = lower(m);
    for (const auto& m : b_methods) {
      if (std::find(a_methods.begin(), a_methods.end(), lower(m)) == a_methods.end()) return false;
    }
  }
  const auto& a_headers = sub(a, "headers");
  const auto& b_headers = sub(b, "headers");
  for (const auto& [name, value] : a_headers.items()) {
    bool found = false;
    for (const auto& [bn, bv] : b_headers.items()) found = found || (lower(bn) == lower(name) && bv == value);
    if (!found) return false;
  }
  return true;
}

void check_names(Checker& c) {
  const auto& m = c.model();
  const auto providers = keys_of(sub(m, "providers"));
  const auto models = keys_of(sub(m, "models"));
  const auto routes = names_of(sub(m, "routes"));
  const auto consumers = names_of(sub(m, "consumers"));
  // Sets for lookups: a large config has thousands of routes and grants.
  std::unordered_set<std::string> provider_set(providers.begin(), providers.end()),
      model_set(models.begin(), models.end()), route_set(routes.begin(), routes.end());
  auto known = [&](const std::vector<std::string>& names, const std::string& n) {
    if (&names == &providers) return provider_set.count(n) > 0;
    if (&names == &models) return model_set.count(n) > 0;
    if (&names == &routes) return route_set.count(n) > 0;
    return std::find(names.begin(), names.end(), n) != names.end();
  };

  for (const auto& [alias, model] : sub(m, "models").items()) {
    const auto& deployments = sub(model, "deployments");
    for (std::size_t i = 0; deployments.is_array() && i < deployments.size(); ++i) {
      std::string p = str(deployments[i], "provider");
      if (!known(providers, p)) {
        unknown(c, deployment_ptr(c, alias, i, "provider"), "provider", p, providers, "providers");
      }
    }
    auto fallbacks = strings(model, "fallbacks");
    for (std::size_t i = 0; i < fallbacks.size(); ++i) {
      if (!known(models, fallbacks[i])) {
        unknown(c, fmt::format("{}/fallbacks/{}", entity_ptr("models", alias), i), "fallback model", fallbacks[i],
                models, "models");
      }
    }
  }
  const auto& route_list = sub(m, "routes");
  for (std::size_t r = 0; route_list.is_array() && r < route_list.size(); ++r) {
    const auto& route = route_list[r];
    auto allowed = strings(route, "models");
    for (std::size_t i = 0; i < allowed.size(); ++i) {
      if (!known(models, allowed[i])) {
        unknown(c, fmt::format("{}/models/{}", route_ptr(r), i), "model", allowed[i], models, "models");
      }
    }
    std::string def = str(route, "default_model");
    if (!def.empty() && !known(models, def)) {
      unknown(c, route_ptr(r) + "/default_model", "model", def, models, "models");
    } else if (!def.empty() && !allowed.empty() && !known(allowed, def)) {
      auto& d =
          c.report("GW209", route_ptr(r) + "/default_model",
                   fmt::format("default model '{}' of route '{}' is not one of its models", def, str(route, "name")));
      d.hint = fmt::format("add '{}' to the route's models, or pick one of them", def);
    }
    if (proxies(route) && def.empty() && allowed.empty()) {
      c.report("GW201", route_ptr(r), fmt::format("route '{}' names no model and no response", str(route, "name")))
          .hint = "add models and default_model, or respond";
    }
  }
  const auto& consumer_list = sub(m, "consumers");
  for (std::size_t k = 0; consumer_list.is_array() && k < consumer_list.size(); ++k) {
    const auto& consumer = consumer_list[k];
    std::string base = "/consumers/" + std::to_string(k);
    auto granted = strings(consumer, "routes");
    for (std::size_t i = 0; i < granted.size(); ++i) {
      if (granted[i] != "*" && !known(routes, granted[i])) {
        unknown(c, fmt::format("{}/routes/{}", base, i), "route", granted[i], routes, "routes");
      }
    }
    auto models_granted = strings(consumer, "models");
    for (std::size_t i = 0; i < models_granted.size(); ++i) {
      if (models_granted[i] != "*" && !known(models, models_granted[i])) {
        unknown(c, fmt::format("{}/models/{}", base, i), "model", models_granted[i], models, "models");
      }
    }
  }
}

void check_duplicates(Checker& c) {
  for (const char* collection : {"routes", "consumers"}) {
    const auto& list = sub(c.model(), collection);
    std::map<std::string, std::size_t> first;
    for (std::size_t i = 0; list.is_array() && i < list.size(); ++i) {
      std::string name = str(list[i], "name");
      auto [it, fresh] = first.emplace(name, i);
      if (fresh) continue;
      std::string p = fmt::format("/{}/{}/name", collection, i);
      auto& d = c.report(
          "GW202", p,
          fmt::format("{} name '{}' is used twice", collection == std::string("routes") ? "route" : "consumer", name));
      d.notes.push_back({"first defined here", c.span_at(fmt::format("/{}/{}/name", collection, it->second))});
      d.hint = "names identify entities across layers and in reviews: rename one";
    }
  }
  // One key for two consumers: gwd could not tell who is calling.
  std::map<std::string, std::pair<std::size_t, std::size_t>> owner;  // secret name → (consumer, key index)
  const auto& consumers = sub(c.model(), "consumers");
  for (std::size_t k = 0; consumers.is_array() && k < consumers.size(); ++k) {
    const auto& keys = sub(consumers[k], "api_keys");
    for (std::size_t i = 0; keys.is_array() && i < keys.size(); ++i) {
      std::string secret = str(keys[i], "$secret");
      if (secret.empty()) continue;
      auto [it, fresh] = owner.emplace(secret, std::make_pair(k, i));
      if (fresh || it->second.first == k) continue;
      auto& d = c.report("GW202", fmt::format("/consumers/{}/api_keys/{}", k, i),
                         fmt::format("consumers '{}' and '{}' share the API key secret '{}'",
                                     str(consumers[it->second.first], "name"), str(consumers[k], "name"), secret));
      d.notes.push_back(
          {"also used here", c.span_at(fmt::format("/consumers/{}/api_keys/{}", it->second.first, it->second.second))});
      d.hint = "give each consumer its own key so that limits, budgets and logs name the right caller";
    }
  }
}

void check_shadowing(Checker& c) {
  const auto& routes = sub(c.model(), "routes");
  if (!routes.is_array()) return;
  // Candidates for shadowing a route are the earlier routes with the same exact path, with a
  // prefix of its path, or with no path at all: indexed so that large configs stay linear.
  std::map<std::string, std::vector<std::size_t>> exact, prefix;
  std::vector<std::size_t> anywhere;
  for (std::size_t j = 0; j < routes.size(); ++j) {
    const auto& match = sub(routes[j], "match");
    std::string path = str(match, "path"), pre = str(match, "path_prefix");
    std::vector<std::size_t> candidates;
    const std::string& any = !path.empty() ? path : pre;
    if (!path.empty()) {
      if (auto it = exact.find(path); it != exact.end()) candidates = it->second;
    }
    for (std::size_t len = 0; len <= any.size(); ++len) {
      if (auto it = prefix.find(any.substr(0, len)); it != prefix.end()) {
        candidates.insert(candidates.end(), it->second.begin(), it->second.end());
      }
    }
    candidates.insert(candidates.end(), anywhere.begin(), anywhere.end());
    std::sort(candidates.begin(), candidates.end());
    for (std::size_t i : candidates) {
      if (!covers(routes[i], routes[j])) continue;
      auto& d = c.report("GW203", route_ptr(j) + "/match",
                         fmt::format("route '{}' is unreachable: the earlier route '{}' matches every request it "
                                     "matches (first match wins)",
                                     str(routes[j], "name"), str(routes[i], "name")));
      d.notes.push_back(
          {fmt::format("route '{}' is matched first", str(routes[i], "name")), c.span_at(route_ptr(i) + "/match")});
      d.hint = "move the more specific route before the general one, or narrow the earlier match";
      break;
    }
    if (!path.empty()) {
      exact[path].push_back(j);
    } else if (!pre.empty()) {
      prefix[pre].push_back(j);
    } else {
      anywhere.push_back(j);
    }
  }
}

void check_fallbacks(Checker& c) {
  const auto& models = sub(c.model(), "models");
  auto providers_of = [&](const nlohmann::json& model) {
    std::set<std::string> out;
    const auto& ds = sub(model, "deployments");
    for (std::size_t i = 0; ds.is_array() && i < ds.size(); ++i) out.insert(str(ds[i], "provider"));
    return out;
  };
  // Cycles: depth-first over fallback edges; each cycle is reported once, at the edge that
  // closes it from its smallest alias.
  std::map<std::string, int> state;  // 0 new, 1 on the stack, 2 done
  std::vector<std::string> stack;
  std::set<std::string> reported;
  std::function<void(const std::string&)> visit = [&](const std::string& alias) {
    state[alias] = 1;
    stack.push_back(alias);
    auto fallbacks = strings(models[alias], "fallbacks");
    for (std::size_t i = 0; i < fallbacks.size(); ++i) {
      const std::string& next = fallbacks[i];
      if (next == alias || !models.contains(next)) continue;  // self: GW206; unknown: GW201
      if (state[next] == 1) {
        auto from = std::find(stack.begin(), stack.end(), next);
        std::vector<std::string> cycle(from, stack.end());
        std::string key = *std::min_element(cycle.begin(), cycle.end());
        if (reported.insert(key + "|" + fmt::format("{}", fmt::join(cycle, ","))).second) {
          std::string path = fmt::format("{} → {}", fmt::join(cycle, " → "), next);
          auto& d = c.report("GW204", fmt::format("{}/fallbacks/{}", entity_ptr("models", alias), i),
                             fmt::format("fallback cycle: {}", path));
          d.hint = "a fallback chain must end; remove one of these fallbacks";
        }
      } else if (state[next] == 0) {
        visit(next);
      }
    }
    stack.pop_back();
    state[alias] = 2;
  };
  for (const auto& [alias, model] : models.items()) {
    if (state[alias] == 0) visit(alias);
  }
  ModelGraph graph(c.model());
  for (const auto& [alias, model] : models.items()) {
    auto fallbacks = strings(model, "fallbacks");
    if (fallbacks.empty()) continue;
    std::size_t d = graph.depth(alias);
    if (d > 3) {
      c.report("GW205", entity_ptr("models", alias) + "/fallbacks",
               fmt::format("model '{}' falls back through {} models in a row; more than 3 makes worst-case latency "
                           "and cost hard to reason about",
                           alias, d))
          .hint = "shorten the chain; every hop costs a full upstream timeout";
    }
    auto mine = providers_of(model);
    for (std::size_t i = 0; i < fallbacks.size(); ++i) {
      const std::string& next = fallbacks[i];
      std::string p = fmt::format("{}/fallbacks/{}", entity_ptr("models", alias), i);
      if (next == alias) {
        c.report("GW206", p, fmt::format("model '{}' falls back to itself", alias)).hint =
            "retries already repeat a model; fall back to a model on another provider";
        continue;
      }
      if (!models.contains(next)) continue;
      auto theirs = providers_of(models[next]);
      if (mine.size() == 1 && theirs == mine) {
        c.report("GW206", p,
                 fmt::format("fallback '{}' of model '{}' runs on the same single provider '{}': an outage of "
                             "'{}' takes both down",
                             next, alias, *mine.begin(), *mine.begin()))
            .hint = "fall back to a model served by another provider";
      }
    }
  }
}

void check_weights(Checker& c) {
  const auto& models = sub(c.model(), "models");
  for (const auto& [alias, model] : models.items()) {
    std::string list = entity_ptr("models", alias) + "/deployments";
    const Node* written = find_pointer(c.config(), list);
    if (written && written->is_seq() && written->items.size() > 1) {
      std::size_t with = 0;
      std::size_t first_without = SIZE_MAX;
      for (std::size_t i = 0; i < written->items.size(); ++i) {
        const Node& d = *written->items[i];
        if (d.is_map() && d.get("weight")) {
          ++with;
        } else if (first_without == SIZE_MAX) {
          first_without = i;
        }
      }
      if (with > 0 && first_without != SIZE_MAX) {
        c.report("GW207", fmt::format("{}/{}", list, first_without),
                 fmt::format("model '{}' gives weights to some deployments but not to this one", alias))
            .hint = "give every deployment a weight, or none (then traffic splits evenly)";
      }
    }
    const auto& ds = sub(model, "deployments");
    if (ds.is_array() && !ds.empty()) {
      bool all_zero = std::all_of(ds.begin(), ds.end(), [](const nlohmann::json& d) { return num(d, "weight") == 0; });
      if (all_zero) {
        c.report("GW208", list,
                 fmt::format("every deployment of model '{}' has weight 0: the model can serve no request", alias))
            .hint = "give at least one deployment a positive weight";
      }
    }
  }
}

void check_unused(Checker& c) {
  const auto& m = c.model();
  std::set<std::string> used_providers;
  for (const auto& [alias, model] : sub(m, "models").items()) {
    const auto& ds = sub(model, "deployments");
    for (std::size_t i = 0; ds.is_array() && i < ds.size(); ++i) used_providers.insert(str(ds[i], "provider"));
  }
  for (const auto& [name, provider] : sub(m, "providers").items()) {
    if (!used_providers.count(name)) {
      c.report("GW210", entity_ptr("providers", name), fmt::format("provider '{}' is not used by any model", name))
          .hint = "remove it, or reference it from a model's deployments";
    }
  }
  auto used_models = ModelGraph(m).used_by(sub(m, "routes"));
  for (const auto& [alias, model] : sub(m, "models").items()) {
    if (!used_models.count(alias)) {
      c.report("GW210", entity_ptr("models", alias),
               fmt::format("model '{}' is not reachable from any route (nor as a fallback)", alias))
          .hint = "remove it, or add it to a route's models";
    }
  }
}

}  // namespace

void check_references(Checker& c) {
  check_names(c);
  check_duplicates(c);
  check_shadowing(c);
  check_fallbacks(c);
  check_weights(c);
  check_unused(c);
}

}  // namespace gwctl::policy
