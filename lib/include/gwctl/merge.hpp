// Merge: the layers' ConfigTrees → one MergedConfig, keeping provenance (DESIGN.md section 2).
//
// Mappings merge by key; sequences of named mappings merge by `name`; other sequences are
// replaced; `key: null` deletes; `$delete: true` deletes a named item; `$replace: true`
// replaces a mapping. A value set by a later layer keeps its own span and points at the value
// it replaced. Untouched subtrees are shared with the input, not copied.
#pragma once

#include <string>
#include <vector>

#include "gwctl/config_tree.hpp"
#include "gwctl/diagnostic.hpp"

namespace gwctl {

struct MergedConfig {
  NodePtr root;                     // a mapping, or null when no layer had content
  std::vector<std::string> layers;  // names of the layers merged, in order
  const Node* operator->() const { return root.get(); }
  const Node& operator*() const { return *root; }
};

// Merges `overlay` on top of `base` (either may be null). Directives are applied and removed.
NodePtr merge_trees(const NodePtr& base, const NodePtr& overlay, Diagnostics& diags);

}  // namespace gwctl
