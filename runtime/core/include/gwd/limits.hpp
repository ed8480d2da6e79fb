// Limits: request-count limits (token buckets refilled continuously), token limits and budgets
// (counters over fixed windows, charged when a response reports its usage). The clock is a
// parameter (`now`, milliseconds on any monotonic scale), so tests step time by hand.
//
// State outlives config snapshots: counters are keyed by route or consumer name, the limit's
// position and numbers, and the key value (consumer name, client address), so a reload that
// keeps a limit keeps its counter. Thread-safe.
#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "gwd/config.hpp"
#include "gwd/decide.hpp"

namespace gwd {

class Limiter {
 public:
  // Admits a request against every limit and budget of the route and the consumer: on success
  // takes one request from each request bucket; on refusal takes nothing and returns the 429
  // with `retry_after` set. Token limits and budgets refuse once their window is used up.
  std::optional<Error> admit(const Route& route, const Consumer* consumer, std::string_view client_ip, Millis now);

  // Charges a finished request's tokens and cost to the token limits and budgets.
  void charge(const Route& route, const Consumer* consumer, std::string_view client_ip, std::int64_t tokens, double usd,
              Millis now);

  std::size_t counters() const;

 private:
  struct Counter {
    double level = 0;  // requests: tokens left in the bucket; tokens/usd: used in the window
    Millis since = 0;  // requests: last refill; tokens/usd: window start
    Millis touched = 0;
  };
  void prune(Millis now);

  mutable std::mutex mu_;
  std::unordered_map<std::string, Counter> counters_;
  std::uint64_t ops_ = 0;
};

}  // namespace gwd
