#include "gwctl/merge.hpp"

#include <algorithm>
#include <unordered_map>

#include <fmt/format.h>

namespace gwctl {

namespace {

constexpr std::string_view kDelete = "$delete";
constexpr std::string_view kReplace = "$replace";

class Merger {
 public:
  Merger(Diagnostics& diags, const Node* root) : diags_(diags), root_(root) {}

  NodePtr merge(const NodePtr& base, const NodePtr& over, std::string& path) {
    if (!over) return base;
    if (!base || base->kind == NodeKind::null) return fresh(over, path);
    if (over->is_map() && base->is_map()) {
      if (replace_flag(*over, path)) return replaced(base, fresh(over, path));
      return merge_maps(base, *over, path);
    }
    if (over->is_seq() && base->is_seq()) {
      if (is_named_seq(*over) && is_named_seq(*base) && !over->items.empty()) {
        return merge_named(base, *over, path);
      }
      return replaced(base, fresh(over, path));
    }
    if (over->is_scalar() && base->is_scalar()) return replaced(base, over);
    // A mapping over a scalar, a sequence over a mapping, …: the layers disagree on the shape.
    Diagnostic d{Severity::error,
                 "GW108",
                 fmt::format("'{}' is a {} here but a {} in an earlier layer",
                             root_ ? describe_path(*root_, path) : path, shape(*over), shape(*base)),
                 over->span,
                 path,
                 {},
                 "a later layer may change a value, not its kind"};
    d.notes.push_back({fmt::format("the earlier {} was set here", shape(*base)), base->span});
    diags_.report(std::move(d));
    return base;  // keep the earlier shape so later checks do not report the clash again
  }

  // An overlay subtree with nothing under it to merge with: apply and drop its directives.
  NodePtr fresh(const NodePtr& over, std::string& path) {
    if (!over->directives) return over;
    auto n = std::make_shared<Node>(*over);
    n->directives = false;
    if (n->is_map()) {
      replace_flag(*over, path);  // validates its value
      n->entries.clear();
      for (const auto& e : over->entries) {
        if (directive(e, path)) continue;
        if (e.value->kind == NodeKind::null) continue;
        auto mark = path.size();
        path += '/';
        path += pointer_escape(e.key);
        n->entries.push_back(Entry{e.key, e.key_span, fresh(e.value, path)});
        path.resize(mark);
      }
    } else if (n->is_seq()) {
      n->items.clear();
      for (std::size_t i = 0; i < over->items.size(); ++i) {
        const NodePtr& item = over->items[i];
        auto mark = path.size();
        path += '/';
        path += std::to_string(i);
        if (item->is_map() && item->get("name")) {
          if (const Entry* del = item->entry(kDelete); del && delete_flag(*del, path)) {
            diags_.report(
                {Severity::warning,
                 "GW109",
                 fmt::format("'$delete' of '{}', which no earlier layer defines", item->get("name")->scalar_text()),
                 del->key_span,
                 path,
                 {},
                 "remove the item, or check the name"});
            path.resize(mark);
            continue;
          }
        }
        n->items.push_back(fresh(item, path));
        path.resize(mark);
      }
    }
    return n;
  }

 private:
  static std::string_view shape(const Node& n) { return n.is_map() ? "mapping" : n.is_seq() ? "sequence" : "scalar"; }

  static NodePtr replaced(const NodePtr& base, const NodePtr& over) {
    auto n = std::make_shared<Node>(*over);
    n->replaced = base;
    return n;
  }

  static bool is_named_seq(const Node& seq) {
    for (const auto& item : seq.items) {
      if (!item->is_map()) return false;
      const Node* name = item->get("name");
      if (!name || !name->is_scalar() || name->kind == NodeKind::null) return false;
    }
    return true;
  }

  // Whether `e` is a directive (to skip when copying a mapping); misused ones are reported.
  // "$delete: true" is handled by the named-list merge before a mapping gets here.
  bool directive(const Entry& e, const std::string& path) {
    if (!e.key.starts_with('$')) return false;
    bool delete_false = e.key == kDelete && e.value->kind == NodeKind::boolean && !e.value->boolean;
    if (e.key == kDelete && !delete_false)
      delete_outside_list(e, path);
    else if (e.key != kDelete && e.key != kReplace)
      unknown_directive(e, path);
    return true;
  }

  void delete_outside_list(const Entry& e, const std::string& path) {
    diags_.report({Severity::error,
                   "GW109",
                   "'$delete' works only on an item of a named list (a mapping with 'name')",
                   e.key_span,
                   path,
                   {},
                   "to delete a key, set it to null: 'key: null'"});
  }

  void unknown_directive(const Entry& e, const std::string& path) {
    Diagnostic d{
        Severity::error, "GW109", fmt::format("unknown merge directive '{}'", e.key), e.key_span, path, {}, {}};
    std::string s = did_you_mean(e.key, {std::string(kDelete), std::string(kReplace)});
    d.hint = s.empty() ? "the directives are '$delete' and '$replace'" : fmt::format("did you mean '{}'?", s);
    diags_.report(std::move(d));
  }

