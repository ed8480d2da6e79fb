#include "gwctl/parity.hpp"

#include <algorithm>
#include <map>
#include <set>
#include <unordered_map>
#include <unordered_set>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "gwctl/policy.hpp"
#include "gwctl/secret_scan.hpp"
#include "gwctl/secrets.hpp"

namespace gwctl {

namespace {

bool named_list(const Node* n) {
  if (!n || !n->is_seq() || n->items.empty()) return false;
  return std::all_of(n->items.begin(), n->items.end(), [](const NodePtr& i) {
    const Node* name = i->is_map() ? i->get("name") : nullptr;
    return name && name->is_scalar();
  });
}

// A value as a message may show it: a literal under a credential-named key is "<secret>"
// (references stay), and a credential the secret scan recognises anywhere else (a password in
// a URL, a key in a description) is masked with '*'.
nlohmann::json shown(const nlohmann::json& v, bool secret) {
  if (v.is_string()) {
    const auto& s = v.get_ref<const std::string&>();
    if (secret && !is_secret_reference(s)) return "<secret>";
    return mask_detected_secrets(s);
  }
  if (secret && !v.is_structured() && !v.is_null()) return "<secret>";
  if (v.is_object()) {
    nlohmann::json out = nlohmann::json::object();
    for (const auto& [k, item] : v.items()) out[k] = shown(item, secret || looks_like_secret_key(k));
    return out;
  }
  if (v.is_array()) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& item : v) out.push_back(shown(item, secret));
    return out;
  }
  return v;
}

std::string value_text(const Node* n, std::string_view key) {
  if (!n) return "(absent)";
  bool secret = looks_like_secret_key(key);
  if (secret && !(n->is_string() && is_secret_reference(n->text))) return "<secret>";
  if (n->is_scalar()) return n->kind == NodeKind::string ? mask_detected_secrets(n->text) : n->scalar_text();
  std::string text = shown(to_json(*n), false).dump();
  if (text.size() > 60) text = text.substr(0, 57) + "...";
  return text;
}

class Comparer {
 public:
  Comparer(const Pipeline& pipeline, const std::vector<std::string>& envs) : pipeline_(pipeline), envs_(envs) {
    for (const auto& env : envs) {
      roots_.push_back(pipeline.run(Variant{env, {}}, Stage::merge).merged.root);
    }
    for (const auto& g : pipeline.project().settings.parity_may_differ) globs_.push_back(g);
  }

  std::vector<Drift> run() {
    std::vector<const Node*> nodes;
    for (const auto& r : roots_) nodes.push_back(r.get());
    std::string path, where;
    compare(nodes, path, where, "");
    std::sort(out_.begin(), out_.end(), [](const Drift& a, const Drift& b) { return a.path < b.path; });
    return std::move(out_);
  }

 private:
  bool allowed(const std::string& path) const {
    if (path == "/vars" || path.starts_with("/vars/") || path == "/flags" || path.starts_with("/flags/")) return true;
    return std::any_of(globs_.begin(), globs_.end(),
                       [&](const std::string& g) { return pointer_glob_covers(g, path); });
  }

  void compare(const std::vector<const Node*>& nodes, std::string& path, std::string& where, std::string_view key) {
    if (!path.empty() && allowed(path)) return;
    bool same = std::all_of(nodes.begin(), nodes.end(), [&](const Node* n) { return n == nodes.front(); });
    if (same) return;  // a shared subtree: no overlay touched it
    bool maps = std::all_of(nodes.begin(), nodes.end(), [](const Node* n) { return n && n->is_map(); });
    bool named = std::all_of(nodes.begin(), nodes.end(), [](const Node* n) { return named_list(n); });
    if (maps) {
      std::vector<std::string> keys;
      std::set<std::string> seen;
      for (const Node* n : nodes) {
        for (const auto& e : n->entries) {
          if (seen.insert(e.key).second) keys.push_back(e.key);
        }
      }
      for (const auto& k : keys) {
        std::vector<const Node*> children;
        for (const Node* n : nodes) children.push_back(n->get(k));
        descend(children, path, where, k, where.empty() ? k : where + "." + k);
      }
      return;
    }
    if (named) {
      std::vector<std::string> names;
      std::vector<std::unordered_map<std::string, const Node*>> by_name(nodes.size());
      std::unordered_set<std::string> seen;
      for (std::size_t k = 0; k < nodes.size(); ++k) {
        for (const auto& i : nodes[k]->items) {
          std::string name = i->get("name")->scalar_text();
          by_name[k].emplace(name, i.get());
          if (seen.insert(name).second) names.push_back(name);
        }
      }
      for (const auto& name : names) {
        std::vector<const Node*> children;
        for (const auto& index : by_name) {
          auto it = index.find(name);
          children.push_back(it == index.end() ? nullptr : it->second);
        }
        descend(children, path, where, name, fmt::format("{}[{}]", where, name));
      }
      return;
    }
    // Leaves (or a change of shape): compare the values.
    std::vector<std::string> texts;
    for (const Node* n : nodes)
      texts.push_back(n ? to_json(*n).dump()
                        : std::string("\x01"
                                      "absent"));
    if (std::all_of(texts.begin(), texts.end(), [&](const std::string& t) { return t == texts.front(); })) return;
    Drift d;
    d.path = path;
    d.where = where;
    for (std::size_t i = 0; i < nodes.size(); ++i) {
      Drift::Value v;
      v.env = envs_[i];
      v.text = value_text(nodes[i], key);
      if (nodes[i]) {
        v.span = nodes[i]->span;
        v.by_overlay = v.span.valid() && pipeline_.project().sources.file(v.span.file).layer == "env:" + envs_[i];
      }
      d.values.push_back(std::move(v));
    }
    out_.push_back(std::move(d));
  }

