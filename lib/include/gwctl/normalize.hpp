// Normalize: a valid merged config → the GatewayModel, the form the artifact carries.
//
// Drops `vars` and `flags`; fills every schema default; durations → milliseconds, sizes →
// bytes, secret references → {"$secret": NAME}; expands the model shorthand into one
// deployment; normalizes weights to basis points (each model's weights sum to 10000, by
// largest remainder; missing weights split evenly; all-zero stays zero). Assumes validation
// passed: it does not report, it only transforms.
#pragma once

#include <nlohmann/json.hpp>

#include "gwctl/config_tree.hpp"
#include "gwctl/schema.hpp"

namespace gwctl {

struct GatewayModel {
  nlohmann::json config;  // objects keep sorted keys; routes and consumers keep declared order
};

GatewayModel normalize(const Node& merged, const Schema& schema);

// Weights → basis points summing to 10000 (largest remainder, ties to the earlier item).
std::vector<std::int64_t> normalize_weights(const std::vector<std::int64_t>& weights);

}  // namespace gwctl
