// Ejection: the health of each deployment (keyed "provider/id") over a sliding window of its
// route's `resilience.eject`. When the error rate exceeds `error_rate` after `min_requests`,
// the deployment is ejected for one window; then it is probed: back in rotation, and its next
// outcome decides (a success restores it, a failure ejects it again, for twice as long, up to
// ten windows). The clock is a parameter. Thread-safe; state outlives config snapshots.
#pragma once

#include <array>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "gwd/config.hpp"

namespace gwd {

class Ejector {
 public:
  enum class Change : std::uint8_t { none, ejected, restored };

  // Records one upstream attempt of a deployment.
  Change record(const std::string& deployment, bool failed, const Route::Eject& policy, Millis now);
  // Whether the deployment is out of rotation at `now`.
  bool ejected(const std::string& deployment, Millis now) const;
  // Deployments out of rotation at `now`, sorted.
  std::vector<std::string> ejected_list(Millis now) const;
  std::uint64_t ejections() const;

 private:
  static constexpr int slots = 10;
  struct Slot {
    Millis start = -1;
    std::uint32_t total = 0;
    std::uint32_t failed = 0;
  };
  struct Health {
    std::array<Slot, slots> window{};
    Millis until = 0;      // ejected while now < until
    bool probing = false;  // ejection ended; the next outcome decides
    int strikes = 0;       // consecutive ejections, for the growing ejection time
  };
  mutable std::mutex mu_;
  std::unordered_map<std::string, Health> health_;
  std::uint64_t ejections_ = 0;
};

}  // namespace gwd