  void descend(const std::vector<const Node*>& children, std::string& path, std::string& where, const std::string& key,
               std::string child_where) {
    auto mark = path.size();
    path += '/';
    path += pointer_escape(key);
    std::string saved = std::move(where);
    where = std::move(child_where);
    compare(children, path, where, key);
    where = std::move(saved);
    path.resize(mark);
  }

  const Pipeline& pipeline_;
  const std::vector<std::string>& envs_;
  std::vector<NodePtr> roots_;
  std::vector<std::string> globs_;
  std::vector<Drift> out_;
};

}  // namespace

std::vector<Drift> parity_drift(const Pipeline& pipeline, const std::vector<std::string>& envs) {
  if (envs.size() < 2) return {};
  return Comparer(pipeline, envs).run();
}

std::vector<std::pair<std::string, Diagnostic>> check_parity(const Pipeline& pipeline,
                                                             const std::vector<Variant>& configured) {
  std::vector<std::pair<std::string, Diagnostic>> out;
  std::vector<std::string> envs;
  for (const auto& v : configured) envs.push_back(v.env);
  for (const auto& drift : parity_drift(pipeline, envs)) {
    std::vector<std::string> parts;
    for (const auto& v : drift.values) parts.push_back(fmt::format("{}: {}", v.env, v.text));
    std::string message = fmt::format("'{}' differs between environments ({}) outside parity.may_differ", drift.where,
                                      fmt::join(parts, ", "));
    auto make = [&](const Drift::Value& v) {
      Diagnostic d{Severity::warning, "GW701", message, v.span, drift.path, {}, {}};
      d.hint =
          "set it in the base layer for every environment, use a flag overlay, or add the path to "
          "parity.may_differ in gwctl.yaml";
      return d;
    };
    bool any = false;
    for (const auto& v : drift.values) {
      if (!v.by_overlay) continue;
      out.emplace_back(v.env, make(v));
      any = true;
    }
    if (!any) {
      // Differs through a variable or a deletion: point at the first environment's value.
      for (const auto& v : drift.values) {
        if (v.span.valid()) {
          out.emplace_back(v.env, make(v));
          break;
        }
      }
    }
  }
  // GW702: a flag on in an environment but off in the one before it in promotion order: it
  // reaches production without having run in staging.
  for (std::size_t i = 1; i < configured.size(); ++i) {
    const Variant& before = configured[i - 1];
    const Variant& after = configured[i];
    NodePtr merged;  // merged once, for the first flag out of order
    for (const auto& flag : after.flags) {
      if (std::find(before.flags.begin(), before.flags.end(), flag) != before.flags.end()) continue;
      if (!merged) merged = pipeline.run(Variant{after.env, {}}, Stage::merge).merged.root;
      const Node* flags = merged && merged->is_map() ? merged->get("flags") : nullptr;
      const Entry* e = flags && flags->is_map() ? flags->entry(flag) : nullptr;
      Diagnostic d{Severity::warning,
                   "GW702",
                   fmt::format("flag '{}' is on in '{}' but off in '{}', which comes before it in promotion order",
                               flag, after.env, before.env),
                   e ? e->value->span : Span{},
                   pointer_append("/flags", flag),
                   {},
                   fmt::format("turn it on in '{}' first, so that it runs there before '{}'", before.env, after.env)};
      out.emplace_back(after.env, std::move(d));
    }
  }
  return out;
}

}  // namespace gwctl
