#include "gwctl/validate.hpp"

#include <algorithm>
#include <atomic>
#include <map>
#include <mutex>
#include <set>
#include <thread>
#include <unordered_map>

#include <fmt/format.h>

#include "gwctl/interpolate.hpp"
#include "gwctl/secrets.hpp"
#include "gwctl/units.hpp"

namespace gwctl {

namespace {

using json = nlohmann::json;

// Adds "it replaced …": where the offending value overrode an earlier layer.
void add_provenance(Diagnostic& d, const Node* node) {
  if (node && node->replaced && node->replaced->span.valid()) {
    d.notes.push_back({"it replaced the value set here", node->replaced->span});
  }
}

std::string type_words(const json& s) {
  auto it = s.find("type");
  if (it == s.end()) return "a valid value";
  auto one = [](const std::string& t) -> std::string {
    if (t == "object") return "a mapping";
    if (t == "array") return "a list";
    if (t == "integer") return "an integer";
    if (t == "number") return "a number";
    if (t == "boolean") return "true or false";
    if (t == "string") return "a string";
    if (t == "null") return "null";
    return t;
  };
  if (it->is_string()) return one(it->get<std::string>());
  std::string out;
  for (std::size_t i = 0; i < it->size(); ++i) {
    if (i) out += i + 1 == it->size() ? " or " : ", ";
    out += one((*it)[i].get<std::string>());
  }
  return out;
}

std::string kind_words(const Node& n) {
  switch (n.kind) {
    case NodeKind::mapping:
      return "a mapping";
    case NodeKind::sequence:
      return "a list";
    case NodeKind::null:
      return "null";
    case NodeKind::boolean:
      return fmt::format("'{}'", n.scalar_text());
    case NodeKind::integer:
    case NodeKind::number:
      return fmt::format("the number {}", n.scalar_text());
    case NodeKind::string:
      return fmt::format("the string '{}'", n.text);
  }
  return "a value";
}

std::string last_token(std::string_view pointer) {
  auto slash = pointer.rfind('/');
  return pointer_unescape(slash == std::string_view::npos ? pointer : pointer.substr(slash + 1));
}

// The last token of a pointer for a message; a list item is named by its list: "consumers[0]".
std::string display_key(std::string_view pointer) {
  std::string name = last_token(pointer);
  if (!name.empty() && name.find_first_not_of("0123456789") == std::string::npos && pointer.rfind('/') != 0 &&
      pointer.rfind('/') != std::string_view::npos) {
    name = last_token(pointer.substr(0, pointer.rfind('/'))) + "[" + name + "]";
  }
  return name;
}

std::string format_number(double v) {
  if (v == static_cast<double>(static_cast<std::int64_t>(v))) return std::to_string(static_cast<std::int64_t>(v));
  return fmt::format("{}", v);
}

// Checks one unit: a subtree (the whole config, its skeleton, or one entity) at `base` in the
// document. Diagnostics carry full pointers; messages name things by their display path.
class UnitValidator {
 public:
  UnitValidator(const Node& doc, const Schema& schema, Diagnostics& diags, const std::set<std::string>* skip_items)
      : doc_(doc), schema_(schema), diags_(diags), skip_items_(skip_items) {}

  void walk(const Node& node, const SchemaNode& s, std::string& path) {
    if (s.kind == SchemaNode::Kind::secret_ref && s.stringly) return secret(node, path);
    if ((s.kind == SchemaNode::Kind::duration || s.kind == SchemaNode::Kind::size) && s.stringly) {
      return unit(node, path, s.kind == SchemaNode::Kind::duration);
    }
    if (node.is_string()) {
      if (s.stringly && parse_secret_ref(node.text)) return misplaced_secret(node, path);
      if (!s.pattern.empty() && !schema_.matches(s.pattern, node.text)) pattern_error(node, path, s);
      return;
    }
    if (node.is_map()) return mapping(node, s, path);
    if (node.is_seq() && s.items) {
      if (skip_items_ && skip_items_->count(path)) return;
      for (std::size_t i = 0; i < node.items.size(); ++i) {
        auto mark = path.size();
        path += '/';
        path += std::to_string(i);
        walk(*node.items[i], *s.items, path);
        path.resize(mark);
      }
    }
  }

