// gwd-mock: a small OpenAI-compatible upstream for tests, demos and the benchmark.
//
//   gwd-mock [--listen 127.0.0.1:0] [--threads 1]
//
// Prints {"event":"listening","listen":"HOST:PORT"} on stdout once bound. Answers every POST
// with a chat completion whose "model" echoes the request's (usage 10 prompt + 5 completion
// tokens), or, with "stream": true, with server-sent events: N content chunks, then a chunk
// with usage, then [DONE]. Behaviour per request, from headers (gwd forwards them):
//   x-mock-status: S         answer S with an OpenAI-style error body
//   x-mock-delay-ms: D       wait D ms before the response header
//   x-mock-chunks: N         stream N content chunks (default 3)
//   x-mock-chunk-delay-ms: D wait D ms between stream chunks
//   x-mock-interim: 1        send "100 Continue" and "103 Early Hints" before the response
// Behaviour for the next requests, set with POST /mock/set {"status": S, "count": N (-1:
// every request), "delay_ms": D, "model": M (only requests whose model starts with M), "mode": "status" |
// "garbage" (a non-HTTP answer) | "close" (hang up)}; POST /mock/reset clears it and the
// counters; GET /mock/stats returns the counters (waits_abandoned: callers that hung up during
// a delay), the last request's headers and body.
#include <atomic>
#include <chrono>
#include <cstdio>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <sys/socket.h>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <nlohmann/json.hpp>

namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;
using json = nlohmann::json;
using std::chrono::milliseconds;

auto ec_token(boost::system::error_code& ec) {
  return net::redirect_error(net::use_awaitable, ec);
}

struct Program {
  int status = 0;
  long count = 0;
  long delay_ms = 0;
  std::string model;
  std::string mode = "status";
};

struct State {
  std::mutex mu;
  Program program;
  long requests = 0;
  long streams_started = 0;
  long streams_completed = 0;
  long streams_cancelled = 0;
  long waits_abandoned = 0;  // callers that hung up during a delay
  std::map<std::string, long> by_model;
  json last_headers = json::object();
  std::string last_target;
  std::string last_body;
};

State state;

// Cancels `timer` when the caller hangs up while `waiting` (a coroutine lambda would outlive
// its captures, hence the parameters).
net::awaitable<void> watch_hangup(tcp::socket& socket, std::shared_ptr<net::steady_timer> timer,
                                  std::shared_ptr<bool> hung_up, std::shared_ptr<bool> waiting) {
  boost::system::error_code ec;
  co_await socket.async_wait(tcp::socket::wait_read, ec_token(ec));
  if (!*waiting || ec == net::error::operation_aborted) co_return;
  char byte = 0;
  if (::recv(socket.native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT) > 0) co_return;
  *hung_up = true;
  timer->cancel();
}

long header_number(const http::request<http::string_body>& req, const char* name, long fallback) {
  auto it = req.find(name);
  if (it == req.end()) return fallback;
  try {
    return std::stol(std::string(it->value()));
  } catch (...) {
    return fallback;
  }
}

http::response<http::string_body> reply(int status, std::string body, bool keep_alive) {
  http::response<http::string_body> res{static_cast<http::status>(status), 11};
  res.set(http::field::content_type, "application/json");
  res.body() = std::move(body);
  res.keep_alive(keep_alive);
  res.prepare_payload();
  return res;
}

std::string chunk_event(const std::string& model, const json& delta, const json& usage) {
  json event = {{"id", "chatcmpl-mock"}, {"object", "chat.completion.chunk"}, {"created", 0}, {"model", model}};
  event["choices"] =
      delta.is_null() ? json::array() : json::array({{{"index", 0}, {"delta", delta}, {"finish_reason", nullptr}}});
  if (!usage.is_null()) event["usage"] = usage;
  return "data: " + event.dump() + "\n\n";
}

