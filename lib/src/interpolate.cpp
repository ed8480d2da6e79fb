#include "gwctl/interpolate.hpp"

#include <map>
#include <unordered_map>

#include <fmt/format.h>

namespace gwctl {

namespace {

bool is_ident(std::string_view s) {
  if (s.empty()) return false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_' || (i > 0 && c >= '0' && c <= '9');
    if (!ok) return false;
  }
  return true;
}

class Interpolator {
 public:
  Interpolator(const Node* vars, Diagnostics& diags) : diags_(diags) {
    if (vars && vars->is_map()) {
      for (const auto& e : vars->entries) {
        vars_.emplace(e.key, e.value);
        names_.push_back(e.key);
      }
    }
  }

  // Aliases make one node appear in many places: each is rewritten once.
  NodePtr walk(const NodePtr& node, std::string& path) {
    if (!node->refs) return node;  // nothing to resolve below: shared as is
    auto memo = memo_.find(node.get());
    if (memo != memo_.end()) return memo->second;
    NodePtr out = rewrite(node, path);
    memo_.emplace(node.get(), out);
    return out;
  }

  NodePtr rewrite(const NodePtr& node, std::string& path) {
    switch (node->kind) {
      case NodeKind::string:
        return node->text.find("${") == std::string::npos ? node : scalar(node, path);
      case NodeKind::sequence: {
        std::shared_ptr<Node> copy;
        for (std::size_t i = 0; i < node->items.size(); ++i) {
          auto mark = path.size();
          path += '/';
          path += std::to_string(i);
          NodePtr r = walk(node->items[i], path);
          path.resize(mark);
          if (r != node->items[i]) {
            if (!copy) copy = std::make_shared<Node>(*node);
            copy->items[i] = std::move(r);
          }
        }
        return copy ? copy : node;
      }
      case NodeKind::mapping: {
        std::shared_ptr<Node> copy;
        for (std::size_t i = 0; i < node->entries.size(); ++i) {
          const Entry& e = node->entries[i];
          auto mark = path.size();
          path += '/';
          path += pointer_escape(e.key);
          NodePtr r = path == "/vars" || path == "/flags" ? check_plain(e.value, path) : walk(e.value, path);
          path.resize(mark);
          if (r != e.value) {
            if (!copy) copy = std::make_shared<Node>(*node);
            copy->entries[i].value = std::move(r);
          }
        }
        return copy ? copy : node;
      }
      default:
        return node;
    }
  }

 private:
  // `vars` and `flags` are read before interpolation (vars feed it; flags choose the layers),
  // so references there would be silently ignored: refuse them.
  NodePtr check_plain(const NodePtr& map, const std::string& path) {
    if (!map->is_map()) return map;
    for (const auto& e : map->entries) {
      if (e.value->is_string() && e.value->text.find("${") != std::string::npos) {
        diags_.error("GW115",
                     fmt::format("'{}' in '{}' contains a reference; {} hold plain values", e.key, path.substr(1),
                                 path.substr(1)),
                     e.value->span, pointer_append(path, e.key));
      }
    }
    return map;
  }

  NodePtr scalar(const NodePtr& node, const std::string& path) {
    const std::string& s = node->text;
    std::string out;
    out.reserve(s.size());
    std::size_t i = 0;
    bool changed = false;
    while (i < s.size()) {
      if (s.compare(i, 3, "$${") == 0) {
        out += "${";
        i += 3;
        changed = true;
        continue;
      }
      if (s.compare(i, 2, "${") != 0) {
        out += s[i++];
        continue;
      }
      auto close = s.find('}', i + 2);
      if (close == std::string::npos) {
        diags_.error("GW115", "unterminated reference: '${' without a closing '}'", node->span, path).hint =
            "write '$${' for a literal '${'";
        return node;
      }
      std::string_view ref(s.data() + i + 2, close - i - 2);
      auto colon = ref.find(':');
      std::string_view kind = ref.substr(0, colon);
      std::string_view name = colon == std::string_view::npos ? std::string_view{} : ref.substr(colon + 1);
      if (kind == "secret") {
        if (i != 0 || close + 1 != s.size() || !is_ident(name)) {
          // The rest of the value is often the credential itself ("Bearer sk-…${secret:K}").
          diags_.error("GW115", "a secret reference must be the whole value, like '${secret:NAME}'", node->span, path)
              .mask_span = true;
          return node;
        }
        return node;  // kept as a reference; validation checks where it may appear
      }
      if (kind != "var" || !is_ident(name)) {
        auto& d = diags_.error("GW115", fmt::format("malformed reference '${{{}}}'", ref), node->span, path);
        d.hint = "references are '${var:NAME}' and '${secret:NAME}'; write '$${' for a literal '${'";
        return node;
      }
      auto it = vars_.find(std::string(name));
      if (it == vars_.end()) {
        auto& d = diags_.error("GW110", fmt::format("unknown var '{}'", name), node->span, path);
        std::string guess = did_you_mean(name, names_);
        d.hint = guess.empty() ? "define it under 'vars:'" : fmt::format("did you mean '{}'?", guess);
        return node;
      }
      const NodePtr& value = it->second;
      if (!value->is_scalar() || value->kind == NodeKind::null) {
        diags_.error("GW115", fmt::format("var '{}' is not a plain value", name), node->span, path);
        return node;
      }
      if (i == 0 && close + 1 == s.size()) {
        // The whole scalar is one reference: keep the var's type.
        auto n = std::make_shared<Node>(*value);
        n->span = node->span;
        n->replaced = node->replaced;
        return n;
      }
      out += value->scalar_text();
      if (out.size() > kMaxInterpolated) {
        diags_.error("GW115", "the value is larger than 1 MiB after interpolation", node->span, path);
        return node;
      }
      i = close + 1;
      changed = true;
    }
    if (!changed) return node;
    auto n = std::make_shared<Node>(*node);
    n->text = std::move(out);
    return n;
  }

  static constexpr std::size_t kMaxInterpolated = 1u << 20;
  Diagnostics& diags_;
  std::unordered_map<const Node*, NodePtr> memo_;
  std::map<std::string, NodePtr, std::less<>> vars_;
  std::vector<std::string> names_;
};

}  // namespace

bool parse_secret_ref(std::string_view text, std::string* name) {
  if (!text.starts_with("${secret:") || !text.ends_with("}")) return false;
  std::string_view n = text.substr(9, text.size() - 10);
  if (!is_ident(n)) return false;
  if (name) *name = std::string(n);
  return true;
}

NodePtr interpolate(const NodePtr& root, Diagnostics& diags) {
  if (!root) return root;
  Interpolator in(root->get("vars"), diags);
  std::string path;
  return in.walk(root, path);
}

}  // namespace gwctl
