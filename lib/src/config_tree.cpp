#include "gwctl/config_tree.hpp"

#include <nlohmann/json.hpp>

#include <fmt/format.h>

namespace gwctl {

std::string_view to_string(NodeKind k) {
  switch (k) {
    case NodeKind::null:
      return "null";
    case NodeKind::boolean:
      return "boolean";
    case NodeKind::integer:
      return "integer";
    case NodeKind::number:
      return "number";
    case NodeKind::string:
      return "string";
    case NodeKind::sequence:
      return "sequence";
    case NodeKind::mapping:
      return "mapping";
  }
  return "value";
}

const Entry* Node::entry(std::string_view key) const {
  for (const auto& e : entries) {
    if (e.key == key) return &e;
  }
  return nullptr;
}

const Node* Node::get(std::string_view key) const {
  const Entry* e = entry(key);
  return e ? e->value.get() : nullptr;
}

std::string Node::scalar_text() const {
  switch (kind) {
    case NodeKind::null:
      return "null";
    case NodeKind::boolean:
      return boolean ? "true" : "false";
    case NodeKind::integer:
      return std::to_string(integer);
    case NodeKind::number:
      return text.empty() ? fmt::format("{}", number) : text;
    case NodeKind::string:
      return text;
    default:
      return {};
  }
}

NodePtr make_null(Span span) {
  auto n = std::make_shared<Node>();
  n->span = span;
  return n;
}

NodePtr make_bool(bool v, Span span) {
  auto n = std::make_shared<Node>();
  n->kind = NodeKind::boolean;
  n->boolean = v;
  n->span = span;
  return n;
}

NodePtr make_int(std::int64_t v, Span span) {
  auto n = std::make_shared<Node>();
  n->kind = NodeKind::integer;
  n->integer = v;
  n->span = span;
  return n;
}

NodePtr make_number(double v, Span span) {
  auto n = std::make_shared<Node>();
  n->kind = NodeKind::number;
  n->number = v;
  n->span = span;
  return n;
}

NodePtr make_string(std::string v, Span span) {
  auto n = std::make_shared<Node>();
  n->kind = NodeKind::string;
  n->text = std::move(v);
  n->span = span;
  return n;
}

nlohmann::json to_json(const Node& node) {
  switch (node.kind) {
    case NodeKind::null:
      return nullptr;
    case NodeKind::boolean:
      return node.boolean;
    case NodeKind::integer:
      return node.integer;
    case NodeKind::number:
      return node.number;
    case NodeKind::string:
      return node.text;
    case NodeKind::sequence: {
      auto arr = nlohmann::json::array();
      for (const auto& item : node.items) arr.push_back(to_json(*item));
      return arr;
    }
    case NodeKind::mapping: {
      auto obj = nlohmann::json::object();
      for (const auto& e : node.entries) obj[e.key] = to_json(*e.value);
      return obj;
    }
  }
  return nullptr;
}

NodePtr from_json(const nlohmann::json& value) {
  auto n = std::make_shared<Node>();
  switch (value.type()) {
    case nlohmann::json::value_t::boolean:
      n->kind = NodeKind::boolean;
      n->boolean = value.get<bool>();
      break;
    case nlohmann::json::value_t::number_integer:
    case nlohmann::json::value_t::number_unsigned:
      n->kind = NodeKind::integer;
      n->integer = value.get<std::int64_t>();
      break;
    case nlohmann::json::value_t::number_float:
      n->kind = NodeKind::number;
      n->number = value.get<double>();
      break;
    case nlohmann::json::value_t::string:
      n->kind = NodeKind::string;
      n->text = value.get<std::string>();
      break;
    case nlohmann::json::value_t::array:
      n->kind = NodeKind::sequence;
      for (const auto& v : value) n->items.push_back(from_json(v));
      break;
    case nlohmann::json::value_t::object:
      n->kind = NodeKind::mapping;
      for (auto it = value.begin(); it != value.end(); ++it) {
        n->entries.push_back(Entry{it.key(), {}, from_json(it.value())});
      }
      break;
    default:
      break;
  }
  return n;
}

std::string pointer_unescape(std::string_view token) {
  std::string out;
  out.reserve(token.size());
  for (std::size_t i = 0; i < token.size(); ++i) {
    if (token[i] == '~' && i + 1 < token.size() && (token[i + 1] == '0' || token[i + 1] == '1')) {
      out += token[++i] == '1' ? '/' : '~';
    } else {
      out += token[i];
    }
  }
  return out;
}

std::vector<std::string> pointer_tokens(std::string_view pointer) {
  std::vector<std::string> out;
  if (!pointer.starts_with('/')) return out;
  for (std::size_t p = 1;;) {
    std::size_t slash = pointer.find('/', p);
    out.push_back(pointer_unescape(pointer.substr(p, slash == std::string_view::npos ? slash : slash - p)));
    if (slash == std::string_view::npos) break;
    p = slash + 1;
  }
  return out;
}

namespace {
const Node* child(const Node& n, const std::string& tok) {
  if (n.is_map()) return n.get(tok);
  if (n.is_seq()) {
    std::size_t idx = 0;
    for (char c : tok) {
      if (c < '0' || c > '9') return nullptr;
      idx = idx * 10 + static_cast<std::size_t>(c - '0');
    }
    return idx < n.items.size() ? n.items[idx].get() : nullptr;
  }
  return nullptr;
}
}  // namespace

const Node* find_pointer(const Node& root, std::string_view pointer) {
  const Node* cur = &root;
  for (const auto& tok : pointer_tokens(pointer)) {
    cur = child(*cur, tok);
    if (!cur) return nullptr;
  }
  return cur;
}

std::string describe_path(const Node& root, std::string_view pointer) {
  std::string out;
  const Node* cur = &root;
  for (const auto& tok : pointer_tokens(pointer)) {
    const Node* next = cur ? child(*cur, tok) : nullptr;
    if (cur && cur->is_seq()) {
      const Node* name = next && next->is_map() ? next->get("name") : nullptr;
      out += '[';
      out += name && name->is_scalar() ? name->scalar_text() : tok;
      out += ']';
    } else {
      if (!out.empty()) out += '.';
      out += tok;
    }
    cur = next;
  }
  return out.empty() ? "the top level" : out;
}

std::string pointer_escape(std::string_view token) {
  std::string out;
  out.reserve(token.size());
  for (char c : token) {
    if (c == '~')
      out += "~0";
    else if (c == '/')
      out += "~1";
    else
      out += c;
  }
  return out;
}

std::string pointer_append(std::string_view base, std::string_view token) {
  std::string out(base);
  out += '/';
  out += pointer_escape(token);
  return out;
}

}  // namespace gwctl
