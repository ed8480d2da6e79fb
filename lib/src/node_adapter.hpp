// A valijson adapter over gwctl's Node tree, so that validation reads the merged config where
// it is instead of converting it to nlohmann::json first. Private to schema.cpp.
#pragma once

#include <optional>
#include <string>
#include <utility>

#include <nlohmann/json.hpp>
#include <valijson/adapters/nlohmann_json_adapter.hpp>
#include <valijson/internal/adapter.hpp>
#include <valijson/internal/basic_adapter.hpp>
#include <valijson/internal/frozen_value.hpp>

#include "gwctl/config_tree.hpp"

namespace gwctl::detail {

class NodeAdapter;
class NodeArrayIterator;
class NodeObjectIterator;
using NodeObjectMember = std::pair<std::string, NodeAdapter>;

inline const Node& empty_node(NodeKind kind) {
  static const Node map = [] {
    Node n;
    n.kind = NodeKind::mapping;
    return n;
  }();
  static const Node seq = [] {
    Node n;
    n.kind = NodeKind::sequence;
    return n;
  }();
  return kind == NodeKind::mapping ? map : seq;
}

class NodeArray {
 public:
  using const_iterator = NodeArrayIterator;
  using iterator = NodeArrayIterator;
  NodeArray() : node_(&empty_node(NodeKind::sequence)) {}
  explicit NodeArray(const Node& n) : node_(&n) {}
  NodeArrayIterator begin() const;
  NodeArrayIterator end() const;
  std::size_t size() const { return node_->items.size(); }

 private:
  const Node* node_;
};

class NodeObject {
 public:
  using const_iterator = NodeObjectIterator;
  using iterator = NodeObjectIterator;
  NodeObject() : node_(&empty_node(NodeKind::mapping)) {}
  explicit NodeObject(const Node& n) : node_(&n) {}
  NodeObjectIterator begin() const;
  NodeObjectIterator end() const;
  NodeObjectIterator find(const std::string& name) const;
  std::size_t size() const { return node_->entries.size(); }

 private:
  const Node* node_;
};

class NodeFrozenValue : public valijson::adapters::FrozenValue {
 public:
  explicit NodeFrozenValue(nlohmann::json v) : value_(std::move(v)) {}
  FrozenValue* clone() const override { return new NodeFrozenValue(value_); }
  bool equalTo(const valijson::adapters::Adapter& other, bool strict) const override {
    return valijson::adapters::NlohmannJsonAdapter(value_).equalTo(other, strict);
  }

 private:
  nlohmann::json value_;
};

class NodeValue {
 public:
  NodeValue() : node_(&empty_node(NodeKind::mapping)) {}
  explicit NodeValue(const Node& n) : node_(&n) {}

  valijson::adapters::FrozenValue* freeze() const { return new NodeFrozenValue(to_json(*node_)); }
  std::optional<NodeArray> getArrayOptional() const {
    if (node_->is_seq()) return std::make_optional(NodeArray(*node_));
    return {};
  }
  bool getArraySize(std::size_t& out) const {
    if (!node_->is_seq()) return false;
    out = node_->items.size();
    return true;
  }
  bool getBool(bool& out) const {
    if (node_->kind != NodeKind::boolean) return false;
    out = node_->boolean;
    return true;
  }
  bool getDouble(double& out) const {
    if (node_->kind != NodeKind::number) return false;
    out = node_->number;
    return true;
  }
  bool getInteger(int64_t& out) const {
    if (node_->kind != NodeKind::integer) return false;
    out = node_->integer;
    return true;
  }
  std::optional<NodeObject> getObjectOptional() const {
    if (node_->is_map()) return std::make_optional(NodeObject(*node_));
    return {};
  }
  bool getObjectSize(std::size_t& out) const {
    if (!node_->is_map()) return false;
    out = node_->entries.size();
    return true;
  }
  bool getString(std::string& out) const {
    if (!node_->is_string()) return false;
    out = node_->text;
    return true;
  }
  static bool hasStrictTypes() { return true; }
  bool isArray() const { return node_->is_seq(); }
  bool isBool() const { return node_->kind == NodeKind::boolean; }
  bool isDouble() const { return node_->kind == NodeKind::number; }
  bool isInteger() const { return node_->kind == NodeKind::integer; }
  bool isNull() const { return node_->kind == NodeKind::null; }
  bool isNumber() const { return node_->kind == NodeKind::number || node_->kind == NodeKind::integer; }
  bool isObject() const { return node_->is_map(); }
  bool isString() const { return node_->is_string(); }

