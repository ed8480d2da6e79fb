#include "server.hpp"

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <climits>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <limits>
#include <mutex>
#include <random>
#include <thread>
#include <utility>

#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <nlohmann/json.hpp>

#include "gwd/decide.hpp"
#include "gwd/ejection.hpp"
#include "gwd/limits.hpp"
#include "gwd/plan.hpp"
#include "gwd/request.hpp"
#include "gwd/upstream.hpp"
#include "metrics.hpp"
#include "upstream_client.hpp"

namespace gwd {

namespace {

namespace http = beast::http;
using json = nlohmann::json;
using std::chrono::milliseconds;

constexpr std::size_t max_header_bytes = 64 * 1024;
constexpr std::uint64_t max_upstream_body = 64ull << 20;
constexpr std::uintmax_t max_artifact_bytes = 64ull << 20;

Millis now_ms() {
  return std::chrono::duration_cast<milliseconds>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

std::string_view sv(beast::string_view s) {
  return {s.data(), s.size()};
}

auto ec_token(boost::system::error_code& ec) {
  return net::redirect_error(net::use_awaitable, ec);
}

// ---------------------------------------------------------------------------------------------
// Logging: JSON lines, access log on stdout, events on stderr. Neither ever carries a key or a
// body: only names from the config, numbers and fixed words.

// One write(2) per line and no lock: a line of up to PIPE_BUF bytes reaches a pipe whole, and
// writes to a file serialize on its position, so threads never interleave within a line. A
// line the log cannot take (a full non-blocking pipe, a closed descriptor) is dropped rather
// than held: requests must not wait on the log.
void write_line(int fd, std::string_view text) {
  while (!text.empty()) {
    ssize_t n = ::write(fd, text.data(), text.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    text.remove_prefix(static_cast<std::size_t>(n));
  }
}

void log_line(int fd, const json& line) {
  std::string text = line.dump(-1, ' ', false, json::error_handler_t::replace);
  text.push_back('\n');
  write_line(fd, text);
}

// A JSON object written member by member, for the access log: one line per request, where a
// json object (a map of copies) would cost more than the rest of the line's work. Members must
// be added in key order, as json::dump writes them for the event lines.
class JsonLine {
 public:
  JsonLine() {
    text_.reserve(320);
    text_.push_back('{');
  }
  JsonLine& string(std::string_view key, std::string_view value) {
    name(key);
    quoted(value);
    return *this;
  }
  // null when `value` is empty
  JsonLine& string_or_null(std::string_view key, std::string_view value) {
    if (!value.empty()) return string(key, value);
    name(key);
    text_.append("null");
    return *this;
  }
  JsonLine& number(std::string_view key, std::int64_t value) {
    name(key);
    char digits[24];
    auto [end, ec] = std::to_chars(digits, digits + sizeof digits, value);
    text_.append(digits, end);
    return *this;
  }
  // The shortest form that reads back, with ".0" on a whole number, as json::dump writes it.
  JsonLine& number(std::string_view key, double value) {
    name(key);
    if (!std::isfinite(value)) {
      text_.append("null");
      return *this;
    }
    char digits[32];
    auto [end, ec] = std::to_chars(digits, digits + sizeof digits, value);
    std::string_view text(digits, static_cast<std::size_t>(end - digits));
    text_.append(text);
    if (text.find_first_of(".e") == std::string_view::npos) text_.append(".0");
    return *this;
  }
  JsonLine& boolean(std::string_view key, bool value) {
    name(key);
    text_.append(value ? "true" : "false");
    return *this;
  }
  std::string& finish() {
    text_.append("}\n");
    return text_;
  }

 private:
  void name(std::string_view key) {
    if (text_.size() > 1) text_.push_back(',');
    quoted(key);
    text_.push_back(':');
  }
  void quoted(std::string_view value) {
    // Config names and HTTP method tokens never need escaping; anything else goes through
    // json::dump, which also replaces invalid UTF-8.
    bool plain = std::all_of(value.begin(), value.end(), [](char c) {
      auto u = static_cast<unsigned char>(c);
      return u >= 0x20 && u < 0x80 && c != '"' && c != '\\';
    });
    if (!plain) {
      text_.append(json(std::string(value)).dump(-1, ' ', false, json::error_handler_t::replace));
      return;
    }
    text_.push_back('"');
    text_.append(value);
    text_.push_back('"');
  }
  std::string text_;
};

// UTC with milliseconds, "2026-11-22T13:26:24.895Z". The part up to the seconds is formatted
// once a second per thread.
std::string wall_time() {
  thread_local std::time_t cached_second = -1;
  thread_local char cached[64];
  auto now = std::chrono::system_clock::now();
  std::time_t t = std::chrono::system_clock::to_time_t(now);
  auto ms = std::chrono::duration_cast<milliseconds>(now.time_since_epoch()).count() % 1000;
  if (t != cached_second) {
    std::tm tm{};
    gmtime_r(&t, &tm);
    std::snprintf(cached, sizeof cached, "%04d-%02d-%02dT%02d:%02d:%02d.", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                  tm.tm_hour, tm.tm_min, tm.tm_sec);
    cached_second = t;
  }
  std::string out(cached);
  out.push_back(static_cast<char>('0' + ms / 100));
  out.push_back(static_cast<char>('0' + ms / 10 % 10));
  out.push_back(static_cast<char>('0' + ms % 10));
  out.push_back('Z');
  return out;
}

// The key id of the artifact's signature, null when it is unsigned (logs and /config).
json signed_by(const Config& config) {
  return config.signed_by.empty() ? json(nullptr) : json(config.signed_by);
}

void log_event(const std::string& event, json fields = json::object()) {
  fields["ts"] = wall_time();
  fields["event"] = event;
  log_line(STDERR_FILENO, fields);
}

// ---------------------------------------------------------------------------------------------
// Snapshots and the state shared by every thread.

struct Snapshot {
  std::shared_ptr<const Config> config;
  std::shared_ptr<const TlsContexts> tls;
};

Result<std::shared_ptr<const Snapshot>> load_snapshot(const Options& options) {
  std::error_code fec;
  auto size = std::filesystem::file_size(options.artifact, fec);
  if (fec) return {std::nullopt, "cannot read the artifact '" + options.artifact + "': " + fec.message()};
  if (size > max_artifact_bytes) return {std::nullopt, "the artifact '" + options.artifact + "' is over 64 MiB"};
  std::ifstream in(options.artifact, std::ios::binary);
  std::string text((std::istreambuf_iterator<char>(in)), {});
  if (!in.good() && !in.eof()) return {std::nullopt, "cannot read the artifact '" + options.artifact + "'"};
  auto verified = verify_artifact(text, options.signature_key.get());
  if (!verified.ok()) return {std::nullopt, verified.error};
  SecretSource secrets = [&](const std::string& name) -> std::optional<std::string> {
    if (const char* v = std::getenv(name.c_str()); v != nullptr && *v != '\0') return std::string(v);
    if (options.secrets_dir.empty() || name.find('/') != std::string::npos || name.starts_with(".")) {
      return std::nullopt;
    }
    std::ifstream file(std::filesystem::path(options.secrets_dir) / name, std::ios::binary);
    if (!file) return std::nullopt;
    std::string value((std::istreambuf_iterator<char>(file)), {});
    while (!value.empty() && (value.back() == '\n' || value.back() == '\r')) value.pop_back();
    return value;
  };
  std::string base_dir = std::filesystem::path(options.artifact).parent_path().string();
  auto loaded = load_config(*verified.value, secrets, base_dir.empty() ? "." : base_dir);
  if (!loaded.ok()) return {std::nullopt, loaded.error};
  std::shared_ptr<const Config> config = *loaded.value;
  if (!options.provider_urls.empty()) {
    auto changed = std::make_shared<Config>(*config);
    for (const auto& [name, url] : options.provider_urls) {
      auto parsed = parse_url(url);
      if (!parsed) return {std::nullopt, "--provider-url: '" + url + "' is not an http(s) URL"};
      bool found = false;
      for (Provider& p : changed->providers) {
        if (name == "*" || p.name == name) {
          p.base = *parsed;
          found = true;
        }
      }
      if (!found) return {std::nullopt, "--provider-url: the artifact has no provider '" + name + "'"};
    }
    config = changed;
  }
  auto tls = TlsContexts::make(*config);
  if (!tls.ok()) return {std::nullopt, tls.error};
  return {std::make_shared<const Snapshot>(Snapshot{config, *tls.value}), {}};
}

// Access-log lines of one worker, written together once the handlers that are ready have run
// (one write(2) for a burst of requests instead of one each). Writes never split a line and
// never pass PIPE_BUF unless one line does, so lines from different workers stay whole.
class LogBuffer {
 public:
  explicit LogBuffer(net::io_context& ioc) : ioc_(ioc) { text_.reserve(2 * PIPE_BUF); }
  void add(std::string_view line) {
    if (text_.size() + line.size() > PIPE_BUF) flush();
    text_.append(line);
    if (!posted_) {
      posted_ = true;
      net::post(ioc_, [this] {
        posted_ = false;
        flush();
      });
    }
  }
  void flush() {
    if (!text_.empty()) write_line(STDOUT_FILENO, text_);
    text_.clear();
  }

 private:
  net::io_context& ioc_;
  std::string text_;
  bool posted_ = false;
};

struct Worker {
  net::io_context ioc{1};
  Pool pool;
  std::mt19937_64 rng{std::random_device{}()};
  LogBuffer access_log{ioc};
  std::thread thread;
};

struct Runtime {
  Options options;
  Limiter limiter;
  Ejector ejector;
  Metrics metrics;
  std::atomic<std::int64_t> in_flight{0};
  std::atomic<bool> draining{false};

  std::shared_ptr<const Snapshot> current() const {
    std::lock_guard lock(mu);
    return snapshot;
  }
  void install(std::shared_ptr<const Snapshot> s) {
    std::lock_guard lock(mu);
    snapshot = std::move(s);
  }

 private:
  mutable std::mutex mu;
  std::shared_ptr<const Snapshot> snapshot;
};

// ---------------------------------------------------------------------------------------------
// Responses to the client.

using Request = http::request<http::string_body>;
using Response = http::response<http::string_body>;

Response json_response(int status, std::string body, bool keep_alive) {
  Response res{static_cast<http::status>(status), 11};
  res.set(http::field::server, "gwd");
  res.set(http::field::content_type, "application/json");
  res.body() = std::move(body);
  res.keep_alive(keep_alive);
  res.prepare_payload();
  return res;
}

Response error_response(const Error& error, bool keep_alive) {
  Response res = json_response(error.status, error_body(error), keep_alive);
  if (error.retry_after > 0) res.set(http::field::retry_after, std::to_string((error.retry_after + 999) / 1000));
  return res;
}

// A response head as bytes. Written with the body as two buffers in one call: beast's
// serializer walks a chain of small buffers, which cost more than the rest of a request's own
// work. Nothing here escapes: field values are fixed text, an upstream's Content-Type (which
// beast's parser has read as one header line), or a route's respond headers, which load_config
// refuses when they hold a control character.
std::string head_of(const Response& res) {
  std::string out;
  out.reserve(256);
  out.append("HTTP/1.1 ").append(std::to_string(res.result_int())).append(" ").append(sv(res.reason())).append("\r\n");
  for (const auto& field : res) {
    out.append(sv(field.name_string())).append(": ").append(sv(field.value())).append("\r\n");
  }
  out.append("\r\n");
  return out;
}

// GCC 12 destroys some temporaries of a co_await expression twice, so responses are named
// objects passed by reference, never temporaries passed to a coroutine.
net::awaitable<bool> send(beast::tcp_stream& stream, Response& res) {
  boost::system::error_code ec;
  std::string head = head_of(res);
  std::array<net::const_buffer, 2> wire{net::buffer(head), net::buffer(res.body())};
  stream.expires_after(std::chrono::seconds(30));
  co_await net::async_write(stream, wire, ec_token(ec));
  stream.expires_never();
  co_return !ec;
}

// ---------------------------------------------------------------------------------------------
// Watching the client while an attempt is under way. A client that hangs up (EOF or reset)
// closes the upstream connection too, which ends the attempt at once, whatever it waits for:
// the response header, the next stream event or a slow body. Bytes of a pipelined next
// request are left in the socket for the session. (A client that half-closes after sending its
// request counts as gone, as with nginx's default.)

struct ClientWatch {
  bool done = false;  // the attempt has ended; the watcher must not touch anything
  bool gone = false;
  Connection* upstream = nullptr;
};

// A plain completion handler rather than a coroutine: it runs for every forwarded request.
void watch_client(tcp::socket& client, std::shared_ptr<ClientWatch> watch) {
  client.async_wait(tcp::socket::wait_read, [&client, watch](const boost::system::error_code& ec) {
    if (watch->done || ec == net::error::operation_aborted) return;
    if (!ec) {
      char byte = 0;
      ssize_t n = ::recv(client.native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
      if (n > 0 || (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))) return;
    }
    watch->gone = true;
    if (watch->upstream != nullptr) watch->upstream->close();
  });
}

// ---------------------------------------------------------------------------------------------
// One upstream attempt.

struct Attempt {
  Outcome outcome;
  bool got_response = false;  // status and body (or a relayed stream) came back
  bool relayed = false;       // streamed to the client: no retry possible
  bool client_gone = false;
  bool stale = false;     // a reused connection failed before any response byte
  bool reusable = false;  // the response ended cleanly and the provider keeps the connection open
  Response response;
  std::optional<Usage> usage;
  std::string detail;  // for the event log; never a body or a key
};

struct AttemptLimits {
  Millis first_byte;
  Millis idle;
};

Outcome failure_of(const boost::system::error_code& ec) {
  if (ec == beast::error::timeout) return Outcome::timed_out();
  if (ec.category() == http::make_error_code(http::error::bad_version).category()) return Outcome::of_status(502);
  return Outcome::connect_failed();
}

template <class Stream>
net::awaitable<void> exchange(Stream& up, Connection& conn, const std::string& upreq, const AttemptLimits& limits,
                              bool stream_wanted, beast::tcp_stream& client, bool client_keep_alive,
                              const ClientWatch& watch, Attempt& a) {
  boost::system::error_code ec;
  auto& tcp = conn.tcp();
  tcp.expires_after(milliseconds(limits.first_byte));
  co_await net::async_write(up, net::buffer(upreq), ec_token(ec));
  if (ec) {
    a.stale = conn.reused && ec != beast::error::timeout;
    a.outcome = failure_of(ec);
    a.detail = "write: " + ec.message();
    co_return;
  }
  http::response_parser<http::buffer_body> parser;
  parser.body_limit(std::numeric_limits<std::uint64_t>::max());  // streams have no end in sight
  co_await http::async_read_header(up, conn.buffer, parser, ec_token(ec));
  if (ec) {
    a.stale = conn.reused && (ec == http::error::end_of_stream || ec == net::error::connection_reset ||
                              ec == net::error::eof || ec == net::error::broken_pipe);
    a.outcome = failure_of(ec);
    a.detail = "response header: " + ec.message();
    co_return;
  }
  auto& head = parser.get();
  int status = head.result_int();
  a.outcome = Outcome::of_status(status);
  std::string content_type(sv(head[http::field::content_type]));
  bool sse = content_type.find("text/event-stream") != std::string::npos;
  char buf[16384];

  if (stream_wanted && status / 100 == 2 && sse) {
    // Relay: the header, then each piece of the body as one chunk, as it arrives.
    http::response<http::empty_body> res{head.result(), 11};
    res.set(http::field::server, "gwd");
    res.set(http::field::content_type, content_type);
    res.set(http::field::cache_control, "no-cache");
    res.keep_alive(client_keep_alive);
    res.chunked(true);
    http::response_serializer<http::empty_body> sr{res};
    client.expires_after(std::chrono::seconds(30));
    co_await http::async_write_header(client, sr, ec_token(ec));
    a.relayed = true;
    a.got_response = true;
    if (ec) {
      a.client_gone = true;
      co_return;
    }
    SseUsageScanner scanner;
    while (!parser.is_done()) {
      parser.get().body().data = buf;
      parser.get().body().size = sizeof buf;
      tcp.expires_after(milliseconds(limits.idle));
      // read_some: whatever arrived, at once (read would wait to fill the buffer).
      co_await http::async_read_some(up, conn.buffer, parser, ec_token(ec));
      if (ec == http::error::need_buffer) ec = {};
      if (ec) {
        a.usage = scanner.usage();  // what was relayed was used
        a.client_gone = true;       // the client stream cannot be completed: close it
        if (watch.gone) {
          // The client hung up (the watcher closed the upstream connection): the upstream
          // answered, so the outcome stays its status.
          a.detail = "client went away during the stream";
          co_return;
        }
        a.outcome = failure_of(ec);
        a.detail = "stream: " + ec.message();
        co_return;
      }
      std::size_t n = sizeof buf - parser.get().body().size;
      if (n == 0) continue;
      scanner.feed(std::string_view(buf, n));
      client.expires_after(std::chrono::seconds(30));
      co_await net::async_write(client, http::make_chunk(net::buffer(buf, n)), ec_token(ec));
      if (ec) {
        a.usage = scanner.usage();
        a.client_gone = true;
        a.detail = "client went away during the stream";
        co_return;  // the upstream connection is closed by the caller: the upstream request ends
      }
    }
    co_await net::async_write(client, http::make_chunk_last(), ec_token(ec));
    client.expires_never();
    if (ec) a.client_gone = true;
    a.usage = scanner.usage();
    a.reusable = parser.keep_alive();
    co_return;
  }

  // Whole response, kept to relay or to retry.
  std::string body;
  while (!parser.is_done()) {
    parser.get().body().data = buf;
    parser.get().body().size = sizeof buf;
    tcp.expires_after(milliseconds(limits.idle));
    co_await http::async_read(up, conn.buffer, parser, ec_token(ec));
    if (ec == http::error::need_buffer) ec = {};
    if (ec) {
      a.outcome = failure_of(ec);
      a.detail = "response body: " + ec.message();
      co_return;
    }
    body.append(buf, sizeof buf - parser.get().body().size);
    if (body.size() > max_upstream_body) {
      a.outcome = Outcome::of_status(502);
      a.detail = "response body over 64 MiB";
      co_return;
    }
  }
  a.got_response = true;
  a.response = Response{head.result(), 11};
  a.response.set(http::field::server, "gwd");
  a.response.set(http::field::content_type, content_type.empty() ? "application/json" : content_type);
  if (sse) {
    SseUsageScanner scanner;
    scanner.feed(body);
    a.usage = scanner.usage();
  } else if (status / 100 == 2) {
    a.usage = usage_of_body(body);
  }
  a.response.body() = std::move(body);
  a.reusable = parser.keep_alive();
}

// ---------------------------------------------------------------------------------------------
// One client request, start to end.

struct AccessLog {
  std::string method;
  std::string route;
  std::string consumer;
  std::string model;
  std::string deployment;
  int status = 0;
  int attempts = 0;
  Usage usage;
  double cost = 0;
  bool stream = false;
  std::string error_type;
};

class Handler {
 public:
  Handler(Runtime& rt, Worker& worker, beast::tcp_stream& client, std::string ip)
      : rt_(rt), worker_(worker), client_(client), ip_(std::move(ip)) {}

  // Answers one request; false when the connection must close.
  net::awaitable<bool> handle(Request& req, bool keep_alive) {
    Millis start = now_ms();
    rt_.in_flight.fetch_add(1);
    snapshot_ = rt_.current();
    keep_alive_ = keep_alive;
    log_.method = std::string(sv(req.method_string()));
    bool open = co_await serve(req, start);
    double seconds = static_cast<double>(now_ms() - start) / 1000.0;
    rt_.metrics.request(log_.route.empty() ? "-" : log_.route, log_.model, log_.deployment, log_.status, seconds);
    JsonLine line;
    line.number("attempts", std::int64_t{log_.attempts}).string_or_null("consumer", log_.consumer);
    if (log_.cost > 0) line.number("cost_usd", log_.cost);
    line.string_or_null("deployment", log_.deployment);
    if (!log_.error_type.empty()) line.string("error", log_.error_type);
    line.number("latency_ms", static_cast<double>(now_ms() - start))
        .string("method", log_.method)
        .string_or_null("model", log_.model)
        .string_or_null("route", log_.route)
        .number("status", std::int64_t{log_.status})
        .boolean("stream", log_.stream)
        .number("tokens_in", static_cast<std::int64_t>(log_.usage.input))
        .number("tokens_out", static_cast<std::int64_t>(log_.usage.output))
        .string("ts", wall_time());
    worker_.access_log.add(line.finish());
    rt_.in_flight.fetch_sub(1);
    co_return open&& keep_alive_;
  }

 private:
  // Sets the error response that flush() sends (see send() for why the two steps).
  void reply(const Error& error) {
    log_.status = error.status;
    log_.error_type = error.type;
    pending_ = error_response(error, keep_alive_);
  }
  net::awaitable<bool> flush() { co_return co_await send(client_, pending_); }

  net::awaitable<bool> serve(Request& req, Millis start) {
    const Config& config = *snapshot_->config;
    Headers headers;
    for (const auto& field : req) headers.items.emplace_back(sv(field.name_string()), sv(field.value()));
    std::string_view target = sv(req.target());

    Admission admission =
        admit(config, rt_.limiter, {sv(req.method_string()), target, headers, req.body(), ip_}, now_ms());
    const Route* route = admission.route;
    if (route != nullptr) log_.route = route->name;
    if (admission.consumer != nullptr) log_.consumer = admission.consumer->name;
    if (admission.stage == Admission::Stage::respond) {
      const auto& r = *route->respond;
      Response res{static_cast<http::status>(r.status), 11};
      res.set(http::field::server, "gwd");
      res.set(http::field::content_type, r.content_type);
      for (const auto& [name, value] : r.headers) res.set(name, value);
      if (req.method() != http::verb::head) res.body() = r.body;
      res.keep_alive(keep_alive_);
      res.prepare_payload();
      log_.status = r.status;
      pending_ = std::move(res);
      co_return co_await flush();
    }
    if (admission.stage == Admission::Stage::limit) rt_.metrics.limit_rejection(route->name);
    if (admission.error) {
      reply(*admission.error);
      co_return co_await flush();
    }
    const Consumer* consumer = admission.consumer;
    const RequestBody& body = admission.body;
    const Model* chosen = admission.model;
    log_.model = chosen->name;
    log_.stream = wants_stream(body);

    AttemptPlan plan(config, *route, *chosen, start);
    for (;;) {
      const Model& model = plan.model();
      Millis t = now_ms();
      PreparedAttempt prepared = prepare_attempt(
          config, model, body, [&](const Deployment& d) { return rt_.ejector.ejected(d.key, t); }, worker_.rng(),
          target, headers);
      const Deployment* deployment = prepared.deployment;
      const Provider& provider = *prepared.provider;
      const UpstreamRequest& up = prepared.request;
      log_.model = model.name;
      log_.deployment = deployment->key;
      std::string upreq = upstream_wire(sv(req.method_string()), provider, up, prepared.body);

      plan.begin_attempt();
      log_.attempts = plan.attempts();
      Millis left = plan.remaining(now_ms());
      Attempt a;
      if (left <= 0) {
        a.outcome = Outcome::timed_out();
      } else {
        AttemptLimits limits{std::min(route->first_byte_timeout, left), std::min(route->idle_timeout, left)};
        a = co_await attempt(provider, upreq, limits, log_.stream);
      }
      if (a.client_gone && !a.relayed) {
        // Nobody is left to answer: no retry, no fallback, and the attempt says nothing about
        // the deployment's health. 499 is nginx's "client closed request".
        log_.status = 499;
        log_.error_type = "client_closed";
        co_return false;
      }
      std::string outcome_name =
          a.outcome.kind == Outcome::Kind::status
              ? std::to_string(a.outcome.status)
              : (a.outcome.kind == Outcome::Kind::timeout ? std::string("timeout") : std::string("connect_error"));
      rt_.metrics.attempt(deployment->key, outcome_name);
      bool failed = plan.is_failure(a.outcome) && !(a.relayed && a.client_gone && a.outcome.status / 100 == 2);
      if (route->eject) {
        auto change = rt_.ejector.record(deployment->key, failed, *route->eject, now_ms());
        if (change == Ejector::Change::ejected) {
          rt_.metrics.ejection(deployment->key);
          log_event("deployment_ejected", {{"deployment", deployment->key}, {"route", route->name}});
        } else if (change == Ejector::Change::restored) {
          log_event("deployment_restored", {{"deployment", deployment->key}});
        }
      }
      if (!a.detail.empty() && failed) {
        log_event("upstream_failure",
                  {{"deployment", deployment->key}, {"outcome", outcome_name}, {"detail", a.detail}});
      }
      if (a.relayed) {
        log_.status = a.outcome.kind == Outcome::Kind::status ? a.outcome.status : 502;
        account(*route, consumer, model, a.usage);
        co_return !a.client_gone;
      }
      if (!failed && a.got_response) {
        log_.status = a.outcome.status;
        if (a.outcome.status / 100 == 2) account(*route, consumer, model, a.usage);
        a.response.keep_alive(keep_alive_);
        a.response.prepare_payload();
        pending_ = std::move(a.response);
        co_return co_await flush();
      }
      auto step = plan.next(a.outcome, now_ms());
      if (step.kind == AttemptPlan::Step::Kind::give_up) {
        if (a.got_response) {
          log_.status = a.outcome.status;
          a.response.keep_alive(keep_alive_);
          a.response.prepare_payload();
          pending_ = std::move(a.response);
          co_return co_await flush();
        }
        reply(upstream_error(a.outcome));
        co_return co_await flush();
      }
      if (step.delay > 0) {
        net::steady_timer timer(co_await net::this_coro::executor);
        timer.expires_after(milliseconds(step.delay));
        boost::system::error_code ec;
        co_await timer.async_wait(ec_token(ec));
      }
    }
  }

  void account(const Route& route, const Consumer* consumer, const Model& model, const std::optional<Usage>& usage) {
    if (!usage) return;
    log_.usage = *usage;
    log_.cost = cost_usd(model, *usage);
    rt_.limiter.charge(route, consumer, ip_, usage->total(), log_.cost, now_ms());
    rt_.metrics.tokens(route.name, model.name, usage->input, usage->output, log_.cost);
  }

  // One attempt on a pooled connection, or a fresh one; a pooled connection that turns out to
  // be closed by the provider is replaced once without counting as an attempt.
  net::awaitable<Attempt> attempt(const Provider& provider, const std::string& upreq, const AttemptLimits& limits,
                                  bool stream_wanted) {
    std::string key = pool_key(provider);
    for (int round = 0; round < 2; ++round) {
      std::unique_ptr<Connection> conn = round == 0 ? worker_.pool.take(key) : nullptr;
      if (!conn) {
        std::string error;
        std::size_t index = static_cast<std::size_t>(&provider - snapshot_->config->providers.data());
        conn = co_await connect_upstream(provider, snapshot_->tls->get(index), error);
        if (!conn) {
          Attempt a;
          a.outcome = Outcome::connect_failed();
          a.detail = error;
          co_return a;
        }
      }
      Attempt a;
      auto watch = std::make_shared<ClientWatch>();
      watch->upstream = conn.get();
      watch_client(client_.socket(), watch);
      if (conn->tls) {
        co_await exchange(*conn->tls, *conn, upreq, limits, stream_wanted, client_, keep_alive_, *watch, a);
      } else {
        co_await exchange(*conn->plain, *conn, upreq, limits, stream_wanted, client_, keep_alive_, *watch, a);
      }
      watch->done = true;
      if (!watch->gone) {
        boost::system::error_code ignored;
        client_.socket().cancel(ignored);  // ends the watcher's wait
      } else {
        a.client_gone = true;
        a.stale = false;
        a.detail = "the client hung up";
      }
      if (a.stale && round == 0) {
        conn->close();
        continue;
      }
      // Anything but a clean, kept-alive exchange closes the connection (which also ends an
      // abandoned stream upstream).
      bool poolable = a.reusable && a.got_response && !a.client_gone;
      if (poolable) {
        conn->tcp().expires_never();
        worker_.pool.give(std::move(conn), static_cast<std::size_t>(provider.max_connections));
      } else {
        conn->close();
      }
      co_return a;
    }
    Attempt a;
    a.outcome = Outcome::connect_failed();
    co_return a;
  }

  Runtime& rt_;
  Worker& worker_;
  beast::tcp_stream& client_;
  std::string ip_;
  std::shared_ptr<const Snapshot> snapshot_;
  bool keep_alive_ = true;
  AccessLog log_;
  Response pending_;
};

// ---------------------------------------------------------------------------------------------
// Client sessions.

net::awaitable<void> session(Runtime& rt, Worker& worker, tcp::socket socket) {
  beast::tcp_stream stream(std::move(socket));
  boost::system::error_code ec;
  std::string ip = stream.socket().remote_endpoint(ec).address().to_string();
  stream.socket().set_option(tcp::no_delay(true), ec);
  beast::flat_buffer buffer;
  try {
    for (bool first = true;; first = false) {
      auto snapshot = rt.current();
      const Gateway& gw = snapshot->config->gateway;
      if (!first && buffer.size() == 0) {
        // Idle keep-alive: wait for the next request's first byte.
        stream.expires_after(milliseconds(gw.idle_timeout));
        std::size_t n = co_await stream.async_read_some(buffer.prepare(4096), ec_token(ec));
        if (ec) break;
        buffer.commit(n);
      }
      http::request_parser<http::string_body> parser;
      parser.header_limit(max_header_bytes);
      parser.body_limit(gw.max_request_bytes);
      stream.expires_after(milliseconds(gw.header_timeout));
      co_await http::async_read_header(stream, buffer, parser, ec_token(ec));
      if (ec == http::error::end_of_stream || ec == net::error::eof || ec == net::error::connection_reset) break;
      if (!ec && beast::iequals(parser.get()[http::field::expect], "100-continue")) {
        http::response<http::empty_body> cont{http::status::continue_, 11};
        co_await http::async_write(stream, cont, ec_token(ec));
        if (ec) break;
      }
      if (!ec) {
        stream.expires_after(milliseconds(std::max(gw.header_timeout, gw.idle_timeout)));
        co_await http::async_read(stream, buffer, parser, ec_token(ec));
      }
      if (ec) {
        // Bad input gets a JSON error, then the connection closes.
        Error error{400, "bad_request", "malformed HTTP request"};
        // A timeout (slow client) has closed the socket already: nothing can be sent.
        if (ec == beast::error::timeout) break;
        if (ec == http::error::header_limit) {
          error = {413, "payload_too_large", "the request headers are too large"};
        } else if (ec == http::error::body_limit) {
          error = {413, "payload_too_large",
                   "the request body is larger than " + std::to_string(gw.max_request_bytes) + " bytes"};
        }
        Response res = error_response(error, false);
        co_await send(stream, res);
        break;
      }
      stream.expires_never();
      Request req = parser.release();
      bool keep_alive = req.keep_alive() && !rt.draining.load();
      Handler handler(rt, worker, stream, ip);
      if (!co_await handler.handle(req, keep_alive)) break;
    }
  } catch (const std::exception& e) {
    log_event("internal_error", {{"detail", e.what()}});
  }
  stream.socket().shutdown(tcp::socket::shutdown_send, ec);
  stream.close();
}

// ---------------------------------------------------------------------------------------------
// The admin listener.

net::awaitable<void> admin_session(Runtime& rt, tcp::socket socket) {
  beast::tcp_stream stream(std::move(socket));
  beast::flat_buffer buffer;
  boost::system::error_code ec;
  try {
    for (;;) {
      auto snapshot = rt.current();
      const Config& config = *snapshot->config;
      Request req;
      stream.expires_after(milliseconds(config.gateway.header_timeout));
      co_await http::async_read(stream, buffer, req, ec_token(ec));
      if (ec) break;
      bool keep = req.keep_alive();
      Headers headers;
      for (const auto& field : req) headers.items.emplace_back(sv(field.name_string()), sv(field.value()));
      std::string_view path = target_path(sv(req.target()));
      Response res;
      auto key = presented_key(headers);
      if (!config.gateway.admin_keys.empty() && (!key || !key_matches(config.gateway.admin_keys, *key))) {
        res = error_response({401, "unauthorized", "the admin listener needs an admin key"}, keep);
      } else if (path == "/metrics") {
        res = json_response(200,
                            rt.metrics.render(config.digest, config.environment, rt.ejector.ejected_list(now_ms()),
                                              rt.in_flight.load()),
                            keep);
        res.set(http::field::content_type, "text/plain; version=0.0.4");
      } else if (path == "/healthz") {
        res = json_response(200, R"({"status":"ok"})", keep);
      } else if (path == "/readyz") {
        res = rt.draining ? json_response(503, R"({"status":"draining"})", keep)
                          : json_response(200, R"({"status":"ready"})", keep);
      } else if (path == "/config") {
        json body = {{"digest", config.digest},
                     {"environment", config.environment},
                     {"gateway", config.gateway.name},
                     {"artifact", rt.options.artifact},
                     {"ejected", rt.ejector.ejected_list(now_ms())},
                     {"signed_by", signed_by(config)}};
        res = json_response(200, body.dump(), keep);
      } else {
        res = error_response({404, "not_found", "the admin listener serves /metrics, /healthz, /readyz and /config"},
                             keep);
      }
      res.prepare_payload();
      if (!co_await send(stream, res) || !keep) break;
    }
  } catch (const std::exception& e) {
    log_event("internal_error", {{"detail", e.what()}});
  }
  stream.socket().shutdown(tcp::socket::shutdown_send, ec);
}

// ---------------------------------------------------------------------------------------------
// Listening, reloading, draining.

std::optional<tcp::endpoint> parse_endpoint(const std::string& text) {
  std::string host;
  std::string port;
  if (text.starts_with("[")) {
    auto close = text.find("]:");
    if (close == std::string::npos) return std::nullopt;
    host = text.substr(1, close - 1);
    port = text.substr(close + 2);
  } else {
    auto colon = text.rfind(':');
    if (colon == std::string::npos) return std::nullopt;
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
  }
  boost::system::error_code ec;
  auto address = net::ip::make_address(host.empty() ? "0.0.0.0" : host, ec);
  if (ec || port.empty() || port.size() > 5 || port.find_first_not_of("0123456789") != std::string::npos) {
    return std::nullopt;
  }
  int p = std::stoi(port);
  if (p > 65535) return std::nullopt;
  return tcp::endpoint(address, static_cast<unsigned short>(p));
}

std::string endpoint_text(const tcp::endpoint& e) {
  std::string host = e.address().to_string();
  if (e.address().is_v6()) host = "[" + host + "]";
  return host + ":" + std::to_string(e.port());
}

struct Server {
  Runtime& rt;
  net::io_context& main;
  std::vector<std::unique_ptr<Worker>>& workers;
  tcp::acceptor acceptor;
  tcp::acceptor admin;
  std::size_t next = 0;
  std::filesystem::file_time_type seen_time{};
  std::uintmax_t seen_size = 0;

  Server(Runtime& r, net::io_context& m, std::vector<std::unique_ptr<Worker>>& w)
      : rt(r), main(m), workers(w), acceptor(m), admin(m) {}

  bool bind(tcp::acceptor& a, const std::string& where, const char* what) {
    auto endpoint = parse_endpoint(where);
    if (!endpoint) {
      std::fprintf(stderr, "gwd: error: the %s address '%s' is not host:port\n", what, where.c_str());
      return false;
    }
    boost::system::error_code ec;
    a.open(endpoint->protocol(), ec);
    if (!ec) a.set_option(tcp::acceptor::reuse_address(true), ec);
    if (!ec) a.bind(*endpoint, ec);
    if (!ec) a.listen(net::socket_base::max_listen_connections, ec);
    if (ec) {
      std::fprintf(stderr, "gwd: error: cannot listen on %s '%s': %s\n", what, where.c_str(), ec.message().c_str());
      return false;
    }
    return true;
  }

  net::awaitable<void> accept_loop() {
    for (;;) {
      boost::system::error_code ec;
      Worker& w = *workers[next++ % workers.size()];
      tcp::socket socket = co_await acceptor.async_accept(w.ioc, ec_token(ec));
      if (ec == net::error::operation_aborted || !acceptor.is_open()) co_return;
      if (ec) {
        // Out of descriptors and the like: wait a little rather than spin.
        net::steady_timer t(main, milliseconds(50));
        co_await t.async_wait(ec_token(ec));
        continue;
      }
      net::co_spawn(w.ioc, session(rt, w, std::move(socket)), net::detached);
    }
  }

  net::awaitable<void> admin_loop() {
    for (;;) {
      boost::system::error_code ec;
      tcp::socket socket = co_await admin.async_accept(ec_token(ec));
      if (ec == net::error::operation_aborted || !admin.is_open()) co_return;
      if (ec) continue;
      net::co_spawn(main, admin_session(rt, std::move(socket)), net::detached);
    }
  }

  void remember_file() {
    std::error_code ec;
    seen_time = std::filesystem::last_write_time(rt.options.artifact, ec);
    seen_size = std::filesystem::file_size(rt.options.artifact, ec);
  }

  void reload(const char* why) {
    remember_file();
    auto loaded = load_snapshot(rt.options);
    if (!loaded.ok()) {
      rt.metrics.reload(false);
      log_event("reload_refused", {{"reason", why}, {"error", loaded.error}, {"digest", rt.current()->config->digest}});
      return;
    }
    auto previous = rt.current();
    rt.install(*loaded.value);
    rt.metrics.reload(true);
    log_event("reloaded", {{"reason", why},
                           {"digest", (*loaded.value)->config->digest},
                           {"previous", previous->config->digest},
                           {"environment", (*loaded.value)->config->environment},
                           {"signed_by", signed_by(*(*loaded.value)->config)}});
  }

  net::awaitable<void> watch_loop() {
    if (rt.options.watch_interval <= 0) co_return;
    net::steady_timer timer(main);
    remember_file();
    for (;;) {
      timer.expires_after(milliseconds(rt.options.watch_interval));
      boost::system::error_code ec;
      co_await timer.async_wait(ec_token(ec));
      if (ec || rt.draining) co_return;
      std::error_code fec;
      auto t = std::filesystem::last_write_time(rt.options.artifact, fec);
      auto s = std::filesystem::file_size(rt.options.artifact, fec);
      if (!fec && (t != seen_time || s != seen_size)) reload("file changed");
    }
  }

  net::awaitable<void> signal_loop() {
    net::signal_set signals(main, SIGHUP, SIGTERM, SIGINT);
    for (;;) {
      boost::system::error_code ec;
      int sig = co_await signals.async_wait(ec_token(ec));
      if (ec) co_return;
      if (sig == SIGHUP) {
        reload("SIGHUP");
        continue;
      }
      co_await drain(sig == SIGTERM ? "SIGTERM" : "SIGINT");
      co_return;
    }
  }

  net::awaitable<void> drain(const char* why) {
    rt.draining = true;
    boost::system::error_code ec;
    acceptor.close(ec);
    log_event("draining",
              {{"reason", why}, {"in_flight", rt.in_flight.load()}, {"deadline_ms", rt.options.drain_timeout}});
    Millis deadline = now_ms() + rt.options.drain_timeout;
    net::steady_timer timer(main);
    while (rt.in_flight.load() > 0 && now_ms() < deadline) {
      timer.expires_after(milliseconds(10));
      co_await timer.async_wait(ec_token(ec));
    }
    log_event("stopped", {{"abandoned", rt.in_flight.load()}});
    admin.close(ec);
    for (auto& w : workers) w->ioc.stop();
    main.stop();
  }
};

}  // namespace

int run_server(const Options& options) {
  std::signal(SIGPIPE, SIG_IGN);
  Runtime rt;
  rt.options = options;
  auto loaded = load_snapshot(options);
  if (!loaded.ok()) {
    std::fprintf(stderr, "gwd: error: %s\n", loaded.error.c_str());
    return 1;
  }
  rt.install(*loaded.value);
  const Config& config = *(*loaded.value)->config;
  if (config.gateway.rate_limit_store != "local") {
    log_event("warning", {{"detail", "rate_limit_store '" + config.gateway.rate_limit_store +
                                         "' is not supported yet: limits are counted in this process"}});
  }

  net::io_context main{1};
  std::vector<std::unique_ptr<Worker>> workers;
  for (int i = 0; i < std::max(1, options.threads); ++i) workers.push_back(std::make_unique<Worker>());
  Server server(rt, main, workers);
  if (!server.bind(server.acceptor, options.listen.empty() ? config.gateway.listen : options.listen, "listen") ||
      !server.bind(server.admin, options.admin.empty() ? config.gateway.admin_listen : options.admin, "admin")) {
    return 1;
  }
  log_event("listening", {{"listen", endpoint_text(server.acceptor.local_endpoint())},
                          {"admin", endpoint_text(server.admin.local_endpoint())},
                          {"digest", config.digest},
                          {"environment", config.environment},
                          {"signed_by", signed_by(config)},
                          {"threads", workers.size()}});
  net::co_spawn(main, server.accept_loop(), net::detached);
  net::co_spawn(main, server.admin_loop(), net::detached);
  net::co_spawn(main, server.watch_loop(), net::detached);
  net::co_spawn(main, server.signal_loop(), net::detached);
  for (auto& w : workers) {
    Worker* worker = w.get();
    worker->thread = std::thread([worker] {
      auto guard = net::make_work_guard(worker->ioc);
      worker->ioc.run();
      worker->access_log.flush();
    });
  }
  main.run();
  for (auto& w : workers) {
    w->ioc.stop();
    w->thread.join();
  }
  return 0;
}

}  // namespace gwd
