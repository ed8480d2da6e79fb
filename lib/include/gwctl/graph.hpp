// Graph: an environment's compiled config as a Graphviz DOT digraph (`gwctl graph`).
//
//   routes → models → deployments → providers
//
// Routes (in match order) point at the model aliases they allow, the default one labelled;
// models at their deployments with the traffic share as a percentage; deployments at their
// provider. Fallbacks are dashed model → model edges numbered in the order they are tried. A
// public route (auth none) is drawn red and labelled "public". Each kind sits in its own
// cluster. The output depends only on the config: same config, same bytes.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace gwctl {

// `config` is an artifact's "config" (the GatewayModel); the title names the environment.
std::string render_dot(const nlohmann::json& config, const std::string& environment,
                       const std::vector<std::string>& flags);

// A DOT double-quoted string: `"` and `\` escaped, a newline as \n, other control characters
// as a space, so that Graphviz shows the text as written (no \N, \G or \l expansion).
std::string dot_quote(std::string_view text);

// Basis points as a percentage: 9500 → "95%", 3333 → "33.33%", 50 → "0.5%".
std::string weight_percent(long long basis_points);

}  // namespace gwctl