  // valijson's errors for the subtree `unit` (schema `unit_schema`) at pointer `base`.
  void valijson_errors(const std::vector<Schema::Violation>& violations, const Node& unit,
                       const SchemaNode& unit_schema, const std::string& base) {
    std::map<std::string, std::vector<std::string>> by_path;
    std::vector<std::string> order;
    for (const auto& v : violations) {
      if (!by_path.count(v.pointer)) order.push_back(v.pointer);
      by_path[v.pointer].push_back(v.description);
    }
    for (const auto& rel : order) {
      std::string p = base + rel;
      if (covered(p)) continue;
      const Node* node = find_pointer(unit, rel);
      const SchemaNode* s = schema_at(unit, unit_schema, rel);
      const auto& descs = by_path[rel];
      bool any_of = std::any_of(descs.begin(), descs.end(), [](const std::string& d) {
        return d.find("anyOf") != std::string::npos || d.find("oneOf") != std::string::npos ||
               d.find("exactly one child") != std::string::npos;
      });
      if (any_of) {
        if (oneof_done_.count(p)) continue;
        std::string msg = s && !s->message.empty() ? fmt::format("{}, not {}", s->message,
                                                                 !node             ? "this"
                                                                 : s->holds_secret ? std::string(to_string(node->kind))
                                                                                   : kind_words(*node))
                                                   : fmt::format("{} is not an allowed value",
                                                                 p.empty() ? "the config" : describe_path(doc_, p));
        report(node, p, msg, s);
        continue;
      }
      std::set<std::string> seen;
      for (const auto& d : descs) {
        std::string msg = translate(d, node, p, s);
        if (msg.empty() || !seen.insert(msg).second) continue;
        report(node, p, msg, s);
      }
    }
  }

 private:
  void report(const Node* node, const std::string& p, std::string msg, const SchemaNode* s) {
    Diagnostic d{Severity::error, "GW104", std::move(msg), node ? node->span : Span{}, p, {}, {}};
    if (s && !s->description.empty() && s->description.size() < 160) {
      d.hint = fmt::format("'{}': {}", display_key(p), s->description);
    }
    add_provenance(d, node);
    diags_.report(std::move(d));
  }

  // Whether an earlier, better message already covers this pointer or one above it.
  bool covered(const std::string& p) const {
    for (std::size_t end = p.size();; end = p.rfind('/', end - 1)) {
      if (handled_.count(p.substr(0, end))) return true;
      if (end == 0 || end == std::string::npos) return false;
    }
  }

  static const SchemaNode* schema_at(const Node& unit, const SchemaNode& unit_schema, const std::string& rel) {
    const SchemaNode* s = &unit_schema;
    const Node* node = &unit;
    std::size_t i = 0;
    while (i < rel.size() && s) {
      std::size_t next = rel.find('/', i + 1);
      std::string tok = last_token(rel.substr(0, next == std::string::npos ? rel.size() : next));
      if (node && node->is_seq()) {
        s = s->items;
        std::size_t idx = std::strtoul(tok.c_str(), nullptr, 10);
        node = idx < node->items.size() ? node->items[idx].get() : nullptr;
      } else {
        const SchemaNode* prop = s->property(tok);
        s = prop ? prop : s->additional;
        node = node ? node->get(tok) : nullptr;
      }
      i = next == std::string::npos ? rel.size() : next;
    }
    return s;
  }

