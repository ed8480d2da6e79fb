#include "gwd/limits.hpp"

#include <algorithm>
#include <cmath>
#include <span>
#include <vector>

namespace gwd {

namespace {

std::string_view key_value(const Limit& limit, const Consumer* consumer, std::string_view ip) {
  switch (limit.key) {
    case Limit::Key::route:
      return {};
    case Limit::Key::ip:
      return ip;
    case Limit::Key::consumer:
      return consumer != nullptr ? std::string_view(consumer->name) : ip;
  }
  return {};
}

struct Applied {
  std::string key;
  const Limit* limit = nullptr;  // nullptr: a budget
  const Budget* budget = nullptr;
};

// Every limit and budget that applies to a request, with its counter name (see
// Limit::counter). The list is the
// calling thread's, reused (with its strings' capacity) by the next call.
std::span<Applied> applied(const Route& route, const Consumer* consumer, std::string_view ip) {
  thread_local std::vector<Applied> out;
  std::size_t n = 0;
  auto next = [&]() -> Applied& {
    if (n == out.size()) out.emplace_back();
    return out[n++];
  };
  for (const Limit& l : route.limits) {
    Applied& a = next();
    a.key.assign(l.counter).append(key_value(l, consumer, ip));
    a.limit = &l;
    a.budget = nullptr;
  }
  if (route.budget) {
    Applied& a = next();
    a.key.assign(route.budget->counter);
    a.limit = nullptr;
    a.budget = &*route.budget;
  }
  if (consumer != nullptr) {
    // A consumer's own limits count over all its requests, whatever their key says.
    for (const Limit& l : consumer->limits) {
      Applied& a = next();
      a.key.assign(l.counter);
      a.limit = &l;
      a.budget = nullptr;
    }
    if (consumer->budget) {
      Applied& a = next();
      a.key.assign(consumer->budget->counter);
      a.limit = nullptr;
      a.budget = &*consumer->budget;
    }
  }
  return {out.data(), n};
}

// Brings a fixed-window counter to the window holding `now`.
void roll(double& used, Millis& start, Millis per, Millis now) {
  if (now >= start + per) {
    start = now - (now - start) % per;
    used = 0;
  }
}

}  // namespace

std::optional<Error> Limiter::admit(const Route& route, const Consumer* consumer, std::string_view client_ip,
                                    Millis now) {
  auto all = applied(route, consumer, client_ip);
  if (all.empty()) return std::nullopt;
  std::lock_guard lock(mu_);
  prune(now);
  thread_local std::vector<Counter*> buckets;
  buckets.clear();
  Millis wait = 0;
  std::string what;
  for (const Applied& a : all) {
    auto [it, fresh] = counters_.try_emplace(a.key);
    Counter& c = it->second;
    c.touched = now;
    if (a.limit != nullptr && a.limit->unit == Limit::Unit::requests) {
      double capacity = static_cast<double>(a.limit->amount);
      double rate = capacity / static_cast<double>(a.limit->per);  // requests per ms
      if (fresh) {
        c.level = capacity;
        c.since = now;
      }
      c.level = std::min(capacity, c.level + rate * static_cast<double>(std::max<Millis>(0, now - c.since)));
      c.since = std::max(c.since, now);
      if (c.level < 1) {
        auto need = static_cast<Millis>(std::ceil((1 - c.level) / rate));
        if (need > wait) wait = need;
        what =
            "a limit of " + std::to_string(a.limit->amount) + " requests per " + std::to_string(a.limit->per) + " ms";
      }
      buckets.push_back(&c);
      continue;
    }
    if (fresh) c.since = now;
    Millis per = a.limit != nullptr ? a.limit->per : a.budget->per;
    roll(c.level, c.since, per, now);
    double cap = a.limit != nullptr ? static_cast<double>(a.limit->amount) : a.budget->usd;
    if (c.level >= cap) {
      Millis left = c.since + per - now;
      if (left > wait) wait = left;
      what = a.limit != nullptr ? "a limit of " + std::to_string(a.limit->amount) + " tokens per " +
                                      std::to_string(a.limit->per) + " ms"
                                : std::string("a budget");
    }
  }
  if (!what.empty()) {
    return Error{429, "rate_limited", "too many requests: " + what + " is used up", std::max<Millis>(wait, 1)};
  }
  for (Counter* c : buckets) c->level -= 1;
  return std::nullopt;
}

void Limiter::charge(const Route& route, const Consumer* consumer, std::string_view client_ip, std::int64_t tokens,
                     double usd, Millis now) {
  if (tokens <= 0 && usd <= 0) return;
  auto all = applied(route, consumer, client_ip);
  std::lock_guard lock(mu_);
  for (const Applied& a : all) {
    if (a.limit != nullptr && a.limit->unit == Limit::Unit::requests) continue;
    auto [it, fresh] = counters_.try_emplace(a.key);
    Counter& c = it->second;
    if (fresh) c.since = now;
    c.touched = now;
    roll(c.level, c.since, a.limit != nullptr ? a.limit->per : a.budget->per, now);
    c.level += a.limit != nullptr ? static_cast<double>(tokens) : usd;
  }
}

std::size_t Limiter::counters() const {
  std::lock_guard lock(mu_);
  return counters_.size();
}

void Limiter::prune(Millis now) {
  // Per-address counters could otherwise grow without bound. Every so often, counters not
  // touched for a day go (long enough for any window a request bucket refills in).
  if (++ops_ % 4096 != 0 || counters_.size() < 10000) return;
  for (auto it = counters_.begin(); it != counters_.end();) {
    it = now - it->second.touched > 86400000 ? counters_.erase(it) : std::next(it);
  }
}

}  // namespace gwd
