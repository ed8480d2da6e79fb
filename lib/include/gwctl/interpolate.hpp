// Interpolation: resolves ${var:NAME} in a merged tree; keeps ${secret:NAME} as a reference.
//
// A scalar that is exactly one ${var:…} takes the var's type, so `replicas: ${var:replicas}`
// stays an integer. `$${` is a literal `${`. Unknown vars (GW110, with "did you mean") and
// malformed references (GW115) are reported at the scalar. Subtrees without references are
// shared, not copied.
#pragma once

#include "gwctl/config_tree.hpp"
#include "gwctl/diagnostic.hpp"

namespace gwctl {

NodePtr interpolate(const NodePtr& root, Diagnostics& diags);

// Whether `text` is exactly one secret reference; sets `name` when it is.
bool parse_secret_ref(std::string_view text, std::string* name = nullptr);

}  // namespace gwctl
