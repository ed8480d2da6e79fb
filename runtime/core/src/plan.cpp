#include "gwd/plan.hpp"

#include <algorithm>

namespace gwd {

AttemptPlan::AttemptPlan(const Config& config, const Route& route, const Model& first, Millis start)
    : route_(route), deadline_(start + route.total_timeout) {
  chain_.push_back(&first);
  // Only the first model's fallbacks count (a fallback's own fallbacks are not followed), and
  // each alias is tried once.
  for (const std::string& name : first.fallbacks) {
    const Model* m = config.model(name);
    if (m != nullptr && !m->deployments.empty() && std::find(chain_.begin(), chain_.end(), m) == chain_.end()) {
      chain_.push_back(m);
    }
  }
}

bool AttemptPlan::is_failure(const Outcome& outcome) const {
  if (outcome.kind != Outcome::Kind::status) return true;
  return route_.retry_on.contains(outcome) || route_.fallback_on.contains(outcome);
}

Millis AttemptPlan::remaining(Millis now) const {
  return std::max<Millis>(0, deadline_ - now);
}

AttemptPlan::Step AttemptPlan::next(const Outcome& outcome, Millis now) {
  using Kind = Step::Kind;
  if (attempts_ >= route_.max_attempts || now >= deadline_) return {Kind::give_up, 0};
  if (route_.retry_on.contains(outcome) && retries_here_ < route_.retries) {
    Millis delay = route_.backoff_base;
    for (int i = 0; i < retries_here_ && delay < route_.backoff_max; ++i) delay *= 2;
    delay = std::min(delay, route_.backoff_max);
    if (now + delay < deadline_) {
      ++retries_here_;
      return {Kind::retry, delay};
    }
  }
  if (route_.fallback_on.contains(outcome) && index_ + 1 < chain_.size()) {
    ++index_;
    retries_here_ = 0;
    return {Kind::fallback, 0};
  }
  return {Kind::give_up, 0};
}

Error upstream_error(const Outcome& outcome) {
  switch (outcome.kind) {
    case Outcome::Kind::timeout:
      return {504, "upstream_timeout", "the upstream provider did not answer in time"};
    case Outcome::Kind::connect_error:
      return {502, "upstream_unavailable", "the upstream provider could not be reached"};
    case Outcome::Kind::status:
      break;
  }
  return {502, "bad_upstream_response", "the upstream provider failed (status " + std::to_string(outcome.status) + ")"};
}

}  // namespace gwd
