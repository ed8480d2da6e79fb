// Parity (GW7xx): what environments may set differently. Environments are compared as base +
// their overlay, without flags (flag overlays are the sanctioned way to differ); every value
// that differs outside `parity.may_differ` is drift. `gwctl lint` reports drift as GW701 and
// flags enabled out of promotion order as GW702; `gwctl promote` refuses drift.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "gwctl/diagnostic.hpp"
#include "gwctl/pipeline.hpp"

namespace gwctl {

struct Drift {
  std::string path;   // by name: "/routes/chat/timeouts/total"
  std::string where;  // for people: "routes[chat].timeouts.total"
  struct Value {
    std::string env;
    std::string text;         // "30s", "[429, 503]", "(absent)"; a credential-bearing field shows as <secret>
    Span span;                // where that environment's value is set (invalid when absent)
    bool by_overlay = false;  // set by the environment's own overlay
  };
  std::vector<Value> values;  // one per environment, in the order asked for
};

// The drift between `envs` (two or more), sorted by path.
std::vector<Drift> parity_drift(const Pipeline& pipeline, const std::vector<std::string>& envs);

// Lint's parity findings, each with the environment it arises in.
std::vector<std::pair<std::string, Diagnostic>> check_parity(const Pipeline& pipeline,
                                                             const std::vector<Variant>& configured);

}  // namespace gwctl
