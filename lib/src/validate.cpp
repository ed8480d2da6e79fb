#include "gwctl/validate.hpp"

#include <algorithm>
#include <map>
#include <set>

#include <fmt/format.h>

#include "gwctl/interpolate.hpp"
#include "gwctl/units.hpp"

namespace gwctl {

namespace {

using json = nlohmann::json;

// Adds "it replaced …" notes: where the offending value overrode an earlier layer.
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
    case NodeKind::mapping: return "a mapping";
    case NodeKind::sequence: return "a list";
    case NodeKind::null: return "null";
    case NodeKind::boolean: return fmt::format("'{}'", n.scalar_text());
    case NodeKind::integer:
    case NodeKind::number: return fmt::format("the number {}", n.scalar_text());
    case NodeKind::string: return fmt::format("the string '{}'", n.text);
  }
  return "a value";
}

std::string last_token(std::string_view pointer) {
  auto slash = pointer.rfind('/');
  std::string tok(slash == std::string_view::npos ? pointer : pointer.substr(slash + 1));
  std::string out;
  for (std::size_t i = 0; i < tok.size(); ++i) {
    if (tok[i] == '~' && i + 1 < tok.size()) {
      out += tok[i + 1] == '1' ? '/' : '~';
      ++i;
    } else {
      out += tok[i];
    }
  }
  return out;
}

std::string format_number(double v) {
  if (v == static_cast<double>(static_cast<std::int64_t>(v))) return std::to_string(static_cast<std::int64_t>(v));
  return fmt::format("{}", v);
}

class Validator {
 public:
  Validator(const Node& root, const Schema& schema, Diagnostics& diags)
      : root_(root), schema_(schema), diags_(diags) {}

  void walk(const Node& node, const json& raw_schema, std::string& path) {
    std::string ref;
    const json& s = schema_.resolve(raw_schema, &ref);
    if (!s.is_object()) return;
    // In the config schema these are strings; the artifact schema reuses the names for the
    // normalized forms (an object, integers), which valijson checks alone.
    bool stringly = s.value("type", json()) == "string";
    if (ref == "secret_ref" && stringly) return secret(node, path);
    if ((ref == "duration" || ref == "size") && stringly) return unit(node, path, ref);
    if (node.is_string()) {
      if (auto p = s.find("pattern"); p != s.end() && p->is_string() &&
                                      !schema_.matches(p->get<std::string>(), node.text)) {
        pattern_error(node, path, ref, s);
      }
      return;
    }
    if (node.is_map()) return mapping(node, s, path);
    if (node.is_seq()) {
      auto items = s.find("items");
      if (items == s.end() || !items->is_object()) return;
      for (std::size_t i = 0; i < node.items.size(); ++i) {
        auto mark = path.size();
        path += '/';
        path += std::to_string(i);
        walk(*node.items[i], *items, path);
        path.resize(mark);
      }
    }
  }

  void valijson_errors(const std::vector<Schema::Violation>& violations) {
    // Group by instance so that one value gets one message.
    std::map<std::string, std::vector<std::string>> by_path;
    std::vector<std::string> order;
    for (const auto& v : violations) {
      if (!by_path.count(v.pointer)) order.push_back(v.pointer);
      by_path[v.pointer].push_back(v.description);
    }
    for (const auto& p : order) {
      if (covered(p)) continue;
      const Node* node = find_pointer(root_, p);
      const json* s = schema_at(p);
      const auto& descs = by_path[p];
      bool any_of = std::any_of(descs.begin(), descs.end(), [](const std::string& d) {
        return d.find("anyOf") != std::string::npos || d.find("oneOf") != std::string::npos ||
               d.find("exactly one child") != std::string::npos;
      });
      if (any_of) {
        if (oneof_done_.count(p)) continue;
        std::string msg;
        if (s && s->contains("x-gwctl-message")) msg = (*s)["x-gwctl-message"].get<std::string>();
        else msg = fmt::format("'{}' is not an allowed value for '{}'", node ? node->scalar_text() : "",
                               last_token(p));
        report(node, p, msg, s);
        continue;
      }
      std::set<std::string> seen;
      for (const auto& d : descs) {
        std::string msg = translate(d, node, p, s);
        if (msg.empty() || !seen.insert(msg).second) continue;
        const Node* at = node;
        report(at, p, msg, s);
      }
    }
  }