// Returns false when the connection must close.
net::awaitable<bool> handle(beast::tcp_stream& stream, http::request<http::string_body>& req) {
  boost::system::error_code ec;
  std::string target(req.target());
  bool keep = req.keep_alive();
  if (target == "/mock/stats") {
    json stats;
    {
      std::lock_guard lock(state.mu);
      stats = {{"requests", state.requests},
               {"streams_started", state.streams_started},
               {"streams_completed", state.streams_completed},
               {"streams_cancelled", state.streams_cancelled},
               {"waits_abandoned", state.waits_abandoned},
               {"by_model", state.by_model},
               {"last_headers", state.last_headers},
               {"last_target", state.last_target},
               {"last_body", state.last_body}};
    }
    co_await http::async_write(stream, reply(200, stats.dump(), keep), ec_token(ec));
    co_return !ec && keep;
  }
  if (target == "/mock/reset") {
    std::lock_guard lock(state.mu);
    state.program = Program{};
    state.requests = state.streams_started = state.streams_completed = state.streams_cancelled = state.waits_abandoned =
        0;
    state.by_model.clear();
  }
  if (target == "/mock/set") {
    json p = json::parse(req.body(), nullptr, false);
    if (p.is_object()) {
      std::lock_guard lock(state.mu);
      state.program.status = p.value("status", 0);
      state.program.count = p.value("count", -1L);
      state.program.delay_ms = p.value("delay_ms", 0L);
      state.program.model = p.value("model", std::string());
      state.program.mode = p.value("mode", std::string("status"));
    }
  }
  if (target == "/mock/set" || target == "/mock/reset") {
    co_await http::async_write(stream, reply(200, R"({"ok":true})", keep), ec_token(ec));
    co_return !ec && keep;
  }

  json body = json::parse(req.body(), nullptr, false);
  if (!body.is_object()) {
    co_await http::async_write(
        stream, reply(400, R"({"error":{"type":"invalid_request_error","message":"body is not JSON"}})", keep),
        ec_token(ec));
    co_return !ec && keep;
  }
  std::string model = body.value("model", std::string("unknown"));
  bool streaming = body.value("stream", false);
  int status = static_cast<int>(header_number(req, "x-mock-status", 0));
  long delay = header_number(req, "x-mock-delay-ms", 0);
  std::string mode = "status";
  {
    std::lock_guard lock(state.mu);
    state.requests += 1;
    state.by_model[model] += 1;
    state.last_headers = json::object();
    for (const auto& f : req) state.last_headers[std::string(f.name_string())] = std::string(f.value());
    state.last_target = target;
    state.last_body = req.body();
    Program& p = state.program;
    if (p.count != 0 && model.starts_with(p.model)) {
      if (p.count > 0) p.count -= 1;
      if (status == 0) status = p.status;
      delay += p.delay_ms;
      mode = p.mode;
    }
  }
  if (delay > 0) {
    // While it waits, the mock notices a caller that hangs up (gwd cancelling the request).
    auto executor = co_await net::this_coro::executor;
    auto t = std::make_shared<net::steady_timer>(executor, milliseconds(delay));
    auto hung_up = std::make_shared<bool>(false);
    auto waiting = std::make_shared<bool>(true);
    net::co_spawn(executor, watch_hangup(stream.socket(), t, hung_up, waiting), net::detached);
    co_await t->async_wait(ec_token(ec));
    *waiting = false;
    if (*hung_up) {
      std::lock_guard lock(state.mu);
      state.waits_abandoned += 1;
      co_return false;
    }
    stream.socket().cancel(ec);
    ec = {};
  }
  if (mode == "close") co_return false;
  if (header_number(req, "x-mock-interim", 0) != 0) {
    static const std::string interim = "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </x>\r\n\r\n";
    co_await net::async_write(stream, net::buffer(interim), ec_token(ec));
    if (ec) co_return false;
  }
  if (mode == "garbage") {
    co_await net::async_write(stream, net::buffer(std::string("SPLAT not http at all\r\n\r\n")), ec_token(ec));
    co_return false;
  }
  if (status >= 400) {
    json err = {{"error", {{"type", "mock_error"}, {"message", "gwd-mock was told to fail"}}}};
    co_await http::async_write(stream, reply(status, err.dump(), keep), ec_token(ec));
    co_return !ec && keep;
  }
  json usage = {{"prompt_tokens", 10}, {"completion_tokens", 5}, {"total_tokens", 15}};
  if (!streaming) {
    json out = {{"id", "chatcmpl-mock"},
                {"object", "chat.completion"},
                {"created", 0},
                {"model", model},
                {"choices", json::array({{{"index", 0},
                                          {"message", {{"role", "assistant"}, {"content", "Hello from gwd-mock."}}},
                                          {"finish_reason", "stop"}}})},
                {"usage", usage}};
    co_await http::async_write(stream, reply(200, out.dump(), keep), ec_token(ec));
    co_return !ec && keep;
  }
  long chunks = header_number(req, "x-mock-chunks", 3);
  long chunk_delay = header_number(req, "x-mock-chunk-delay-ms", 0);
  {
    std::lock_guard lock(state.mu);
    state.streams_started += 1;
  }
  http::response<http::empty_body> res{http::status::ok, 11};
  res.set(http::field::content_type, "text/event-stream");
  res.keep_alive(keep);
  res.chunked(true);
  http::response_serializer<http::empty_body> sr{res};
  co_await http::async_write_header(stream, sr, ec_token(ec));
  std::vector<std::string> events;
  events.push_back(chunk_event(model, {{"role", "assistant"}, {"content", ""}}, nullptr));
  for (long i = 0; i < chunks; ++i)
    events.push_back(chunk_event(model, {{"content", "tok" + std::to_string(i) + " "}}, nullptr));
  events.push_back(chunk_event(model, nullptr, usage));
  events.push_back("data: [DONE]\n\n");
  for (std::size_t i = 0; i < events.size() && !ec; ++i) {
    if (i > 0 && chunk_delay > 0) {
      net::steady_timer t(co_await net::this_coro::executor, milliseconds(chunk_delay));
      co_await t.async_wait(ec_token(ec));
    }
    co_await net::async_write(stream, http::make_chunk(net::buffer(events[i])), ec_token(ec));
  }
  if (!ec) co_await net::async_write(stream, http::make_chunk_last(), ec_token(ec));
  {
    std::lock_guard lock(state.mu);
    (ec ? state.streams_cancelled : state.streams_completed) += 1;
  }
  co_return !ec && keep;
}

