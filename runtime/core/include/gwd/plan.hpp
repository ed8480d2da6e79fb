// Plan: the retry / fallback policy of one client request as a state machine. The server (or
// `gwctl test`) asks the plan which model to try, makes the attempt, and reports the outcome;
// the plan answers retry (same model, after a backoff), fall back (next alias of the model's
// `fallbacks`), or give up. It never exceeds `max_attempts` or `timeouts.total`.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <boost/container/small_vector.hpp>

#include "gwd/config.hpp"
#include "gwd/decide.hpp"

namespace gwd {

class AttemptPlan {
 public:
  // `start` is when the client request started (same clock as later calls).
  AttemptPlan(const Config& config, const Route& route, const Model& first, Millis start);

  struct Step {
    enum class Kind : std::uint8_t { retry, fallback, give_up };
    Kind kind = Kind::give_up;
    Millis delay = 0;  // wait before the next attempt
  };
  // After a failed attempt with outcome `outcome`, observed at `now`.
  Step next(const Outcome& outcome, Millis now);

  const Model& model() const { return *chain_[index_]; }
  int attempts() const { return attempts_; }  // attempts begun so far
  void begin_attempt() { ++attempts_; }
  // Time left before `timeouts.total` at `now` (0 when spent).
  Millis remaining(Millis now) const;
  // Whether `outcome` is a failure the policy reacts to (in retry_on or fallback_on).
  bool is_failure(const Outcome& outcome) const;

 private:
  const Route& route_;
  boost::container::small_vector<const Model*, 4> chain_;  // the first model, then its fallbacks (each alias once)
  std::size_t index_ = 0;
  int attempts_ = 0;
  int retries_here_ = 0;
  Millis deadline_;
};

// The error a client gets when the plan gives up on an outcome without an upstream response
// to relay: 504 for a timeout, 502 for a connection failure or a broken response.
Error upstream_error(const Outcome& outcome);

}  // namespace gwd
