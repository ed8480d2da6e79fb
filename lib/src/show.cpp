#include "gwctl/show.hpp"

#include <fmt/format.h>

#include "gwctl/interpolate.hpp"
#include "gwctl/secret_scan.hpp"
#include "gwctl/secrets.hpp"

namespace gwctl {

namespace {

std::string where(const Span& s, const SourceSet& sources) {
  if (!s.valid()) return "";
  return fmt::format("{}:{}:{}", sources.file(s.file).path, s.line, s.column);
}

// Whether a string can be written as a plain YAML scalar and read back as the same string.
bool plain_safe(const std::string& s) {
  if (s.empty() || s.front() == ' ' || s.back() == ' ' || s.back() == ':') return false;
  static const char* reserved[] = {"true", "false", "null", "~",   "yes", "no", "on",  "off", "True", "False", "Null",
                                   "TRUE", "FALSE", "NULL", "Yes", "No",  "On", "Off", "YES", "NO",   "ON",    "OFF"};
  for (const char* r : reserved) {
    if (s == r) return false;
  }
  if (std::string_view("-?:,[]{}#&*!|>'\"%@`$").find(s.front()) != std::string_view::npos) return false;
  if (s.find(": ") != std::string::npos || s.find(" #") != std::string::npos || s.find("${") != std::string::npos) {
    return false;
  }
  bool numeric = true;
  for (char c : s) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) return false;
    if (!((c >= '0' && c <= '9') || c == '.' || c == '-' || c == '+' || c == 'e' || c == 'E' || c == 'x' || c == 'o' ||
          c == '_')) {
      numeric = false;
    }
  }
  return !numeric && s != ".inf" && s != "-.inf" && s != ".nan";
}

std::string scalar_yaml(const Node& n) {
  switch (n.kind) {
    case NodeKind::null:
      return "null";
    case NodeKind::boolean:
      return n.boolean ? "true" : "false";
    case NodeKind::integer:
      return std::to_string(n.integer);
    case NodeKind::number:
      return nlohmann::json(n.number).dump();
    case NodeKind::string:
      return plain_safe(n.text) ? n.text : nlohmann::json(n.text).dump();
    default:
      return "";
  }
}

std::string key_yaml(const std::string& k) {
  return plain_safe(k) ? k : nlohmann::json(k).dump();
}

class YamlWriter {
 public:
  YamlWriter(const SourceSet& sources, bool provenance) : sources_(sources), provenance_(provenance) {}

  std::string run(const Node& root) {
    if (root.is_map() && !root.entries.empty()) {
      mapping(root, 0, false);
    } else {
      out_ += scalar_or_empty(root) + "\n";
    }
    return std::move(out_);
  }

 private:
  std::string comment(const Node& n) const {
    if (!provenance_ || !n.span.valid()) return "";
    std::string c = "  # " + where(n.span, sources_);
    if (n.replaced && n.replaced->span.valid()) c += " (replaced " + where(n.replaced->span, sources_) + ")";
    return c;
  }

  static std::string scalar_or_empty(const Node& n) {
    if (n.is_map()) return "{}";
    if (n.is_seq()) return "[]";
    return scalar_yaml(n);
  }

  void value_after_key(const Node& v, int indent) {
    if (v.is_map() && !v.entries.empty()) {
      out_ += comment(v) + "\n";
      mapping(v, indent + 2, false);
    } else if (v.is_seq() && !v.items.empty()) {
      out_ += comment(v) + "\n";
      sequence(v, indent + 2);
    } else {
      out_ += " " + scalar_or_empty(v) + comment(v) + "\n";
    }
  }

  // `first_inline`: the first key goes on the current line (after "- ").
  void mapping(const Node& m, int indent, bool first_inline) {
    bool first = true;
    for (const auto& e : m.entries) {
      if (!(first && first_inline)) out_ += std::string(static_cast<std::size_t>(indent), ' ');
      first = false;
      out_ += key_yaml(e.key) + ":";
      value_after_key(*e.value, indent);
    }
  }