 private:
  void report(const Node* node, const std::string& p, std::string msg, const json* s) {
    Diagnostic d{Severity::error, "GW104", std::move(msg), node ? node->span : Span{}, p, {}, {}};
    if (s && s->contains("description") && (*s)["description"].is_string()) {
      std::string desc = (*s)["description"].get<std::string>();
      if (desc.size() < 160) d.hint = fmt::format("'{}': {}", last_token(p), desc);
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

  const json* schema_at(const std::string& pointer) const {
    const json* s = &schema_.resolve(schema_.document());
    const Node* node = &root_;
    std::size_t i = 0;
    while (i < pointer.size() && s) {
      std::size_t next = pointer.find('/', i + 1);
      std::string tok = last_token(pointer.substr(0, next == std::string::npos ? pointer.size() : next));
      if (node && node->is_seq()) {
        auto it = s->find("items");
        s = it != s->end() ? &schema_.resolve(*it) : nullptr;
        std::size_t idx = std::strtoul(tok.c_str(), nullptr, 10);
        node = idx < node->items.size() ? node->items[idx].get() : nullptr;
      } else {
        const json* props = s->contains("properties") ? &(*s)["properties"] : nullptr;
        if (props && props->contains(tok)) s = &schema_.resolve((*props)[tok]);
        else if (s->contains("additionalProperties") && (*s)["additionalProperties"].is_object())
          s = &schema_.resolve((*s)["additionalProperties"]);
        else s = nullptr;
        node = node ? node->get(tok) : nullptr;
      }
      i = next == std::string::npos ? pointer.size() : next;
    }
    return s;
  }

  std::string translate(const std::string& d, const Node* node, const std::string& p, const json* s) {
    std::string key = p.empty() ? "the config" : fmt::format("'{}'", last_token(p));
    if (d.starts_with("Failed to validate item #") || d.starts_with("Failed to validate against schema associated") ||
        d.starts_with("Object contains a property") || d.starts_with("Failed to validate against additional") ||
        d.starts_with("Failed to validate against dependent") || d.starts_with("Cannot validate item #")) {
      return {};
    }
    if (d.starts_with("Value type not permitted")) {
      return fmt::format("{} must be {}, not {}", key, s ? type_words(*s) : "a different type",
                         node ? kind_words(*node) : "this");
    }
    if (d.starts_with("Failed to match against any enum values")) {
      std::vector<std::string> allowed;
      if (s && s->contains("enum")) {
        for (const auto& v : (*s)["enum"]) allowed.push_back(v.is_string() ? v.get<std::string>() : v.dump());
      }
      std::string value = node ? node->scalar_text() : "";
      std::string guess = did_you_mean(value, allowed);
      std::string list;
      for (std::size_t i = 0; i < allowed.size(); ++i) list += (i ? ", '" : "'") + allowed[i] + "'";
      return guess.empty() ? fmt::format("{} must be one of {}, not '{}'", key, list, value)
                           : fmt::format("{} must be one of {}, not '{}'; did you mean '{}'?", key, list,
                                         value, guess);
    }
    if (d.starts_with("Missing required property '")) {
      std::string prop = d.substr(27, d.find('\'', 27) - 27);
      if (oneof_props_.count(p + "#" + prop)) return {};
      return fmt::format("{} is missing the required field '{}'",
                         p.empty() ? "the config" : describe_path(root_, p), prop);
    }
    if (d.starts_with("Failed to match expected value set by 'const'")) {
      return fmt::format("{} must be {}", key, s && s->contains("const") ? (*s)["const"].dump() : "a fixed value");
    }
    if (d.starts_with("Expected number")) {
      std::string bound;
      if (s) {
        if (s->contains("minimum")) bound += fmt::format("at least {}", format_number((*s)["minimum"].get<double>()));
        if (s->contains("exclusiveMinimum"))
          bound += fmt::format("greater than {}", format_number((*s)["exclusiveMinimum"].get<double>()));
        if (s->contains("maximum"))
          bound += fmt::format("{}at most {}", bound.empty() ? "" : " and ", format_number((*s)["maximum"].get<double>()));
        if (s->contains("exclusiveMaximum"))
          bound += fmt::format("{}less than {}", bound.empty() ? "" : " and ",
                               format_number((*s)["exclusiveMaximum"].get<double>()));
      }
      return fmt::format("{} must be {}, not {}", key, bound.empty() ? "in range" : bound,
                         node ? node->scalar_text() : "this");
    }
    if (d.starts_with("Elements at indexes #")) {
      return fmt::format("{} lists the same value more than once", key);
    }
    if (d.starts_with("Array should contain no fewer than")) {
      return fmt::format("{} must not be empty", key);
    }
    std::string out = d;
    if (!out.empty()) out[0] = static_cast<char>(std::tolower(out[0]));
    if (out.ends_with('.')) out.pop_back();
    return fmt::format("{}: {}", key, out);
  }

  void secret(const Node& node, const std::string& path) {
    handled_.insert(path);
    if (node.is_string() && parse_secret_ref(node.text)) return;
    std::string field = describe_path(root_, path);
    Diagnostic d{Severity::error, "GW111",
                 node.is_string()
                     ? fmt::format("'{}' holds a literal value; secret-bearing fields accept only a secret reference", field)
                     : fmt::format("'{}' must be a secret reference, not {}", field, to_string(node.kind)),
                 node.span, path, {}, "write '${secret:NAME}' and give gwd the value at start (env var NAME or --secrets-dir)"};
    diags_.report(std::move(d));
  }

  void unit(const Node& node, const std::string& path, const std::string& ref) {
    if (!node.is_string()) return;  // valijson reports the type
    handled_.insert(path);
    bool duration = ref == "duration";
    if (duration ? parse_duration_ms(node.text).has_value() : parse_size_bytes(node.text).has_value()) return;
    Diagnostic d{Severity::error, "GW112",
                 fmt::format("'{}' is not a valid {} for '{}'", node.text, duration ? "duration" : "size",
                             last_token(path)),
                 node.span, path, {},
                 duration ? "write a whole number and a unit: 250ms, 10s, 5m, 1h, 1d (at most 365d)"
                          : "write a whole number and a unit: 512B, 64KiB, 1MiB, 2GiB (at most 1024GiB)"};
    add_provenance(d, &node);
    diags_.report(std::move(d));
  }

  void pattern_error(const Node& node, const std::string& path, const std::string& ref, const json& s) {
    handled_.insert(path);
    std::string what = ref == "name" ? "a valid name (letters, digits, '.', '_', '-'; starting with a letter or digit)"
                                     : fmt::format("of the form {}", s["pattern"].get<std::string>());
    Diagnostic d{Severity::error, "GW104",
                 fmt::format("'{}' is not {} for '{}'", node.text, what, last_token(path)), node.span, path, {}, {}};
    if (s.contains("description") && s["description"].is_string()) d.hint = s["description"].get<std::string>();
    add_provenance(d, &node);
    diags_.report(std::move(d));
  }

  void mapping(const Node& node, const json& s, std::string& path) {
    const json* props = s.contains("properties") ? &s["properties"] : nullptr;
    const json* extra = s.contains("additionalProperties") ? &s["additionalProperties"] : nullptr;
    const json* names = s.contains("propertyNames") ? &schema_.resolve(s["propertyNames"]) : nullptr;
    bool closed = extra && extra->is_boolean() && !extra->get<bool>();
    for (const auto& e : node.entries) {
      auto mark = path.size();
      path += '/';
      path += pointer_escape(e.key);
      if (props && props->contains(e.key)) {
        walk(*e.value, (*props)[e.key], path);
      } else if (closed) {
        unknown_key(node, e, props, path);
      } else {
        if (names && names->contains("pattern") &&
            !schema_.matches((*names)["pattern"].get<std::string>(), e.key)) {
          handled_.insert(path);
          diags_.report({Severity::error, "GW104",
                         fmt::format("'{}' is not a valid name (letters, digits, '.', '_', '-'; starting with a "
                                     "letter or digit)",
                                     e.key),
                         e.key_span, path, {}, {}});
        }
        if (extra && extra->is_object()) walk(*e.value, *extra, path);
      }
      path.resize(mark);
    }
    // "Exactly one of these fields" rules, written as oneOf over `required` branches.
    auto one = s.find("oneOf");
    if (one != s.end() && one->is_array()) {
      int satisfied = 0;
      bool only_required = true;
      for (const auto& branch : *one) {
        if (!branch.contains("required") || branch.size() != 1) only_required = false;
        bool ok = true;
        for (const auto& r : branch.value("required", json::array())) {
          if (!node.get(r.get<std::string>())) ok = false;
          oneof_props_.insert(path + "#" + r.get<std::string>());
        }
        satisfied += ok;
      }
      if (only_required) {
        oneof_done_.insert(path);
        if (satisfied != 1) {
          std::string msg = s.value("x-gwctl-message", std::string("the fields do not match any allowed combination"));
          Diagnostic d{Severity::error, "GW104",
                       fmt::format("{} in {}", msg, describe_path(root_, path)), node.span, path, {}, {}};
          diags_.report(std::move(d));
        }
      }
    }
  }

  void unknown_key(const Node& node, const Entry& e, const json* props, const std::string& path) {
    (void)node;
    handled_.insert(path);
    std::vector<std::string> known;
    if (props) {
      for (auto it = props->begin(); it != props->end(); ++it) known.push_back(it.key());
    }
    std::string parent = path.substr(0, path.rfind('/'));
    Diagnostic d{Severity::error, "GW102",
                 fmt::format("unknown key '{}' in {}", e.key, describe_path(root_, parent)), e.key_span, path,
                 {}, {}};
    d.span.length = static_cast<std::uint32_t>(e.key.size());
    std::string guess = did_you_mean(e.key, known);
    if (!guess.empty()) {
      d.message += fmt::format("; did you mean '{}'?", guess);
    } else if (!known.empty()) {
      std::string list;
      for (std::size_t i = 0; i < known.size(); ++i) list += (i ? ", " : "") + known[i];
      d.hint = fmt::format("allowed keys: {}", list);
    }
    diags_.report(std::move(d));
  }

  const Node& root_;
  const Schema& schema_;
  Diagnostics& diags_;
  std::set<std::string> handled_;
  std::set<std::string> oneof_done_;
  std::set<std::string> oneof_props_;
};

}  // namespace

void validate(const NodePtr& root, const Schema& schema, Diagnostics& diags) {
  if (!root) return;
  Validator v(*root, schema, diags);
  std::string path;
  v.walk(*root, schema.document(), path);
  v.valijson_errors(schema.check(to_json(*root)));
}

}  // namespace gwctl