  std::string translate(const std::string& d, const Node* node, const std::string& p, const SchemaNode* sn) {
    const json& s = sn && sn->raw ? *sn->raw : json::object();
    std::string key = p.empty() ? "the config" : fmt::format("'{}'", display_key(p));
    if (d.starts_with("Failed to validate item #") || d.starts_with("Failed to validate against schema associated") ||
        d.starts_with("Object contains a property") || d.starts_with("Failed to validate against additional") ||
        d.starts_with("Failed to validate against dependent") || d.starts_with("Cannot validate item #")) {
      return {};
    }
    if (d.starts_with("Value type not permitted")) {
      bool secret = sn && sn->holds_secret;  // never quote what may be a credential
      return fmt::format("{} must be {}, not {}", key, type_words(s),
                         !node    ? "this"
                         : secret ? std::string(to_string(node->kind))
                                  : kind_words(*node));
    }
    if (d.starts_with("Failed to match against any enum values")) {
      std::vector<std::string> allowed;
      if (s.contains("enum")) {
        for (const auto& v : s["enum"]) allowed.push_back(v.is_string() ? v.get<std::string>() : v.dump());
      }
      std::string value = node ? node->scalar_text() : "";
      std::string guess = did_you_mean(value, allowed);
      std::string list;
      for (std::size_t i = 0; i < allowed.size(); ++i) list += (i ? ", '" : "'") + allowed[i] + "'";
      return guess.empty() ? fmt::format("{} must be one of {}, not '{}'", key, list, value)
                           : fmt::format("{} must be one of {}, not '{}'; did you mean '{}'?", key, list, value, guess);
    }
    if (d.starts_with("Missing required property '")) {
      std::string prop = d.substr(27, d.find('\'', 27) - 27);
      if (oneof_props_.count(p + "#" + prop)) return {};
      return fmt::format("{} is missing the required field '{}'", p.empty() ? "the config" : describe_path(doc_, p),
                         prop);
    }
    if (d.starts_with("Missing dependency '")) {
      std::string dep = d.substr(20, d.find('\'', 20) - 20);
      return fmt::format("{} also needs '{}'", p.empty() ? "the config" : describe_path(doc_, p), dep);
    }
    if (d.starts_with("Failed to match expected value set by 'const'")) {
      return fmt::format("{} must be {}", key, s.contains("const") ? s["const"].dump() : "a fixed value");
    }
    if (d.starts_with("Expected number")) {
      std::string bound;
      auto add = [&](const char* kw, const char* words) {
        if (!s.contains(kw)) return;
        bound += fmt::format("{}{} {}", bound.empty() ? "" : " and ", words, format_number(s[kw].get<double>()));
      };
      add("minimum", "at least");
      add("exclusiveMinimum", "greater than");
      add("maximum", "at most");
      add("exclusiveMaximum", "less than");
      return fmt::format("{} must be {}, not {}", key, bound.empty() ? "in range" : bound,
                         node ? node->scalar_text() : "this");
    }
    if (d.starts_with("Elements at indexes #")) return fmt::format("{} lists the same value more than once", key);
    if (d.starts_with("Array should contain no fewer than")) return fmt::format("{} must not be empty", key);
    std::string out = d;
    if (!out.empty()) out[0] = static_cast<char>(std::tolower(out[0]));
    if (out.ends_with('.')) out.pop_back();
    return fmt::format("{}: {}", key, out);
  }

  void secret(const Node& node, const std::string& path) {
    if (node.is_string() && parse_secret_ref(node.text)) return;
    handled_.insert(path);
    std::string field = describe_path(doc_, path);
    Diagnostic d{
        Severity::error,
        "GW111",
        node.is_string()
            ? fmt::format("'{}' holds a literal value; secret-bearing fields accept only a secret reference", field)
            : fmt::format("'{}' must be a secret reference, not {}", field, to_string(node.kind)),
        node.span,
        path,
        {},
        "write '${secret:NAME}' and give gwd the value at start (env var NAME or --secrets-dir)"};
    d.mask_span = true;
    diags_.report(std::move(d));
  }

