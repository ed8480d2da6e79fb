#include "gwctl/semantic_diff.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include <fmt/format.h>

#include "gwctl/schema.hpp"
#include "gwctl/secret_scan.hpp"
#include "gwctl/secrets.hpp"

namespace gwctl {

using json = nlohmann::json;

std::string_view to_string(Risk r) {
  switch (r) {
    case Risk::none:
      return "none";
    case Risk::low:
      return "low";
    case Risk::medium:
      return "medium";
    case Risk::high:
      return "high";
  }
  return "none";
}

std::optional<Risk> parse_risk(std::string_view s) {
  for (Risk r : {Risk::none, Risk::low, Risk::medium, Risk::high}) {
    if (to_string(r) == s) return r;
  }
  return std::nullopt;
}

std::string_view to_string(ChangeAction a) {
  switch (a) {
    case ChangeAction::create:
      return "create";
    case ChangeAction::update:
      return "update";
    case ChangeAction::remove:
      return "delete";
  }
  return "update";
}

namespace {

constexpr std::string_view masked = "********";
constexpr int max_depth = 64;

bool is_secret_ref(const json& v) {
  return v.is_object() && v.size() == 1 && v.contains("$secret") && v["$secret"].is_string();
}

// The value as it may be shown: a literal under a credential key is masked whole, and any
// credential the secret scan recognises elsewhere (a password in a URL, a key pasted into a
// description) is masked in place. `hid` is set when anything was masked.
json sanitize(const json& v, bool secret, bool& hid, int depth = 0) {
  if (is_secret_ref(v)) return v;
  if (v.is_string()) {
    if (secret) {
      hid = true;
      return json(masked);
    }
    const auto& text = v.get_ref<const std::string&>();
    std::string shown = mask_detected_secrets(text);
    if (shown != text) hid = true;
    return json(std::move(shown));
  }
  if (depth > max_depth) return json("…");
  if (v.is_object()) {
    json out = json::object();
    for (const auto& [k, item] : v.items()) {
      out[k] = sanitize(item, secret || looks_like_secret_key(k), hid, depth + 1);
    }
    return out;
  }
  if (v.is_array()) {
    json out = json::array();
    for (const auto& item : v) out.push_back(sanitize(item, secret, hid, depth + 1));
    return out;
  }
  return v;
}

std::string unit_of(const SchemaNode* s) {
  if (!s) return "";
  if (s->kind == SchemaNode::Kind::duration) return "ms";
  if (s->kind == SchemaNode::Kind::size) return "bytes";
  return "";
}

const SchemaNode* child_schema(const SchemaNode* s, const std::string& key) {
  if (!s) return nullptr;
  if (const SchemaNode* p = s->property(key)) return p;
  return s->additional;
}

// The identity of an item of a list inside an entity: its name, or for deployments the
// provider and upstream id; empty when items are matched by position.
std::string item_key(const json& item) {
  if (!item.is_object()) return "";
  if (item.contains("name") && item["name"].is_string()) return item["name"].get<std::string>();
  if (item.contains("provider") && item.contains("id") && item["provider"].is_string() && item["id"].is_string()) {
    return item["provider"].get<std::string>() + "/" + item["id"].get<std::string>();
  }
  return "";
}

bool keyed_list(const json& a) {
  if (!a.is_array() || a.empty()) return false;
  std::set<std::string> seen;
  for (const auto& item : a) {
    std::string k = item_key(item);
    if (k.empty() || !seen.insert(k).second) return false;
  }
  return true;
}

std::string field_join(const std::string& path, const std::string& key) {
  return path.empty() ? key : path + "." + key;
}

class FieldDiffer {
 public:
  explicit FieldDiffer(std::vector<FieldChange>& out) : out_(out) {}

