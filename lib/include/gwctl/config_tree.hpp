// ConfigTree: the positioned value tree every layer is loaded into and every later stage reads.
//
// Nodes are immutable and shared (std::shared_ptr<const Node>): a YAML alias shares its anchor's
// node instead of copying it, and a merge shares every subtree an overlay did not touch, so ten
// environments over one large base cost little more than one. Each node remembers where it was
// written (`span`) and, after merging, which earlier value it replaced (`replaced`).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "gwctl/diagnostic.hpp"

namespace gwctl {

enum class NodeKind : std::uint8_t { null, boolean, integer, number, string, sequence, mapping };

std::string_view to_string(NodeKind k);

struct Node;
using NodePtr = std::shared_ptr<const Node>;

struct Entry {
  std::string key;
  Span key_span;
  NodePtr value;
};

struct Node {
  NodeKind kind = NodeKind::null;
  Span span;
  bool boolean = false;
  std::int64_t integer = 0;
  double number = 0;
  std::string text;            // strings; the source text of other scalars
  std::vector<NodePtr> items;  // sequence
  std::vector<Entry> entries;  // mapping, in source order
  NodePtr replaced;            // the value of an earlier layer this one replaced
  std::uint64_t weight = 1;    // nodes in the fully expanded subtree (aliases counted again)
  bool directives = false;     // the subtree holds merge directives: '$' keys or null values
  bool refs = false;           // the subtree holds "${" text: interpolation looks only here

  bool is_scalar() const { return kind < NodeKind::sequence; }
  bool is_map() const { return kind == NodeKind::mapping; }
  bool is_seq() const { return kind == NodeKind::sequence; }
  bool is_string() const { return kind == NodeKind::string; }
  // Mapping lookup; nullptr when absent or not a mapping.
  const Node* get(std::string_view key) const;
  const Entry* entry(std::string_view key) const;
  // The scalar as the user would write it (strings unquoted).
  std::string scalar_text() const;
};

NodePtr make_null(Span span = {});
NodePtr make_bool(bool v, Span span = {});
NodePtr make_int(std::int64_t v, Span span = {});
NodePtr make_number(double v, Span span = {});
NodePtr make_string(std::string v, Span span = {});

// Plain JSON view of a tree (no positions). Mapping keys keep source order in the input but
// nlohmann::json sorts them.
nlohmann::json to_json(const Node& node);

// A tree from plain JSON (no positions), e.g. to validate an artifact with the same validator.
NodePtr from_json(const nlohmann::json& value);

// The node at a JSON pointer, or nullptr.
const Node* find_pointer(const Node& root, std::string_view pointer);
// A pointer for people: named list items by name, e.g. "routes[chat].resilience".
std::string describe_path(const Node& root, std::string_view pointer);

// JSON pointer helpers (RFC 6901).
std::string pointer_escape(std::string_view token);
// "~1" is '/', "~0" is '~'; any other '~' stays as written.
std::string pointer_unescape(std::string_view token);
// The unescaped tokens of a pointer ("/a~1b/0" → {"a/b", "0"}); none unless it starts with '/'.
std::vector<std::string> pointer_tokens(std::string_view pointer);
std::string pointer_append(std::string_view base, std::string_view token);

}  // namespace gwctl