  // gwd resolves references only in secret-bearing fields; anywhere else one would reach the
  // upstream as the literal text "${secret:NAME}".
  void misplaced_secret(const Node& node, const std::string& path) {
    handled_.insert(path);
    diags_.report({Severity::error,
                   "GW115",
                   fmt::format("'{}' is not a secret-bearing field; a secret reference is not resolved here",
                               describe_path(doc_, path)),
                   node.span,
                   path,
                   {},
                   "secret references work in api_key, api_keys and auth.secret; put plain values here"});
  }

  void unit(const Node& node, const std::string& path, bool duration) {
    if (!node.is_string()) return;  // valijson reports the type
    if (duration ? parse_duration_ms(node.text).has_value() : parse_size_bytes(node.text).has_value()) return;
    handled_.insert(path);
    Diagnostic d{
        Severity::error,
        "GW112",
        fmt::format("'{}' is not a valid {} for '{}'", node.text, duration ? "duration" : "size", last_token(path)),
        node.span,
        path,
        {},
        duration ? "write a whole number and a unit: 250ms, 10s, 5m, 1h, 1d (at most 365d)"
                 : "write a whole number and a unit: 512B, 64KiB, 1MiB, 2GiB (at most 1024GiB)"};
    add_provenance(d, &node);
    diags_.report(std::move(d));
  }

  void pattern_error(const Node& node, const std::string& path, const SchemaNode& s) {
    handled_.insert(path);
    std::string what = s.is_name ? "a valid name (letters, digits, '.', '_', '-'; starting with a letter or digit)"
                                 : fmt::format("of the form {}", s.pattern);
    // A schema that says why (x-gwctl-pattern-message) is quoted instead of its regular expression.
    std::string message = s.pattern_message.empty()
                              ? fmt::format("'{}' is not {} for '{}'", node.text, what, last_token(path))
                              : fmt::format("the value of '{}' {}", last_token(path), s.pattern_message);
    Diagnostic d{Severity::error,
                 "GW104",
                 std::move(message),
                 node.span,
                 path,
                 {},
                 s.description.size() < 200 ? s.description : std::string()};
    add_provenance(d, &node);
    diags_.report(std::move(d));
  }

  void mapping(const Node& node, const SchemaNode& s, std::string& path) {
    bool skip = skip_items_ && skip_items_->count(path);
    for (const auto& e : node.entries) {
      auto mark = path.size();
      path += '/';
      path += pointer_escape(e.key);
      if (const SchemaNode* prop = s.property(e.key)) {
        walk(*e.value, *prop, path);
      } else if (s.closed) {
        unknown_key(e, s, path);
      } else {
        if (!s.names_pattern.empty() && !schema_.matches(s.names_pattern, e.key)) {
          handled_.insert(path);
          diags_.report({Severity::error,
                         "GW104",
                         s.names_message.empty()
                             ? fmt::format("'{}' is not a valid name (letters, digits, '.', '_', '-'; starting "
                                           "with a letter or digit)",
                                           e.key)
                             : fmt::format("'{}' {}", e.key, s.names_message),
                         e.key_span,
                         path,
                         {},
                         {}});
        }
        if (s.additional && !skip) walk(*e.value, *s.additional, path);
      }
      path.resize(mark);
    }
    // "Exactly one of these fields", written as oneOf over `required` branches.
    if (!s.one_of_required.empty()) {
      int satisfied = 0;
      for (const auto& branch : s.one_of_required) {
        bool ok = true;
        for (const auto& r : branch) {
          if (!node.get(r)) ok = false;
          oneof_props_.insert(path + "#" + r);
        }
        satisfied += ok;
      }
      oneof_done_.insert(path);
      if (satisfied != 1) {
        std::string msg = s.message.empty() ? "the fields do not match any allowed combination" : s.message;
        diags_.report({Severity::error,
                       "GW104",
                       fmt::format("{} in {}", msg, describe_path(doc_, path)),
                       node.span,
                       path,
                       {},
                       {}});
      }
    }
  }