net::awaitable<void> session(tcp::socket socket) {
  beast::tcp_stream stream(std::move(socket));
  boost::system::error_code ec;
  stream.socket().set_option(tcp::no_delay(true), ec);
  beast::flat_buffer buffer;
  try {
    for (;;) {
      http::request_parser<http::string_body> parser;
      parser.body_limit(64 << 20);
      co_await http::async_read(stream, buffer, parser, ec_token(ec));
      if (ec) break;
      auto req = parser.release();
      if (!co_await handle(stream, req)) break;
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "gwd-mock: %s\n", e.what());
  }
  stream.socket().shutdown(tcp::socket::shutdown_both, ec);
}

}  // namespace

int main(int argc, char** argv) {
  std::string listen = "127.0.0.1:0";
  int threads = 1;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--listen" && i + 1 < argc) {
      listen = argv[++i];
    } else if (a == "--threads" && i + 1 < argc) {
      threads = std::max(1, std::atoi(argv[++i]));
    } else {
      std::fprintf(stderr, "usage: gwd-mock [--listen HOST:PORT] [--threads N]\n");
      return 2;
    }
  }
  auto colon = listen.rfind(':');
  if (colon == std::string::npos) {
    std::fprintf(stderr, "gwd-mock: --listen expects HOST:PORT\n");
    return 2;
  }
  std::vector<std::unique_ptr<net::io_context>> contexts;
  for (int i = 0; i < threads; ++i) contexts.push_back(std::make_unique<net::io_context>(1));
  net::io_context main{1};
  boost::system::error_code ec;
  tcp::endpoint endpoint(net::ip::make_address(listen.substr(0, colon), ec),
                         static_cast<unsigned short>(std::atoi(listen.c_str() + colon + 1)));
  if (ec) {
    std::fprintf(stderr, "gwd-mock: bad address '%s'\n", listen.c_str());
    return 2;
  }
  tcp::acceptor acceptor(main);
  acceptor.open(endpoint.protocol());
  acceptor.set_option(tcp::acceptor::reuse_address(true));
  acceptor.bind(endpoint);
  acceptor.listen(net::socket_base::max_listen_connections);
  auto bound = acceptor.local_endpoint();
  std::printf("{\"event\":\"listening\",\"listen\":\"%s:%u\"}\n", bound.address().to_string().c_str(),
              static_cast<unsigned>(bound.port()));
  std::fflush(stdout);
  net::co_spawn(
      main,
      [&]() -> net::awaitable<void> {
        for (std::size_t next = 0;; ++next) {
          boost::system::error_code aec;
          auto& ctx = *contexts[next % contexts.size()];
          tcp::socket socket = co_await acceptor.async_accept(ctx, ec_token(aec));
          if (aec) continue;
          net::co_spawn(ctx, session(std::move(socket)), net::detached);
        }
      },
      net::detached);
  net::signal_set signals(main, SIGTERM, SIGINT);
  signals.async_wait([&](const boost::system::error_code&, int) {
    main.stop();
    for (auto& c : contexts) c->stop();
  });
  std::vector<std::thread> pool;
  for (auto& c : contexts) {
    net::io_context* ctx = c.get();
    pool.emplace_back([ctx] {
      auto guard = net::make_work_guard(*ctx);
      ctx->run();
    });
  }
  main.run();
  for (auto& t : pool) t.join();
  return 0;
}
