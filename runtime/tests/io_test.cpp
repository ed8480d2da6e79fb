// gwd's I/O primitives (server/io.hpp): the per-thread deadline list, and writes that go to the
// socket directly before they wait in the reactor. Real sockets on 127.0.0.1.
#include <catch2/catch.hpp>

#include <chrono>
#include <memory>
#include <string>

#include "io.hpp"

using namespace gwd;
using namespace std::chrono_literals;

namespace {

struct Counter final : Timed {
  int fired = 0;
  void fire() override { ++fired; }
};

// A connected pair of TCP sockets on 127.0.0.1, both on `ioc`.
std::pair<Socket, Socket> socket_pair(net::io_context& ioc) {
  net::basic_socket_acceptor<tcp, Executor> acceptor(ioc, tcp::endpoint(net::ip::make_address("127.0.0.1"), 0));
  Socket client(ioc);
  client.connect(acceptor.local_endpoint());
  Socket server = acceptor.accept();
  return {std::move(client), std::move(server)};
}

// Bytes that tell their own offset apart (no period that divides a socket buffer).
std::string pattern(std::size_t size) {
  std::string s(size, '\0');
  for (std::size_t i = 0; i < size; ++i) s[i] = static_cast<char>('a' + i % 23);
  return s;
}

// A writer (in non-blocking mode, as gwd's sockets are) and a reader on 127.0.0.1, with the
// writer's deadline.
struct Wire {
  net::io_context ioc;
  Deadlines deadlines{ioc};
  std::pair<Socket, Socket> ends = socket_pair(ioc);
  Socket& writer = ends.first;
  Socket& reader = ends.second;
  IoDeadline deadline{deadlines, writer};
  error_code ec;  // write_all's
  bool done = false;

  Wire() { writer.non_blocking(true); }

  // write_all of `bytes` under a deadline of `after` ms.
  template <std::size_t N>
  Task<void> write(std::array<net::const_buffer, N> bytes, Millis after) {
    deadline.arm(after);
    co_await write_all(writer, bytes, deadline, ec);
    deadline.disarm();
    done = true;
  }
};

Task<void> read_exactly(Socket& socket, std::string& into, std::size_t size) {
  into.resize(size);
  std::size_t got = 0;
  error_code ec;
  while (got < size && !ec)
    got += co_await socket.async_read_some(net::buffer(into.data() + got, size - got), with_ec(ec));
  into.resize(got);
}

}  // namespace

TEST_CASE("a deadline fires once after its time, and a dropped one never does") {
  net::io_context ioc;
  Deadlines deadlines(ioc);
  Counter kept;
  Counter dropped;
  deadlines.arm(kept, 20);
  deadlines.arm(dropped, 20);
  deadlines.disarm(dropped);
  CHECK(kept.armed());
  CHECK_FALSE(dropped.armed());
  ioc.run_for(100ms);
  CHECK(kept.fired == 1);
  CHECK(dropped.fired == 0);
  CHECK_FALSE(kept.armed());
}

TEST_CASE("a deadline dropped and armed again before the sweep fires at its new time") {
  net::io_context ioc;
  Deadlines deadlines(ioc);
  Counter t;
  deadlines.arm(t, 20);
  deadlines.disarm(t);
  deadlines.arm(t, 80);
  ioc.run_for(50ms);
  CHECK(t.fired == 0);
  ioc.restart();
  ioc.run_for(100ms);
  CHECK(t.fired == 1);
}

TEST_CASE("a deadline's owner may go away armed or dropped, before the sweep or after the list") {
  net::io_context ioc;
  Counter survivor;
  {
    Deadlines deadlines(ioc);
    auto armed = std::make_unique<Counter>();
    auto dropped = std::make_unique<Counter>();
    deadlines.arm(*armed, 10);
    deadlines.arm(*dropped, 10);
    deadlines.arm(survivor, 10);
    deadlines.disarm(*dropped);
    armed.reset();    // unlinks itself
    dropped.reset();  // still linked (dropped lazily): unlinks itself too
    ioc.run_for(50ms);
    CHECK(survivor.fired == 1);
    deadlines.arm(survivor, 1000);
  }
  // The list went first: the survivor no longer belongs to it, and its destructor is safe.
  CHECK_FALSE(survivor.armed());
}

TEST_CASE("write_now sends what the socket takes at once and leaves the rest in the buffers") {
  net::io_context ioc;
  auto [writer, reader] = socket_pair(ioc);
  writer.non_blocking(true);
  std::string small = "GET / HTTP/1.1\r\n\r\n";
  auto one = pieces(small);
  error_code ec;
  CHECK(write_now(writer, one, ec));
  CHECK_FALSE(ec);

  std::string big = pattern(16 << 20);  // more than any socket buffer
  auto two = pieces(big);
  CHECK_FALSE(write_now(writer, two, ec));
  CHECK_FALSE(ec);
  CHECK(two[0].size() > 0);
  CHECK(two[0].size() < big.size());

  Socket blocking(ioc);  // a socket not in non-blocking mode is left to write_all
  auto three = pieces(small);
  CHECK_FALSE(write_now(blocking, three, ec));
  CHECK(three[0].size() == small.size());
}

TEST_CASE("write_all delivers every byte of writes larger than the socket buffer, in order") {
  Wire wire;
  std::string head = pattern(1000);
  std::string body = pattern(12 << 20);
  std::string got;
  net::co_spawn(wire.ioc, wire.write(pieces(head, body), 10000), net::detached);
  net::co_spawn(wire.ioc, read_exactly(wire.reader, got, head.size() + body.size()), net::detached);
  wire.ioc.run_for(20s);
  CHECK(wire.done);
  CHECK_FALSE(wire.ec);
  REQUIRE(got.size() == head.size() + body.size());
  CHECK(got == head + body);
}

TEST_CASE("write_all to a reader that stopped reading ends with a timeout at its deadline") {
  Wire wire;
  std::string body = pattern(32 << 20);
  auto started = std::chrono::steady_clock::now();
  net::co_spawn(wire.ioc, wire.write(pieces(body), 50), net::detached);
  wire.ioc.run_for(5s);
  CHECK(wire.done);
  CHECK(wire.ec == boost::beast::error::timeout);
  CHECK(std::chrono::steady_clock::now() - started < 2s);
}