  void diff(const json* a, const json* b, const std::string& path, const SchemaNode* s, bool secret, int depth) {
    if (a && b && *a == *b) return;
    if (a && b && depth < max_depth && !is_secret_ref(*a) && !is_secret_ref(*b)) {
      if (a->is_object() && b->is_object()) {
        std::set<std::string> keys;
        for (const auto& [k, v] : a->items()) keys.insert(k);
        for (const auto& [k, v] : b->items()) keys.insert(k);
        for (const auto& k : keys) {
          const json* ca = a->contains(k) ? &(*a)[k] : nullptr;
          const json* cb = b->contains(k) ? &(*b)[k] : nullptr;
          diff(ca, cb, field_join(path, k), child_schema(s, k), secret || looks_like_secret_key(k), depth + 1);
        }
        return;
      }
      const SchemaNode* items = s ? s->items : nullptr;
      // Lists of named items (or deployments) match items by identity; an empty list matches
      // any such list. Both empty would have been equal above.
      auto by_identity = [](const json& v) { return v.is_array() && (v.empty() || keyed_list(v)); };
      if (by_identity(*a) && by_identity(*b)) {
        std::map<std::string, const json*> ia, ib;
        std::vector<std::string> order;
        for (const auto& item : *a) {
          ia[item_key(item)] = &item;
          order.push_back(item_key(item));
        }
        for (const auto& item : *b) {
          ib[item_key(item)] = &item;
          if (!ia.count(item_key(item))) order.push_back(item_key(item));
        }
        for (const auto& k : order) {
          diff(ia.count(k) ? ia[k] : nullptr, ib.count(k) ? ib[k] : nullptr, path + "[" + k + "]", items, secret,
               depth + 1);
        }
        return;
      }
      if (a->is_array() && b->is_array() && a->size() == b->size() && !a->empty() && (*a)[0].is_object()) {
        for (std::size_t i = 0; i < a->size(); ++i) {
          diff(&(*a)[i], &(*b)[i], path + "[" + std::to_string(i) + "]", items, secret, depth + 1);
        }
        return;
      }
    }
    FieldChange c;
    c.path = path;
    bool hid_before = false;
    if (a) c.before = sanitize(*a, secret, hid_before);
    if (b) c.after = sanitize(*b, secret, c.credential_after);
    c.unit = unit_of(s);
    out_.push_back(std::move(c));
  }

 private:
  std::vector<FieldChange>& out_;
};

// ---- risk ---------------------------------------------------------------------------------

const json& at(const json* entity, std::string_view key) {
  static const json null_value;
  if (!entity || !entity->is_object()) return null_value;
  auto it = entity->find(std::string(key));
  return it == entity->end() ? null_value : *it;
}

// A number member, 0 when absent or not a number (merged configs still hold "1m" texts).
double num(const json& v, const char* key) {
  if (!v.is_object()) return 0;
  auto it = v.find(key);
  return it != v.end() && it->is_number() ? it->get<double>() : 0.0;
}

bool flag(const json& v, const char* key) {
  if (!v.is_object()) return false;
  auto it = v.find(key);
  return it != v.end() && it->is_boolean() && it->get<bool>();
}

std::vector<std::string> strings(const json& v) {
  std::vector<std::string> out;
  if (v.is_array()) {
    for (const auto& s : v) {
      if (s.is_string()) out.push_back(s.get<std::string>());
    }
  }
  return out;
}

std::vector<std::string> minus(const std::vector<std::string>& a, const std::vector<std::string>& b) {
  std::vector<std::string> out;
  for (const auto& x : a) {
    if (std::find(b.begin(), b.end(), x) == b.end()) out.push_back(x);
  }
  return out;
}

std::string quoted_list(const std::vector<std::string>& v) {
  std::vector<std::string> q;
  for (const auto& s : v) q.push_back("'" + s + "'");
  return fmt::format("{}", fmt::join(q, ", "));
}

std::string duration_text(double ms) {
  struct U {
    double ms;
    const char* name;
  };
  for (U u : {U{86400000, "d"}, U{3600000, "h"}, U{60000, "m"}, U{1000, "s"}}) {
    if (ms >= u.ms && std::fmod(ms, u.ms) == 0) return fmt::format("{}{}", ms / u.ms, u.name);
  }
  return fmt::format("{}ms", ms);
}

std::string size_text(double b) {
  struct U {
    double bytes;
    const char* name;
  };
  for (U u : {U{1024.0 * 1024 * 1024, "GiB"}, U{1024.0 * 1024, "MiB"}, U{1024, "KiB"}}) {
    if (b >= u.bytes && std::fmod(b, u.bytes) == 0) return fmt::format("{}{}", b / u.bytes, u.name);
  }
  return fmt::format("{}B", b);
}

class Classifier {
 public:
  Classifier(const EntityChange& change, const json* before, const json* after)
      : change_(change), before_(before), after_(after) {}