  void sequence(const Node& s, int indent) {
    for (const auto& item : s.items) {
      out_ += std::string(static_cast<std::size_t>(indent), ' ') + "-";
      if (item->is_map() && !item->entries.empty()) {
        out_ += " ";
        mapping(*item, indent + 2, true);
      } else if (item->is_seq() && !item->items.empty()) {
        out_ += comment(*item) + "\n";
        sequence(*item, indent + 2);
      } else {
        out_ += " " + scalar_or_empty(*item) + comment(*item) + "\n";
      }
    }
  }

  const SourceSet& sources_;
  bool provenance_;
  std::string out_;
};

void collect(const Node& n, const std::string& path, const SourceSet& sources, nlohmann::json& out) {
  if (n.span.valid()) {
    nlohmann::json entry = {{"at", where(n.span, sources)}, {"layer", sources.file(n.span.file).layer}};
    if (n.replaced && n.replaced->span.valid()) entry["replaced"] = where(n.replaced->span, sources);
    out[path.empty() ? "/" : path] = entry;
  }
  if (n.is_map()) {
    for (const auto& e : n.entries) collect(*e.value, pointer_append(path, e.key), sources, out);
  } else if (n.is_seq()) {
    for (std::size_t i = 0; i < n.items.size(); ++i) collect(*n.items[i], path + "/" + std::to_string(i), sources, out);
  }
}

// `secret`: this position holds credentials by the schema, or by a credential-like key name
// the schema does not know (a typo of api_key, a client_secret under an unknown key).
NodePtr redact(const NodePtr& node, const SchemaNode* s, bool secret) {
  if (secret || (s && s->holds_secret)) {
    if (node->is_scalar()) {
      if (node->kind == NodeKind::null || (node->is_string() && parse_secret_ref(node->text))) return node;
      auto masked = std::make_shared<Node>(*node);
      masked->kind = NodeKind::string;
      masked->text = "<redacted: not a secret reference>";
      return masked;
    }
    secret = true;  // every scalar below a credential position
  }
  if (node->is_string() && contains_detected_secret(node->text)) {  // a key in any other field (GW3xx)
    auto masked = std::make_shared<Node>(*node);
    masked->text = "<redacted: literal secret>";
    return masked;
  }
  std::shared_ptr<Node> copy;
  if (node->is_map()) {
    for (std::size_t i = 0; i < node->entries.size(); ++i) {
      const std::string& key = node->entries[i].key;
      const SchemaNode* child = s ? (s->property(key) ? s->property(key) : s->additional) : nullptr;
      bool child_secret = secret || (!child && looks_like_secret_key(key));
      if (!child && !child_secret && s) {  // a misspelt secret field: "api_kye"
        const SchemaNode* meant = s->property(did_you_mean(key, s->property_names()));
        child_secret = meant && meant->holds_secret;
      }
      NodePtr r = redact(node->entries[i].value, child, child_secret);
      if (r != node->entries[i].value) {
        if (!copy) copy = std::make_shared<Node>(*node);
        copy->entries[i].value = r;
      }
    }
  } else if (node->is_seq()) {
    for (std::size_t i = 0; i < node->items.size(); ++i) {
      NodePtr r = redact(node->items[i], s ? s->items : nullptr, secret);
      if (r != node->items[i]) {
        if (!copy) copy = std::make_shared<Node>(*node);
        copy->items[i] = r;
      }
    }
  }
  return copy ? copy : node;
}

}  // namespace

NodePtr redact_secret_literals(const NodePtr& root, const Schema& schema) {
  return root ? redact(root, &schema.root(), false) : root;
}

std::string show_yaml(const Node& root, const SourceSet& sources, bool provenance) {
  YamlWriter w(sources, provenance);
  return w.run(root);
}

nlohmann::json show_json(const Node& root, const SourceSet& sources, bool provenance) {
  nlohmann::json out = {{"format_version", 1}, {"config", to_json(root)}};
  if (provenance) {
    nlohmann::json p = nlohmann::json::object();
    collect(root, "", sources, p);
    out["provenance"] = p;
  }
  return out;
}

}  // namespace gwctl