 private:
  const Node* node_;
};

class NodeAdapter
    : public valijson::adapters::BasicAdapter<NodeAdapter, NodeArray, NodeObjectMember, NodeObject, NodeValue> {
 public:
  NodeAdapter() : BasicAdapter() {}
  explicit NodeAdapter(const Node& n) : BasicAdapter(NodeValue{n}) {}
};

class NodeArrayIterator {
 public:
  using iterator_category = std::bidirectional_iterator_tag;
  using value_type = NodeAdapter;
  using difference_type = NodeAdapter;
  using pointer = NodeAdapter*;
  using reference = NodeAdapter&;

  explicit NodeArrayIterator(std::vector<NodePtr>::const_iterator it) : it_(it) {}
  NodeAdapter operator*() const { return NodeAdapter(**it_); }
  valijson::adapters::DerefProxy<NodeAdapter> operator->() const {
    return valijson::adapters::DerefProxy<NodeAdapter>(**this);
  }
  bool operator==(const NodeArrayIterator& o) const { return it_ == o.it_; }
  bool operator!=(const NodeArrayIterator& o) const { return it_ != o.it_; }
  const NodeArrayIterator& operator++() {
    ++it_;
    return *this;
  }
  NodeArrayIterator operator++(int) {
    NodeArrayIterator pre(it_);
    ++it_;
    return pre;
  }
  const NodeArrayIterator& operator--() {
    --it_;
    return *this;
  }
  void advance(std::ptrdiff_t n) { it_ += n; }

 private:
  std::vector<NodePtr>::const_iterator it_;
};

class NodeObjectIterator {
 public:
  using iterator_category = std::bidirectional_iterator_tag;
  using value_type = NodeObjectMember;
  using difference_type = NodeObjectMember;
  using pointer = NodeObjectMember*;
  using reference = NodeObjectMember&;

  explicit NodeObjectIterator(std::vector<Entry>::const_iterator it) : it_(it) {}
  NodeObjectMember operator*() const { return NodeObjectMember(it_->key, NodeAdapter(*it_->value)); }
  valijson::adapters::DerefProxy<NodeObjectMember> operator->() const {
    return valijson::adapters::DerefProxy<NodeObjectMember>(**this);
  }
  bool operator==(const NodeObjectIterator& o) const { return it_ == o.it_; }
  bool operator!=(const NodeObjectIterator& o) const { return it_ != o.it_; }
  const NodeObjectIterator& operator++() {
    ++it_;
    return *this;
  }
  NodeObjectIterator operator++(int) {
    NodeObjectIterator pre(it_);
    ++it_;
    return pre;
  }
  const NodeObjectIterator& operator--() {
    --it_;
    return *this;
  }

 private:
  std::vector<Entry>::const_iterator it_;
};

inline NodeArrayIterator NodeArray::begin() const {
  return NodeArrayIterator(node_->items.begin());
}
inline NodeArrayIterator NodeArray::end() const {
  return NodeArrayIterator(node_->items.end());
}
inline NodeObjectIterator NodeObject::begin() const {
  return NodeObjectIterator(node_->entries.begin());
}
inline NodeObjectIterator NodeObject::end() const {
  return NodeObjectIterator(node_->entries.end());
}
inline NodeObjectIterator NodeObject::find(const std::string& name) const {
  for (auto it = node_->entries.begin(); it != node_->entries.end(); ++it) {
    if (it->key == name) return NodeObjectIterator(it);
  }
  return end();
}

}  // namespace gwctl::detail

template <>
struct valijson::adapters::AdapterTraits<gwctl::detail::NodeAdapter> {
  using DocumentType = gwctl::Node;
  static std::string adapterName() { return "gwctl::NodeAdapter"; }
};