  void add(Risk r, std::string text, std::vector<std::string> covers = {}) {
    reasons_.push_back({r, std::move(text)});
    for (auto& c : covers) covered_.push_back(std::move(c));
  }

  bool is_covered(const std::string& path) const {
    return std::any_of(covered_.begin(), covered_.end(), [&](const std::string& p) {
      return path == p || (path.size() > p.size() && path.compare(0, p.size(), p) == 0 &&
                           (path[p.size()] == '.' || path[p.size()] == '['));
    });
  }

  // Fields no rule spoke for: descriptions and tags are low, anything else medium.
  std::vector<RiskReason> finish() {
    std::vector<std::string> low, medium;
    for (const auto& f : change_.fields) {
      if (is_covered(f.path)) continue;
      std::size_t cut = f.path.find_last_of(".]");
      std::string_view last = std::string_view(f.path).substr(cut == std::string::npos ? 0 : cut + 1);
      (last == "description" || last == "tags" ? low : medium).push_back(f.path);
    }
    if (!medium.empty()) {
      add(Risk::medium, fmt::format("{} changed", fmt::join(medium, ", ")));
    }
    if (!low.empty()) add(Risk::low, fmt::format("{} changed (documentation only)", fmt::join(low, ", ")));
    std::stable_sort(reasons_.begin(), reasons_.end(),
                     [](const RiskReason& a, const RiskReason& b) { return a.risk > b.risk; });
    return std::move(reasons_);
  }

  const json& before(std::string_view key) const { return at(before_, key); }
  const json& after(std::string_view key) const { return at(after_, key); }

