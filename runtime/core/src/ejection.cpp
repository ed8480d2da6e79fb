#include "gwd/ejection.hpp"

#include <algorithm>

namespace gwd {

Ejector::Change Ejector::record(const std::string& deployment, bool failed, const Route::Eject& policy, Millis now) {
  std::lock_guard lock(mu_);
  Health& h = health_[deployment];
  if (now < h.until) return Change::none;  // an attempt that began before the ejection
  if (h.probing) {
    h.probing = false;
    h.window = {};
    if (!failed) {
      h.strikes = 0;
      return Change::restored;
    }
    h.strikes = std::min(h.strikes + 1, 4);
    Millis length = std::min<Millis>(policy.window << h.strikes, policy.window * 10);
    h.until = now + length;
    h.probing = true;
    ++ejections_;
    return Change::ejected;
  }
  // Slots of window/slots each; a slot older than the window is reused.
  Millis width = std::max<Millis>(1, policy.window / slots);
  Millis slot_start = now - now % width;
  Slot& slot = h.window[static_cast<std::size_t>((now / width) % slots)];
  if (slot.start != slot_start) slot = Slot{slot_start, 0, 0};
  slot.total += 1;
  slot.failed += failed ? 1 : 0;
  std::uint64_t total = 0;
  std::uint64_t bad = 0;
  for (const Slot& s : h.window) {
    if (s.start >= 0 && now - s.start < policy.window) {
      total += s.total;
      bad += s.failed;
    }
  }
  if (!failed || total < static_cast<std::uint64_t>(std::max(1, policy.min_requests))) return Change::none;
  if (static_cast<double>(bad) / static_cast<double>(total) <= policy.error_rate) return Change::none;
  h.until = now + policy.window;
  h.probing = true;
  h.strikes = 0;
  ++ejections_;
  return Change::ejected;
}

bool Ejector::ejected(const std::string& deployment, Millis now) const {
  std::lock_guard lock(mu_);
  auto it = health_.find(deployment);
  return it != health_.end() && now < it->second.until;
}

std::vector<std::string> Ejector::ejected_list(Millis now) const {
  std::lock_guard lock(mu_);
  std::vector<std::string> out;
  for (const auto& [name, h] : health_) {
    if (now < h.until) out.push_back(name);
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::uint64_t Ejector::ejections() const {
  std::lock_guard lock(mu_);
  return ejections_;
}

}  // namespace gwd
