// I/O primitives of gwd's threads. Sockets and coroutines are bound to one io_context's own
// executor type, not the type-erased default, and deadlines live in one list per thread that a
// 10 ms tick sweeps: arming, moving or dropping a deadline is a store or two, with no timer
// operation, no syscall and no cancelled handler to run. A deadline fires at most one tick late.
#pragma once

#include <algorithm>
#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <span>
#include <string_view>
#include <type_traits>
#include <utility>

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/read_size.hpp>

namespace gwd {

namespace net = boost::asio;
using tcp = net::ip::tcp;
using error_code = boost::system::error_code;
using Millis = std::int64_t;

using Executor = net::io_context::executor_type;
template <class T = void>
using Task = net::awaitable<T, Executor>;
using Socket = net::basic_stream_socket<tcp, Executor>;
using TlsSocket = net::ssl::stream<Socket>;
using Buffer = boost::beast::flat_buffer;

inline constexpr net::use_awaitable_t<Executor> use_task{};
// The completion token that stores the error in `ec` instead of throwing it.
inline auto with_ec(error_code& ec) {
  return net::redirect_error(use_task, ec);
}

// Milliseconds on the steady clock.
inline Millis now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

class Deadlines;

// Something to do once when a time passes: armed in one thread's Deadlines, fired by its tick.
class Timed {
 public:
  Timed() = default;
  Timed(const Timed&) = delete;
  Timed& operator=(const Timed&) = delete;
  virtual ~Timed();
  bool armed() const;

 protected:
  virtual void fire() = 0;

 private:
  friend class Deadlines;
  Deadlines* owner_ = nullptr;
  Millis due_ = 0;
  Timed* prev_ = nullptr;
  Timed* next_ = nullptr;
};

// The deadlines of one thread (one io_context). Not thread-safe. A dropped deadline stays in
// the list, marked, until the next sweep or its owner's destruction unlinks it: a request arms
// and drops several, and unlinking each would touch its neighbours, other connections' memory.
class Deadlines {
 public:
  static constexpr Millis tick = 10;
  static constexpr Millis never = std::numeric_limits<Millis>::max();

  explicit Deadlines(net::io_context& ioc) : timer_(ioc) {}
  ~Deadlines();
  Deadlines(const Deadlines&) = delete;
  Deadlines& operator=(const Deadlines&) = delete;

  // Fires `t` once `after` milliseconds have passed, replacing any time it was armed with.
  void arm(Timed& t, Millis after);
  void disarm(Timed& t) { t.due_ = never; }

 private:
  friend class Timed;
  void start();
  void sweep();
  void unlink(Timed& t);
  net::steady_timer timer_;
  Timed* head_ = nullptr;
  bool ticking_ = false;
};

inline bool Timed::armed() const {
  return owner_ != nullptr && due_ != Deadlines::never;
}

// The deadline of a socket's operations: when it passes, the socket's pending operations are
// cancelled and `expired` tells the waiting coroutine that the error is a timeout.
class IoDeadline final : public Timed {
 public:
  IoDeadline(Deadlines& deadlines, Socket& socket) : deadlines_(deadlines), socket_(&socket) {}
  void arm(Millis after) {
    expired_ = false;
    deadlines_.arm(*this, after);
  }
  // Drops the deadline; the next operation waits without one until arm().
  void disarm() {
    expired_ = false;
    deadlines_.disarm(*this);
  }
  bool expired() const { return expired_; }
  // `ec` becomes beast::error::timeout when the deadline cut the operation short.
  void classify(error_code& ec) const {
    if (expired_ && ec) ec = boost::beast::error::timeout;
  }

 private:
  void fire() override {
    expired_ = true;
    error_code ignored;
    socket_->cancel(ignored);
  }
  Deadlines& deadlines_;
  Socket* socket_;
  bool expired_ = false;
};

// Reads what is available (at least one byte, at most 64 KiB) into `buffer`, under
// `deadline`; end of stream is net::error::eof.
template <class Stream>
Task<std::size_t> read_some(Stream& stream, Buffer& buffer, IoDeadline& deadline, error_code& ec) {
  if (deadline.expired()) {
    // It passed as the last operation finished: this one would wait without a limit.
    ec = boost::beast::error::timeout;
    co_return 0;
  }
  std::size_t n = co_await stream.async_read_some(buffer.prepare(boost::beast::read_size(buffer, 65536)), with_ec(ec));
  deadline.classify(ec);
  buffer.commit(n);
  co_return n;
}

// The buffers of `pieces` (strings or string views), to write in one call.
template <class... Pieces>
std::array<net::const_buffer, sizeof...(Pieces)> pieces(const Pieces&... p) {
  return {net::const_buffer(p.data(), p.size())...};
}

// Writes what a plain socket in non-blocking mode takes at once, and drops it from `buffers`.
// True when write_all has nothing left to do: every byte went, or the write failed (`ec`). The
// common case, a message that fits in the socket's buffer, then costs no coroutine at all.
template <class Stream, std::size_t N>
bool write_now(Stream& stream, std::array<net::const_buffer, N>& buffers, error_code& ec) {
  if constexpr (!std::is_same_v<Stream, Socket>) {
    return false;
  } else {
    if (!stream.non_blocking()) return false;
    std::size_t n = stream.write_some(buffers, ec);
    if (ec == net::error::would_block || ec == net::error::try_again) {
      ec = {};
      return false;
    }
    if (ec) return true;
    bool left = false;
    for (net::const_buffer& b : buffers) {
      std::size_t used = std::min(n, b.size());
      b += used;
      n -= used;
      left = left || b.size() > 0;
    }
    return !left;
  }
}

// Writes every byte of `buffers` (one or more calls), under `deadline`. A plain socket in
// non-blocking mode (set on gwd's client and upstream sockets) is first written directly (see
// write_now).
template <class Stream, std::size_t N>
Task<void> write_all(Stream& stream, std::array<net::const_buffer, N> buffers, IoDeadline& deadline, error_code& ec) {
  // One direct attempt, then the reactor: a reader that keeps pace must not keep this thread
  // writing while its other connections wait.
  if (write_now(stream, buffers, ec)) co_return;
  std::span<net::const_buffer> left(buffers);
  for (;;) {
    while (!left.empty() && left.front().size() == 0) left = left.subspan(1);
    if (left.empty()) co_return;
    if (deadline.expired()) {
      // It passed as the last write finished: this one would wait without a limit.
      ec = boost::beast::error::timeout;
      co_return;
    }
    std::size_t n = co_await stream.async_write_some(left, with_ec(ec));
    deadline.classify(ec);
    if (ec) co_return;
    while (!left.empty() && n >= left.front().size()) {
      n -= left.front().size();
      left = left.subspan(1);
    }
    if (!left.empty()) left.front() += n;
  }
}

}  // namespace gwd