 private:
  const EntityChange& change_;
  const json* before_;
  const json* after_;
  std::vector<RiskReason> reasons_;
  std::vector<std::string> covered_;
};

// Requests or tokens per millisecond of each limit, keyed by what it counts and by whom.
std::map<std::string, std::pair<double, std::string>> limit_rates(const json& limits) {
  std::map<std::string, std::pair<double, std::string>> out;
  if (!limits.is_array()) return out;
  for (const auto& l : limits) {
    if (!l.is_object()) continue;
    double per = num(l, "per");
    std::string key = l.contains("key") && l["key"].is_string() ? l["key"].get<std::string>() : "";
    for (const char* metric : {"requests", "tokens"}) {
      if (l.contains(metric) && l[metric].is_number() && per > 0) {
        double n = l[metric].get<double>();
        std::string id = key.empty() ? metric : fmt::format("{} per {}", metric, key);
        out[id] = {n / per, fmt::format("{} {} per {}", n, metric, duration_text(per))};
      }
    }
  }
  return out;
}

void classify_limits(Classifier& c, const std::string& field) {
  const json& b = c.before(field);
  const json& a = c.after(field);
  if (b == a) return;
  auto rb = limit_rates(b), ra = limit_rates(a);
  bool said = false;
  for (const auto& [id, rate] : rb) {
    auto it = ra.find(id);
    if (it == ra.end()) {
      c.add(Risk::high, fmt::format("rate limit removed: {}", rate.second), {field});
      said = true;
    } else if (it->second.first > 2 * rate.first) {
      c.add(Risk::high, fmt::format("rate limit raised more than 2×: {} → {}", rate.second, it->second.second),
            {field});
      said = true;
    } else if (it->second.first != rate.first) {
      c.add(Risk::medium, fmt::format("rate limit changed: {} → {}", rate.second, it->second.second), {field});
      said = true;
    }
  }
  for (const auto& [id, rate] : ra) {
    if (!rb.count(id)) {
      c.add(Risk::medium, fmt::format("rate limit added: {}", rate.second), {field});
      said = true;
    }
  }
  if (!said) c.add(Risk::medium, fmt::format("'{}' changed", field), {field});
}

void classify_budget(Classifier& c) {
  const json& b = c.before("budget");
  const json& a = c.after("budget");
  if (b == a) return;
  auto rate = [](const json& v) {
    double per = num(v, "per");
    double usd = num(v, "usd");
    return per > 0 ? usd / per : 0.0;
  };
  auto text = [](const json& v) { return fmt::format("${} per {}", num(v, "usd"), duration_text(num(v, "per"))); };
  if (b.is_object() && !a.is_object()) {
    c.add(Risk::high, fmt::format("budget removed: {}", text(b)), {"budget"});
  } else if (!b.is_object() && a.is_object()) {
    c.add(Risk::medium, fmt::format("budget added: {}", text(a)), {"budget"});
  } else if (b.is_object() && a.is_object() && rate(a) > 2 * rate(b)) {
    c.add(Risk::high, fmt::format("budget raised more than 2×: {} → {}", text(b), text(a)), {"budget"});
  } else {
    c.add(Risk::medium, fmt::format("budget changed: {} → {}", text(b), text(a)), {"budget"});
  }
}

std::string type_of(const json& auth) {
  return auth.is_object() && auth.contains("type") && auth["type"].is_string() ? auth["type"].get<std::string>()
                                                                               : "none";
}

bool is_public(const json& route) {
  const json& auth = at(&route, "auth");
  return type_of(auth) == "none" || flag(auth, "public");
}

void classify_route(Classifier& c, EntityChange& e) {
  if (e.action == ChangeAction::remove) {
    c.add(Risk::high, "route deleted: its clients get 404");
    return;
  }
  if (e.action == ChangeAction::create) {
    json route = json::object();
    route["auth"] = c.after("auth");
    if (is_public(route)) {
      c.add(Risk::high, "new public route: no authentication");
    } else {
      c.add(Risk::medium, "new route");
    }
    return;
  }
  const json& ab = c.before("auth");
  const json& aa = c.after("auth");
  std::string tb = type_of(ab), ta = type_of(aa);
  if (tb != "none" && ta == "none") {
    c.add(Risk::high, fmt::format("authentication removed ('{}' → 'none')", tb), {"auth"});
  } else if (tb != ta) {
    c.add(Risk::medium, fmt::format("authentication changed ('{}' → '{}')", tb, ta), {"auth"});
  } else if (tb == "jwt" && ab != aa) {
    auto widened = minus(strings(at(&aa, "audiences")), strings(at(&ab, "audiences")));
    auto algs = minus(strings(at(&aa, "algorithms")), strings(at(&ab, "algorithms")));
    if (!widened.empty()) c.add(Risk::high, "JWT audiences widened: + " + quoted_list(widened), {"auth.audiences"});
    if (at(&ab, "audiences").is_array() && !at(&aa, "audiences").is_array())
      c.add(Risk::high, "JWT audience check removed", {"auth.audiences"});
    if (!algs.empty()) c.add(Risk::high, "JWT algorithms widened: + " + quoted_list(algs), {"auth.algorithms"});
    if (at(&ab, "issuer") != at(&aa, "issuer")) c.add(Risk::high, "JWT issuer changed", {"auth.issuer"});
  }
  bool pub_b = flag(ab, "public");
  bool pub_a = flag(aa, "public");
  if (!pub_b && pub_a) c.add(Risk::high, "route made public", {"auth.public", "auth.reason"});
  classify_limits(c, "limits");
  classify_budget(c);
  auto origins_b = strings(at(&c.before("cors"), "origins"));
  auto origins_a = strings(at(&c.after("cors"), "origins"));
  if (std::find(origins_a.begin(), origins_a.end(), "*") != origins_a.end() &&
      std::find(origins_b.begin(), origins_b.end(), "*") == origins_b.end()) {
    c.add(Risk::high, "CORS opened to every origin ('*')", {"cors.origins"});
  }
  const json& fb = at(&c.before("resilience"), "fallback_on");
  const json& fa = at(&c.after("resilience"), "fallback_on");
  if (fb.is_array() && !fb.empty() && (!fa.is_array() || fa.empty())) {
    c.add(Risk::high, "fallback removed: 'resilience.fallback_on' is now empty", {"resilience.fallback_on"});
  }
}

void classify_scope(Classifier& c, const std::string& field) {
  auto b = strings(c.before(field)), a = strings(c.after(field));
  if (b == a) return;
  auto added = minus(a, b), removed = minus(b, a);
  if (std::find(added.begin(), added.end(), "*") != added.end()) {
    c.add(Risk::high, fmt::format("scope widened: {} now '*' (every one)", field), {field});
  } else if (!added.empty()) {
    c.add(Risk::high, fmt::format("scope widened: {} + {}", field, quoted_list(added)), {field});
  }
  if (!removed.empty())
    c.add(Risk::medium, fmt::format("scope narrowed: {} - {}", field, quoted_list(removed)), {field});
  if (added.empty() && removed.empty()) c.add(Risk::low, fmt::format("{} reordered", field), {field});
}

void classify_consumer(Classifier& c, EntityChange& e) {
  if (e.action == ChangeAction::remove) {
    c.add(Risk::medium, "consumer removed: its keys stop working");
    return;
  }
  if (e.action == ChangeAction::create) {
    auto routes = strings(c.after("routes"));
    if (std::find(routes.begin(), routes.end(), "*") != routes.end()) {
      c.add(Risk::high, "new consumer with access to every route ('*')");
    } else {
      c.add(Risk::medium, "new consumer");
    }
    return;
  }
  classify_scope(c, "routes");
  classify_scope(c, "models");
  if (c.before("api_keys") != c.after("api_keys")) c.add(Risk::medium, "API keys changed", {"api_keys"});
  classify_limits(c, "limits");
  classify_budget(c);
}

void classify_provider(Classifier& c, EntityChange& e) {
  auto verify = [](const json& tls) { return !(tls.is_object() && tls.contains("verify") && tls["verify"] == false); };
  if (e.action == ChangeAction::remove) {
    c.add(Risk::medium, "provider removed");
    return;
  }
  if (e.action == ChangeAction::create) {
    if (!verify(c.after("tls"))) c.add(Risk::high, "new provider without TLS verification");
    c.add(Risk::low, "new provider: it takes traffic only through a model's deployments");
    return;
  }
  if (verify(c.before("tls")) && !verify(c.after("tls"))) {
    c.add(Risk::high, "TLS verification turned off", {"tls.verify"});
  }
  const json& ub = c.before("base_url");
  const json& ua = c.after("base_url");
  if (ub != ua && ub.is_string() && ua.is_string()) {
    bool was_tls = ub.get<std::string>().starts_with("https://");
    bool is_tls = ua.get<std::string>().starts_with("https://");
    if (was_tls && !is_tls) {
      c.add(Risk::high, "base_url no longer uses TLS (https → http)", {"base_url"});
    } else {
      c.add(Risk::medium, "upstream address changed", {"base_url"});
    }
  }
  if (c.before("api_key") != c.after("api_key")) c.add(Risk::medium, "credential reference changed", {"api_key"});
}

// Share of each deployment, in basis points.
std::map<std::string, double> shares(const json& deployments) {
  std::map<std::string, double> out;
  if (!deployments.is_array()) return out;
  double total = 0;
  for (const auto& d : deployments) total += num(d, "weight");
  for (const auto& d : deployments) {
    std::string k = item_key(d);
    if (!k.empty() && total > 0) out[k] += num(d, "weight") * 10000.0 / total;
  }
  return out;
}

void classify_model(Classifier& c, EntityChange& e) {
  if (e.action == ChangeAction::remove) {
    c.add(Risk::medium, "model alias removed");
    return;
  }
  if (e.action == ChangeAction::create) {
    if (c.after("floating") == true) c.add(Risk::high, "new model alias is unpinned (floating: true)");
    c.add(Risk::low, "new model alias: it takes traffic only through routes");
    return;
  }
  auto sb = shares(c.before("deployments")), sa = shares(c.after("deployments"));
  if (sb != sa) {
    double moved = 0;
    for (const auto& [k, v] : sa) {
      double was = sb.count(k) ? sb.at(k) : 0.0;
      if (v > was) moved += v - was;
    }
    int pct = static_cast<int>(std::lround(moved / 100.0));
    if (moved > 5000) {
      c.add(Risk::high, fmt::format("{}% of traffic shifted between deployments (more than 50%)", pct),
            {"deployments"});
    } else {
      c.add(Risk::medium, fmt::format("weights changed: {}% of traffic shifted", pct), {"deployments"});
    }
  } else if (c.before("deployments") != c.after("deployments")) {
    c.add(Risk::medium, "deployments changed", {"deployments"});
  }
  if (c.before("floating") != true && c.after("floating") == true) {
    c.add(Risk::high, "model unpinned (floating: true)", {"floating"});
  }
  if (c.before("version").is_string() && !c.after("version").is_string()) {
    c.add(Risk::high, "model version pin removed", {"version"});
  }
  auto removed = minus(strings(c.before("fallbacks")), strings(c.after("fallbacks")));
  if (!removed.empty()) c.add(Risk::high, "fallback removed: " + quoted_list(removed), {"fallbacks"});
}

void classify_gateway(Classifier& c) {
  const json& admin_b = c.before("admin");
  const json& admin_a = c.after("admin");
  const json& keys_b = at(&admin_b, "api_keys");
  const json& keys_a = at(&admin_a, "api_keys");
  if (keys_b.is_array() && !keys_b.empty() && (!keys_a.is_array() || keys_a.empty())) {
    c.add(Risk::high, "admin API keys removed", {"admin.api_keys"});
  }
  auto loopback = [](const json& listen) {
    if (!listen.is_string()) return true;
    const std::string& l = listen.get_ref<const std::string&>();
    return l.starts_with("127.") || l.starts_with("localhost:") || l.starts_with("[::1]:");
  };
  if (loopback(at(&admin_b, "listen")) && !loopback(at(&admin_a, "listen"))) {
    c.add(Risk::high, "admin listener exposed beyond loopback", {"admin.listen"});
  }
}

void classify(EntityChange& e, const json* before, const json* after) {
  Classifier c(e, before, after);
  for (const auto& f : e.fields) {
    if (f.credential_after) {
      c.add(Risk::high,
            fmt::format("a literal credential in '{}' (shown masked): use a ${{secret:NAME}} reference", f.path),
            {f.path});
    }
  }
  if (e.kind == "route") {
    classify_route(c, e);
  } else if (e.kind == "consumer") {
    classify_consumer(c, e);
  } else if (e.kind == "provider") {
    classify_provider(c, e);
  } else if (e.kind == "model") {
    classify_model(c, e);
  } else if (e.kind == "gateway") {
    classify_gateway(c);
    if (std::any_of(e.fields.begin(), e.fields.end(), [](const FieldChange& f) { return f.path == "route order"; })) {
      c.add(Risk::medium, "route order changed: the first matching route wins", {"route order"});
    }
  }
  e.reasons = c.finish();
  e.risk = Risk::none;
  for (const auto& r : e.reasons) e.risk = std::max(e.risk, r.risk);
}

// ---- entities -----------------------------------------------------------------------------

using EntityMap = std::map<std::string, const json*>;

EntityMap by_key(const json& collection) {
  EntityMap out;
  if (collection.is_object()) {
    for (const auto& [k, v] : collection.items()) out[k] = &v;
  }
  return out;
}

EntityMap by_name(const json& list) {
  EntityMap out;
  if (list.is_array()) {
    for (const auto& item : list) {
      if (item.is_object() && item.contains("name") && item["name"].is_string())
        out.emplace(item["name"].get<std::string>(), &item);
    }
  }
  return out;
}

const json& member(const json& config, const char* key) {
  static const json null_value;
  if (!config.is_object()) return null_value;
  auto it = config.find(key);
  return it == config.end() ? null_value : *it;
}

std::vector<std::string> route_order(const json& config, const std::set<std::string>& common) {
  std::vector<std::string> out;
  const json& routes = member(config, "routes");
  if (routes.is_array()) {
    for (const auto& r : routes) {
      if (r.is_object() && r.contains("name") && r["name"].is_string() && common.count(r["name"].get<std::string>()))
        out.push_back(r["name"].get<std::string>());
    }
  }
  return out;
}

void diff_collection(const std::string& kind, const EntityMap& before, const EntityMap& after, const SchemaNode* s,
                     std::vector<EntityChange>& out) {
  std::set<std::string> names;
  for (const auto& [k, v] : before) names.insert(k);
  for (const auto& [k, v] : after) names.insert(k);
  for (const auto& name : names) {
    auto ib = before.find(name);
    auto ia = after.find(name);
    const json* b = ib == before.end() ? nullptr : ib->second;
    const json* a = ia == after.end() ? nullptr : ia->second;
    if (b && a && *b == *a) continue;
    EntityChange e;
    e.kind = kind;
    e.name = name;
    e.action = !b ? ChangeAction::create : !a ? ChangeAction::remove : ChangeAction::update;
    if (e.action == ChangeAction::update) FieldDiffer(e.fields).diff(b, a, "", s, false, 0);
    classify(e, b, a);
    out.push_back(std::move(e));
  }
}

}  // namespace

std::vector<EntityChange> diff_models(const json& before, const json& after) {
  std::vector<EntityChange> out;
  const SchemaNode& root = Schema::config().root();
  auto schema_of = [&](const char* key) { return root.property(key); };
  // Gateway settings: the `gateway` mapping, and the order of routes present on both sides.
  {
    const json& gb = member(before, "gateway");
    const json& ga = member(after, "gateway");
    EntityChange e;
    e.kind = "gateway";
    e.name = "gateway";
    bool present_b = !before.is_null(), present_a = !after.is_null();
    if (present_b && present_a) {
      if (gb != ga) FieldDiffer(e.fields).diff(&gb, &ga, "", schema_of("gateway"), false, 0);
      std::set<std::string> common, names_b;
      for (const auto& [k, v] : by_name(member(before, "routes"))) names_b.insert(k);
      for (const auto& [k, v] : by_name(member(after, "routes"))) {
        if (names_b.count(k)) common.insert(k);
      }
      auto ob = route_order(before, common), oa = route_order(after, common);
      if (ob != oa) e.fields.push_back({"route order", json(ob), json(oa), ""});
      if (!e.fields.empty()) {
        classify(e, &gb, &ga);
        out.push_back(std::move(e));
      }
    } else if (present_b != present_a) {
      e.action = present_a ? ChangeAction::create : ChangeAction::remove;
      e.reasons.push_back({Risk::high, present_a ? "environment added" : "environment removed"});
      e.risk = Risk::high;
      out.push_back(std::move(e));
    }
  }
  const SchemaNode* providers = schema_of("providers");
  const SchemaNode* models = schema_of("models");
  const SchemaNode* routes = schema_of("routes");
  const SchemaNode* consumers = schema_of("consumers");
  diff_collection("provider", by_key(member(before, "providers")), by_key(member(after, "providers")),
                  providers ? providers->additional : nullptr, out);
  diff_collection("model", by_key(member(before, "models")), by_key(member(after, "models")),
                  models ? models->additional : nullptr, out);
  diff_collection("route", by_name(member(before, "routes")), by_name(member(after, "routes")),
                  routes ? routes->items : nullptr, out);
  diff_collection("consumer", by_name(member(before, "consumers")), by_name(member(after, "consumers")),
                  consumers ? consumers->items : nullptr, out);
  return out;
}

std::vector<EnvironmentDiff::File> changed_files(const std::vector<SourceInfo::File>& before,
                                                 const std::vector<SourceInfo::File>& after) {
  std::map<std::string, std::pair<std::string, std::string>> by_path;
  for (const auto& f : before) by_path[f.path].first = f.sha256;
  for (const auto& f : after) by_path[f.path].second = f.sha256;
  std::vector<EnvironmentDiff::File> out;
  for (const auto& [path, h] : by_path) {
    if (h.first == h.second) continue;
    out.push_back({path, h.first.empty() ? "added" : h.second.empty() ? "deleted" : "modified"});
  }
  return out;
}

std::vector<SourceInfo::File> source_files_of(const json& artifact) {
  std::vector<SourceInfo::File> out;
  const json& files = member(member(artifact, "source"), "files");
  if (!files.is_array()) return out;
  for (const auto& f : files) {
    const json& path = member(f, "path");
    const json& sha = member(f, "sha256");
    if (path.is_string() && sha.is_string()) out.push_back({path.get<std::string>(), sha.get<std::string>()});
  }
  return out;
}

EnvironmentDiff diff_artifacts(const json& before, const json& after) {
  auto env_of = [](const json& a) {
    const json& e = member(a, "environment");
    return e.is_string() ? e.get<std::string>() : std::string("?");
  };
  EnvironmentDiff env;
  std::string eb = env_of(before), ea = env_of(after);
  env.env = eb == ea ? eb : fmt::format("{} → {}", eb, ea);
  env.files = changed_files(source_files_of(before), source_files_of(after));
  env.changes = diff_models(member(before, "config"), member(after, "config"));
  if (!env.changes.empty()) env.status = "changed";
  return env;
}

void summarize(DiffReport& report) {
  report.risk = Risk::none;
  for (auto& env : report.envs) {
    env.risk = Risk::none;
    for (const auto& c : env.changes) env.risk = std::max(env.risk, c.risk);
    if (env.status == "unchanged" && !env.changes.empty()) env.status = "changed";
    report.risk = std::max(report.risk, env.risk);
  }
}

std::string display_value(const json& value, const std::string& unit) {
  if (is_secret_ref(value)) return fmt::format("${{secret:{}}}", value["$secret"].get<std::string>());
  if (value.is_string() && value.get_ref<const std::string&>() == masked) return std::string(masked);
  if (value.is_number() && unit == "ms") return duration_text(value.get<double>());
  if (value.is_number() && unit == "bytes") return size_text(value.get<double>());
  if (value.is_array()) {
    std::vector<std::string> items;
    for (const auto& v : value) items.push_back(display_value(v, unit));
    return fmt::format("[{}]", fmt::join(items, ", "));
  }
  if (value.is_object()) {
    std::vector<std::string> items;
    for (const auto& [k, v] : value.items()) items.push_back(fmt::format("{}: {}", k, display_value(v, "")));
    return fmt::format("{{{}}}", fmt::join(items, ", "));
  }
  return value.dump(-1, ' ', false, json::error_handler_t::replace);
}

}  // namespace gwctl
