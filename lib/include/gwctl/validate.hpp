// Validate: a merged, interpolated tree against a Schema.
//
// Our own walk reports what needs a source position and good words: unknown keys (GW102, "did
// you mean"), secret-bearing fields holding literals (GW111, never showing the value),
// durations and sizes (GW112), patterns (checked with RE2) and "exactly one of" rules. valijson
// checks the rest; each of its errors is mapped back to the layer line that set the value, or
// for a missing field to the mapping that lacks it, with a note at the value it replaced.
#pragma once

#include "gwctl/config_tree.hpp"
#include "gwctl/diagnostic.hpp"
#include "gwctl/schema.hpp"

namespace gwctl {

void validate(const NodePtr& root, const Schema& schema, Diagnostics& diags);

}  // namespace gwctl
