#include "io.hpp"

#include <vector>

namespace gwd {

Timed::~Timed() {
  if (owner_ != nullptr) owner_->unlink(*this);
}

Deadlines::~Deadlines() {
  while (head_ != nullptr) unlink(*head_);
}

void Deadlines::arm(Timed& t, Millis after) {
  t.due_ = now_ms() + after;
  if (t.owner_ == this) return;
  if (t.owner_ != nullptr) t.owner_->unlink(t);
  t.owner_ = this;
  t.prev_ = nullptr;
  t.next_ = head_;
  if (head_ != nullptr) head_->prev_ = &t;
  head_ = &t;
  if (!ticking_) start();
}

void Deadlines::unlink(Timed& t) {
  if (t.prev_ != nullptr) t.prev_->next_ = t.next_;
  if (t.next_ != nullptr) t.next_->prev_ = t.prev_;
  if (head_ == &t) head_ = t.next_;
  t.owner_ = nullptr;
  t.prev_ = t.next_ = nullptr;
}

void Deadlines::start() {
  ticking_ = true;
  timer_.expires_after(std::chrono::milliseconds(tick));
  timer_.async_wait([this](const error_code& ec) {
    ticking_ = false;
    if (ec) return;
    sweep();
    if (head_ != nullptr) start();
  });
}

void Deadlines::sweep() {
  // Dropped deadlines are unlinked on the way. What fires is unlinked first, so fire() may arm
  // or disarm anything, itself included; a deadline armed during the sweep waits for the next
  // tick.
  Millis now = now_ms();
  std::vector<Timed*> due;
  for (Timed* t = head_; t != nullptr;) {
    Timed* next = t->next_;
    if (t->due_ == never) {
      unlink(*t);
    } else if (t->due_ <= now) {
      due.push_back(t);
    }
    t = next;
  }
  for (Timed* t : due) unlink(*t);
  for (Timed* t : due) t->fire();
}

}  // namespace gwd