  bool flag_value(const Entry& e, const std::string& path) {
    if (e.value->kind == NodeKind::boolean) return e.value->boolean;
    diags_.report(
        {Severity::error, "GW109", fmt::format("'{}' must be true or false", e.key), e.value->span, path, {}, {}});
    return false;
  }
  bool replace_flag(const Node& map, const std::string& path) {
    const Entry* e = map.entry(kReplace);
    return e && flag_value(*e, path);
  }
  bool delete_flag(const Entry& e, const std::string& path) { return flag_value(e, path); }

  NodePtr merge_maps(const NodePtr& base, const Node& over, std::string& path) {
    if (over.entries.empty()) return base;
    auto n = std::make_shared<Node>(*base);
    n->replaced = nullptr;
    // The index owns its keys: entries may reallocate as the overlay adds keys.
    std::unordered_map<std::string, std::size_t> index;
    bool indexed = n->entries.size() + over.entries.size() > 16;
    if (indexed) {
      for (std::size_t i = 0; i < n->entries.size(); ++i) index.emplace(n->entries[i].key, i);
    }
    auto find = [&](const std::string& key) -> std::size_t {
      if (indexed) {
        auto it = index.find(key);
        return it == index.end() ? SIZE_MAX : it->second;
      }
      for (std::size_t i = 0; i < n->entries.size(); ++i) {
        if (n->entries[i].key == key) return i;
      }
      return SIZE_MAX;
    };
    std::vector<bool> erased(n->entries.size(), false);
    bool any_erased = false;
    for (const auto& e : over.entries) {
      if (directive(e, path)) continue;
      std::size_t at = find(e.key);
      auto mark = path.size();
      path += '/';
      path += pointer_escape(e.key);
      if (e.value->kind == NodeKind::null) {
        if (at != SIZE_MAX && !erased[at]) {
          erased[at] = true;
          any_erased = true;
        }
      } else if (at == SIZE_MAX) {
        n->entries.push_back(Entry{e.key, e.key_span, fresh(e.value, path)});
        erased.push_back(false);
        if (indexed) index.emplace(n->entries.back().key, n->entries.size() - 1);
      } else {
        if (erased[at]) {
          erased[at] = false;
          n->entries[at].value = fresh(e.value, path);
        } else {
          n->entries[at].value = merge(n->entries[at].value, e.value, path);
        }
        n->entries[at].key_span = e.key_span;
      }
      path.resize(mark);
    }
    if (any_erased) {
      std::vector<Entry> kept;
      kept.reserve(n->entries.size());
      for (std::size_t i = 0; i < n->entries.size(); ++i) {
        if (!erased[i]) kept.push_back(std::move(n->entries[i]));
      }
      n->entries = std::move(kept);
    }
    n->refs = std::any_of(n->entries.begin(), n->entries.end(), [](const Entry& e) { return e.value->refs; });
    return n;
  }

  NodePtr merge_named(const NodePtr& base, const Node& over, std::string& path) {
    auto n = std::make_shared<Node>(*base);
    n->replaced = nullptr;
    std::unordered_map<std::string, std::size_t> index;
    for (std::size_t i = 0; i < n->items.size(); ++i) {
      index.emplace(n->items[i]->get("name")->scalar_text(), i);
    }
    std::vector<bool> erased(n->items.size(), false);
    for (std::size_t oi = 0; oi < over.items.size(); ++oi) {
      const NodePtr& item = over.items[oi];
      std::string name = item->get("name")->scalar_text();
      auto it = index.find(name);
      auto mark = path.size();
      path += '/';
      path += std::to_string(it == index.end() ? n->items.size() : it->second);
      const Entry* del = item->entry(kDelete);
      if (del && delete_flag(*del, path)) {
        if (it == index.end() || erased[it->second]) {
          diags_.report({Severity::warning,
                         "GW109",
                         fmt::format("'$delete' of '{}', which no earlier layer defines", name),
                         del->key_span,
                         path,
                         {},
                         "remove the item, or check the name"});
        } else {
          erased[it->second] = true;
        }
      } else if (it == index.end()) {
        index.emplace(name, n->items.size());
        n->items.push_back(fresh(item, path));
        erased.push_back(false);
      } else if (erased[it->second]) {
        erased[it->second] = false;
        n->items[it->second] = fresh(item, path);
      } else {
        n->items[it->second] = merge(n->items[it->second], item, path);
      }
      path.resize(mark);
    }
    std::vector<NodePtr> kept;
    kept.reserve(n->items.size());
    for (std::size_t i = 0; i < n->items.size(); ++i) {
      if (!erased[i]) kept.push_back(std::move(n->items[i]));
    }
    n->items = std::move(kept);
    n->refs = std::any_of(n->items.begin(), n->items.end(), [](const NodePtr& i) { return i->refs; });
    return n;
  }

  Diagnostics& diags_;
  const Node* root_;  // the base tree, to name paths for people
};

}  // namespace

NodePtr merge_trees(const NodePtr& base, const NodePtr& overlay, Diagnostics& diags) {
  Merger m(diags, base.get());
  std::string path;
  if (!overlay) return base;
  if (overlay->kind == NodeKind::null) return base;
  if (!overlay->is_map()) {
    diags.error("GW104",
                fmt::format("a config file must be a mapping at the top level, not a {}", to_string(overlay->kind)),
                overlay->span);
    return base;
  }
  if (!base) return m.fresh(overlay, path);
  return m.merge(base, overlay, path);
}

}  // namespace gwctl
