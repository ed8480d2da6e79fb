// The policy driver: runs every built-in rule family and the declarative rules on one variant.
#include <algorithm>
#include <cmath>
#include <limits>
#include <set>
#include <thread>

#include <fmt/format.h>
#include <re2/re2.h>

#include "checker.hpp"
#include "gwctl/rules.hpp"
#include "gwctl/schema.hpp"

namespace gwctl {

namespace policy {

const Node* Checker::node_at(std::string_view pointer) const {
  std::string p(pointer);
  while (true) {
    if (const Node* n = find_pointer(config(), p)) return n;
    if (p.empty()) return nullptr;
    auto slash = p.rfind('/');
    p.resize(slash == std::string::npos ? 0 : slash);
  }
}

Span Checker::span_at(std::string_view pointer) const {
  const Node* n = node_at(pointer);
  return n ? n->span : Span{};
}

Diagnostic& Checker::report(std::string_view rule, std::string pointer, std::string message,
                            std::optional<Severity> severity) {
  Severity s = Severity::warning;
  if (severity) {
    s = *severity;
  } else if (const RuleDoc* doc = find_rule_doc(rule)) {
    s = parse_severity(doc->severity).value_or(Severity::warning);
  }
  Span span = span_at(pointer);
  out_.report(Diagnostic{s, std::string(rule), std::move(message), span, std::move(pointer), {}, {}});
  return out_.all().back();
}

std::vector<std::string> strings(const nlohmann::json& j, std::string_view key) {
  std::vector<std::string> out;
  const auto* f = field(j, key);
  if (!f || !f->is_array()) return out;
  for (const auto& v : *f) {
    if (v.is_string()) out.push_back(v.get<std::string>());
  }
  return out;
}

bool proxies(const nlohmann::json& route) {
  return !field(route, "respond");
}

ModelGraph::ModelGraph(const nlohmann::json& model) : models_(sub(model, "models")) {}

const ModelGraph::Reach& ModelGraph::reach(const std::string& alias) {
  if (auto it = reach_.find(alias); it != reach_.end()) return it->second;
  static const Reach none;
  if (!models_.contains(alias) || !visiting_.insert(alias).second) return none;  // unknown, or a cycle
  const auto& m = models_[alias];
  Reach r;
  if (const auto* pricing = field(m, "pricing")) {
    r.priced = true;
    r.input = num(*pricing, "input_per_mtok");
    r.output = num(*pricing, "output_per_mtok");
    double ctx = num(m, "context_window"), max_out = num(m, "max_output_tokens", ctx);
    if (ctx > 0) r.per_request = (ctx * r.input + max_out * r.output) / 1e6;
  }
  for (const auto& f : strings(m, "fallbacks")) {
    const Reach& next = reach(f);
    r.priced = r.priced || next.priced;
    r.input = std::max(r.input, next.input);
    r.output = std::max(r.output, next.output);
    r.per_request = std::max(r.per_request, next.per_request);
  }
  visiting_.erase(alias);
  return reach_[alias] = r;
}

std::vector<std::string> ModelGraph::asked(const nlohmann::json& route) const {
  std::vector<std::string> out;
  auto add = [&](const std::string& a) {
    if (models_.contains(a) && std::find(out.begin(), out.end(), a) == out.end()) out.push_back(a);
  };
  add(str(route, "default_model"));
  for (const auto& a : strings(route, "models")) add(a);
  return out;
}

ModelGraph::Reach ModelGraph::route_reach(const nlohmann::json& route) {
  Reach r;
  for (const auto& alias : asked(route)) {
    const Reach& one = reach(alias);
    r.priced = r.priced || one.priced;
    r.input = std::max(r.input, one.input);
    r.output = std::max(r.output, one.output);
    r.per_request = std::max(r.per_request, one.per_request);
  }
  return r;
}

std::unordered_set<std::string> ModelGraph::used_by(const nlohmann::json& routes) const {
  std::unordered_set<std::string> seen;
  std::vector<std::string> queue;
  for (std::size_t r = 0; routes.is_array() && r < routes.size(); ++r) {
    for (const auto& a : asked(routes[r])) {
      if (seen.insert(a).second) queue.push_back(a);
    }
  }
  while (!queue.empty()) {
    std::string a = std::move(queue.back());
    queue.pop_back();
    for (const auto& f : strings(models_[a], "fallbacks")) {
      if (models_.contains(f) && seen.insert(f).second) queue.push_back(f);
    }
  }
  return seen;
}

std::size_t ModelGraph::depth(const std::string& alias, std::size_t cap) {
  if (auto it = depth_.find(alias); it != depth_.end()) return it->second;
  if (!models_.contains(alias) || !visiting_.insert(alias).second) return 0;
  std::size_t best = 0;
  for (const auto& f : strings(models_[alias], "fallbacks")) {
    if (f == alias || !models_.contains(f)) continue;
    best = std::max(best, std::min(cap, 1 + depth(f, cap)));
  }
  visiting_.erase(alias);
  return depth_[alias] = best;
}

namespace {

// Selected nodes of a glob over a JSON document: (pointer, node).
void select(const nlohmann::json& at, std::string_view glob, std::string& pointer,
            std::vector<std::pair<std::string, const nlohmann::json*>>& out) {
  if (glob.empty() || glob == "/") {
    out.emplace_back(pointer, &at);
    return;
  }
  glob.remove_prefix(1);
  auto slash = glob.find('/');
  std::string token = pointer_unescape(glob.substr(0, slash));
  std::string_view rest = slash == std::string_view::npos ? std::string_view{} : glob.substr(slash);
  auto visit = [&](const std::string& key, const nlohmann::json& child) {
    auto mark = pointer.size();
    pointer += '/';
    pointer += pointer_escape(key);
    select(child, rest, pointer, out);
    pointer.resize(mark);
  };
  if (at.is_object()) {
    for (const auto& [key, child] : at.items()) {
      if (token == "*" || token == key) visit(key, child);
    }
  } else if (at.is_array()) {
    for (std::size_t i = 0; i < at.size(); ++i) {
      // A named item is selected by its index or by its name.
      std::string name = at[i].is_object() ? str(at[i], "name") : std::string();
      if (token == "*" || token == std::to_string(i) || (!name.empty() && token == name)) {
        visit(std::to_string(i), at[i]);
      }
    }
  }
}

// The patterns of a rule, checked with RE2 against the instance (see rules.cpp).
std::string failing_pattern(const DeclarativeRule& rule, const nlohmann::json& instance) {
  for (const auto& [at, regex] : rule.patterns) {
    // Walk the schema pointer alongside the instance: properties/NAME → key, items → every
    // item, additionalProperties → every value, allOf/N → the same instance.
    std::vector<std::pair<std::string, const nlohmann::json*>> current = {{"", &instance}};
    std::string_view rest = at;
    while (!rest.empty() && !current.empty()) {
      rest.remove_prefix(1);
      auto slash = rest.find('/');
      std::string_view word = rest.substr(0, slash);
      rest = slash == std::string_view::npos ? std::string_view{} : rest.substr(slash);
      std::vector<std::pair<std::string, const nlohmann::json*>> next;
      if (word == "properties") {
        rest.remove_prefix(1);
        auto s2 = rest.find('/');
        std::string name = pointer_unescape(rest.substr(0, s2));
        rest = s2 == std::string_view::npos ? std::string_view{} : rest.substr(s2);
        for (const auto& [p, j] : current) {
          if (j->is_object() && j->contains(name)) next.emplace_back(p + "/" + pointer_escape(name), &(*j)[name]);
        }
      } else if (word == "items") {
        for (const auto& [p, j] : current) {
          if (!j->is_array()) continue;
          for (std::size_t i = 0; i < j->size(); ++i) next.emplace_back(p + "/" + std::to_string(i), &(*j)[i]);
        }
      } else if (word == "additionalProperties") {
        for (const auto& [p, j] : current) {
          if (!j->is_object()) continue;
          for (const auto& [k, v] : j->items()) next.emplace_back(p + "/" + pointer_escape(k), &v);
        }
      } else if (word == "allOf") {
        auto s2 = rest.find('/', 1);
        rest = s2 == std::string_view::npos ? std::string_view{} : rest.substr(s2);
        next = current;
      }
      current = std::move(next);
    }
    RE2 re(regex, RE2::Quiet);
    for (const auto& [p, j] : current) {
      if (!j->is_string()) continue;
      const std::string& s = j->get_ref<const std::string&>();
      if (!RE2::PartialMatch(s, re)) return p.empty() ? "/" : p;
    }
  }
  return {};
}

}  // namespace

bool route_scoped(const DeclarativeRule& rule) {
  return rule.on_model && (rule.select == "/routes/*" || rule.select.starts_with("/routes/*/"));
}

void check_declarative(Checker& c, const DeclarativeRule& rule, const nlohmann::json* route, std::size_t r) {
  std::vector<std::pair<std::string, const nlohmann::json*>> selected;
  nlohmann::json written;
  if (route) {
    std::string pointer = route_ptr(r);
    select(*route, std::string_view(rule.select).substr(std::string_view("/routes/*").size()), pointer, selected);
  } else {
    const nlohmann::json* doc = &c.model();
    if (!rule.on_model) {
      written = to_json(c.config());
      doc = &written;
    }
    std::string pointer;
    select(*doc, rule.select, pointer, selected);
  }
  for (const auto& [at, node] : selected) {
    auto violations = rule.schema->check(*node);
    std::string where;
    if (!violations.empty()) {
      // The deepest position valijson names is the most precise one.
      for (const auto& v : violations) {
        if (v.pointer.size() >= where.size()) where = v.pointer;
      }
      if (where == "/") where.clear();
    } else {
      std::string p = failing_pattern(rule, *node);
      if (p.empty()) continue;
      where = p == "/" ? "" : p;
    }
    std::string full = at + where;
    std::string message = rule.message;
    for (std::size_t p = 0; (p = message.find("{path}", p)) != std::string::npos;) {
      std::string path = c.where(at);
      message.replace(p, 6, path);
      p += path.size();
    }
    Severity s = parse_severity(rule.doc.severity).value_or(Severity::warning);
    auto& d = c.report(rule.doc.id, full, message, s);
    if (!rule.doc.fix.empty()) d.hint = rule.doc.fix.substr(0, rule.doc.fix.find('\n'));
  }
}

}  // namespace policy

namespace {

// Route-local checks, once per distinct route node: lint's variants share most routes.
void check_routes(const PolicyContext& context, const std::vector<const DeclarativeRule*>& declarative,
                  Diagnostics& diags) {
  const auto& routes = policy::sub(*context.model, "routes");
  const Node* written = context.config->get("routes");
  for (std::size_t r = 0; routes.is_array() && r < routes.size(); ++r) {
    NodePtr node = written && written->is_seq() && r < written->items.size() ? written->items[r] : nullptr;
    std::string prefix = policy::route_ptr(r);
    if (context.cache && node) {
      if (auto cached = context.cache->find(node.get())) {
        for (Diagnostic& d : *cached) {
          d.path = prefix + d.path;
          diags.report(std::move(d));
        }
        continue;
      }
    }
    Diagnostics local;
    policy::Checker lc(context, local);
    policy::check_auth_route(lc, routes[r], r);
    policy::check_resilience_route(lc, routes[r], r);
    policy::check_cost_route(lc, routes[r], r);
    for (const auto* rule : declarative) {
      if (policy::route_scoped(*rule)) policy::check_declarative(lc, *rule, &routes[r], r);
    }
    if (context.cache && node) {
      std::vector<Diagnostic> relative;
      for (Diagnostic d : local.all()) {
        d.path = d.path.substr(std::min(prefix.size(), d.path.size()));
        relative.push_back(std::move(d));
      }
      context.cache->store(node, std::move(relative));
    }
    for (auto& d : local.all()) diags.report(std::move(d));
  }
}

// The checks that read across entities.
void check_whole(const PolicyContext& context, const std::vector<const DeclarativeRule*>& declarative,
                 Diagnostics& diags) {
  policy::Checker c(context, diags);
  policy::check_references(c);
  policy::check_auth(c);
  policy::check_resilience(c);
  policy::check_cost(c);
  for (const auto* rule : declarative) {
    if (!policy::route_scoped(*rule)) policy::check_declarative(c, *rule);
  }
}

}  // namespace

void check_policy(const PolicyContext& context, Diagnostics& diags) {
  if (!context.config || !context.model || !context.model->is_object()) return;
  std::vector<const DeclarativeRule*> declarative;
  for (const auto& rule : builtin_declarative_rules()) declarative.push_back(&rule);
  if (context.custom_rules) {
    for (const auto& rule : *context.custom_rules) declarative.push_back(rule.get());
  }
  if (!context.parallel) {
    check_routes(context, declarative, diags);
    check_whole(context, declarative, diags);
    return;
  }
  // The two halves only read the model; their findings are appended in the same order.
  Diagnostics whole;
  {
    std::jthread other([&] { check_whole(context, declarative, whole); });
    check_routes(context, declarative, diags);
  }
  diags.append(whole);
}

std::optional<std::vector<Diagnostic>> PolicyCache::find(const Node* route) const {
  std::lock_guard lock(mutex_);
  auto it = routes_.find(route);
  if (it == routes_.end()) return std::nullopt;
  return it->second.diags;
}

void PolicyCache::store(const NodePtr& route, std::vector<Diagnostic> diags) {
  std::lock_guard lock(mutex_);
  routes_.emplace(route.get(), Entry{route, std::move(diags)});
}

std::string SeverityOverrides::lookup(const std::string& env, const std::string& rule) const {
  if (auto e = by_env.find(env); e != by_env.end()) {
    if (auto r = e->second.find(rule); r != e->second.end()) return r->second;
  }
  if (auto r = all.find(rule); r != all.end()) return r->second;
  return {};
}

void apply_severity_overrides(const SeverityOverrides& overrides, const std::string& env, Diagnostics& diags) {
  if (overrides.all.empty() && overrides.by_env.empty()) return;
  Diagnostics kept;
  for (auto& d : diags.all()) {
    std::string o = d.rule.starts_with("GW1") ? std::string() : overrides.lookup(env, d.rule);
    if (o == "off") continue;
    if (auto s = parse_severity(o)) d.severity = *s;
    kept.report(std::move(d));
  }
  diags = std::move(kept);
}

bool pointer_glob_covers(std::string_view glob, std::string_view pointer) {
  while (true) {
    if (glob.empty()) return true;  // the glob covers everything below it
    if (pointer.empty()) return false;
    glob.remove_prefix(1);
    pointer.remove_prefix(1);
    auto gs = glob.find('/');
    auto ps = pointer.find('/');
    std::string_view g = glob.substr(0, gs), p = pointer.substr(0, ps);
    if (g != "*" && g != p) return false;
    glob = gs == std::string_view::npos ? std::string_view{} : glob.substr(gs);
    pointer = ps == std::string_view::npos ? std::string_view{} : pointer.substr(ps);
  }
}

}  // namespace gwctl
