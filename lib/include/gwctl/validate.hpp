// Validate: a merged, interpolated tree against a Schema.
//
// Our own walk reports what needs a source position and good words: unknown keys (GW102, "did
// you mean"), secret-bearing fields holding literals (GW111, never showing the value),
// durations and sizes (GW112), patterns (checked with RE2) and "exactly one of" rules. valijson
// checks the rest; each of its errors is mapped back to the layer line that set the value, or
// for a missing field to the mapping that lacks it, with a note at the value it replaced.
#pragma once

#include <memory>

#include "gwctl/config_tree.hpp"
#include "gwctl/diagnostic.hpp"
#include "gwctl/schema.hpp"

namespace gwctl {

// Remembers the diagnostics of each top-level entity (a provider, model, route, consumer) by
// node identity. Lint validates many variants of one config whose entities are mostly the same
// shared nodes; with a cache each entity is checked once.
class ValidationCache {
 public:
  ValidationCache();
  ~ValidationCache();
  ValidationCache(const ValidationCache&) = delete;
  ValidationCache& operator=(const ValidationCache&) = delete;
  struct Impl;
  std::unique_ptr<Impl> impl;
};

void validate(const NodePtr& root, const Schema& schema, Diagnostics& diags, ValidationCache* cache = nullptr);

}  // namespace gwctl