  void unknown_key(const Entry& e, const SchemaNode& s, const std::string& path) {
    handled_.insert(path);
    std::vector<std::string> known = s.property_names();
    std::string parent = path.substr(0, path.rfind('/'));
    Diagnostic d{Severity::error,
                 "GW102",
                 fmt::format("unknown key '{}' in {}", e.key, describe_path(doc_, parent)),
                 e.key_span,
                 path,
                 {},
                 {}};
    d.span.length = static_cast<std::uint32_t>(e.key.size());
    std::string guess = did_you_mean(e.key, known);
    // "api_kye: sk-…" is a credential under a misspelt key.
    const SchemaNode* meant = guess.empty() ? nullptr : s.property(guess);
    d.mask_value = (meant && meant->holds_secret) || looks_like_secret_key(e.key);
    if (!guess.empty()) {
      d.message += fmt::format("; did you mean '{}'?", guess);
    } else if (!known.empty()) {
      d.hint = fmt::format("allowed keys: {}", fmt::join(known, ", "));
    }
    diags_.report(std::move(d));
  }

  const Node& doc_;
  const Schema& schema_;
  Diagnostics& diags_;
  const std::set<std::string>* skip_items_;
  std::set<std::string> handled_;
  std::set<std::string> oneof_done_;
  std::set<std::string> oneof_props_;
};

// The skeleton: the document with each collection's items reduced to an empty mapping, which
// the skeleton schema accepts; the items are checked one by one.
json skeleton_json(const Node& root, const std::vector<std::string>& collections) {
  json out = json::object();
  for (const auto& e : root.entries) {
    bool collection = std::find(collections.begin(), collections.end(), e.key) != collections.end();
    if (collection && e.value->is_map()) {
      json m = json::object();
      for (const auto& item : e.value->entries) m[item.key] = json::object();
      out[e.key] = std::move(m);
    } else if (collection && e.value->is_seq()) {
      out[e.key] = json::array();
      for (std::size_t i = 0; i < e.value->items.size(); ++i) out[e.key].push_back(json::object());
    } else {
      out[e.key] = to_json(*e.value);
    }
  }
  return out;
}

}  // namespace

struct ValidationCache::Impl {
  // Messages name the entity ("routes[chat]", "models.m1"), so the name is part of the key:
  // one node aliased under two names is checked under each.
  struct Key {
    const Node* node;
    const SchemaNode* schema;
    std::string display;
    bool operator==(const Key&) const = default;
  };
  struct Hash {
    std::size_t operator()(const Key& k) const {
      return (std::hash<const void*>()(k.node) * 31 + std::hash<const void*>()(k.schema)) ^
             std::hash<std::string>()(k.display);
    }
  };
  std::unordered_map<Key, std::vector<Diagnostic>, Hash> entries;  // pointers relative to the item
  std::vector<NodePtr> keep_alive;                                 // roots whose nodes are keys
  std::mutex mutex;                                                // lint validates variants in parallel
};

ValidationCache::ValidationCache() : impl(std::make_unique<Impl>()) {}
ValidationCache::~ValidationCache() = default;

void validate(const NodePtr& root, const Schema& schema, Diagnostics& diags, ValidationCache* cache) {
  if (!root) return;
  std::vector<std::string> collections = schema.collections();
  if (!cache || collections.empty() || !root->is_map()) {
    UnitValidator v(*root, schema, diags, nullptr);
    std::string path;
    v.walk(*root, schema.root(), path);
    v.valijson_errors(schema.check(*root), *root, schema.root(), "");
    return;
  }
  {
    std::lock_guard lock(cache->impl->mutex);
    cache->impl->keep_alive.push_back(root);
  }
  std::set<std::string> skip;
  for (const auto& c : collections) skip.insert("/" + pointer_escape(c));

  // The skeleton: everything but the collections' items.
  UnitValidator skeleton(*root, schema, diags, &skip);
  std::string path;
  skeleton.walk(*root, schema.root(), path);
  skeleton.valijson_errors(schema.check_skeleton(skeleton_json(*root, collections)), *root, schema.root(), "");

  // Each item of each collection, once per distinct (node, name): cache hits are replayed,
  // misses are checked in parallel (they are independent), then stored and replayed in order.
  struct Task {
    const std::string* collection;
    NodePtr item;
    const SchemaNode* schema;
    std::string base;
    ValidationCache::Impl::Key key;
    std::vector<Diagnostic>* result = nullptr;
  };
  std::vector<Task> tasks;
  for (const auto& c : collections) {
    const Node* coll = root->get(c);
    const SchemaNode* cs = schema.root().property(c);
    if (!coll || !cs) continue;
    const SchemaNode* item_schema = coll->is_map() ? cs->additional : coll->is_seq() ? cs->items : nullptr;
    if (!item_schema) continue;
    std::string cbase = "/" + pointer_escape(c);
    auto add = [&](const NodePtr& item, std::string base) {
      ValidationCache::Impl::Key key{item.get(), item_schema, describe_path(*root, base)};
      tasks.push_back(Task{&c, item, item_schema, std::move(base), std::move(key)});
    };
    if (coll->is_map()) {
      for (const auto& e : coll->entries) add(e.value, cbase + "/" + pointer_escape(e.key));
    } else if (coll->is_seq()) {
      for (std::size_t i = 0; i < coll->items.size(); ++i) add(coll->items[i], cbase + "/" + std::to_string(i));
    }
  }
  std::vector<Task*> misses;
  std::unordered_map<ValidationCache::Impl::Key, std::vector<Diagnostic>, ValidationCache::Impl::Hash> fresh;
  std::unique_lock lock(cache->impl->mutex);  // entries' references stay valid as others insert
  for (auto& t : tasks) {
    auto it = cache->impl->entries.find(t.key);
    if (it != cache->impl->entries.end()) {
      t.result = &it->second;
    } else if (fresh.emplace(t.key, std::vector<Diagnostic>{}).second) {
      misses.push_back(&t);
    }
  }
  lock.unlock();
  auto check = [&](Task& t, std::vector<Diagnostic>& out) {
    Diagnostics local;
    UnitValidator v(*root, schema, local, nullptr);
    std::string p = t.base;
    v.walk(*t.item, *t.schema, p);
    v.valijson_errors(schema.check_item(*t.collection, *t.item), *t.item, *t.schema, t.base);
    for (auto& d : local.all()) d.path = d.path.substr(t.base.size());  // relative to the item
    out = std::move(local.all());
  };
  std::vector<std::vector<Diagnostic>> results(misses.size());
  std::atomic<std::size_t> next{0};
  auto worker = [&] {
    for (std::size_t k = next++; k < misses.size(); k = next++) check(*misses[k], results[k]);
  };
  unsigned threads = misses.size() < 512 ? 1u : std::max(1u, std::min(4u, std::thread::hardware_concurrency()));
  std::vector<std::thread> pool;
  for (unsigned t = 1; t < threads; ++t) pool.emplace_back(worker);
  worker();
  for (auto& t : pool) t.join();
  lock.lock();
  for (std::size_t k = 0; k < misses.size(); ++k) {
    cache->impl->entries.emplace(misses[k]->key, std::move(results[k]));
  }
  for (auto& t : tasks) {
    const auto& cached = t.result ? *t.result : cache->impl->entries.at(t.key);
    for (Diagnostic d : cached) {
      d.path = t.base + d.path;
      diags.report(std::move(d));
    }
  }
}

}  // namespace gwctl
