#include "server.hpp"

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <limits>
#include <mutex>
#include <optional>
#include <random>
#include <thread>
#include <utility>

#include <sys/socket.h>
#include <unistd.h>

#include <boost/beast/core/string.hpp>
#include <nlohmann/json.hpp>

#include "gwd/decide.hpp"
#include "gwd/ejection.hpp"
#include "gwd/limits.hpp"
#include "gwd/plan.hpp"
#include "gwd/request.hpp"
#include "gwd/upstream.hpp"
#include "http_io.hpp"
#include "io.hpp"
#include "log.hpp"
#include "metrics.hpp"
#include "upstream_client.hpp"

namespace gwd {

namespace {

using json = nlohmann::json;
using std::chrono::milliseconds;
using Acceptor = net::basic_socket_acceptor<tcp, Executor>;

constexpr std::size_t max_header_bytes = 64 * 1024;
constexpr std::uint64_t max_upstream_body = 64ull << 20;
constexpr std::uintmax_t max_artifact_bytes = 64ull << 20;
constexpr Millis client_write_timeout = 30000;
// How long an attempt runs before gwd watches its client for a hang-up (see ClientWatch).
constexpr Millis watch_after = 20;

// The key id of the artifact's signature, null when it is unsigned (logs and /config).
json signed_by(const Config& config) {
  return config.signed_by.empty() ? json(nullptr) : json(config.signed_by);
}

// ---------------------------------------------------------------------------------------------
// Snapshots and the state shared by every thread.

struct Snapshot {
  std::shared_ptr<const Config> config;
  std::shared_ptr<const TlsContexts> tls;
  std::vector<std::string> pool_keys;  // by provider index
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
  std::vector<std::string> keys;
  for (const Provider& p : config->providers) keys.push_back(pool_key(p));
  return {std::make_shared<const Snapshot>(Snapshot{config, *tls.value, std::move(keys)}), {}};
}

// One worker thread: its io_context, deadlines, upstream pool and access-log buffer. Its sockets
// are only ever used by its own thread (the listener hands over a bare descriptor, which the
// worker registers), so their operations skip the reactor's per-socket lock; posting to the
// io_context stays thread-safe.
struct Worker {
  net::io_context ioc{BOOST_ASIO_CONCURRENCY_HINT_UNSAFE_IO};
  Deadlines deadlines{ioc};
  Pool pool;
  std::mt19937_64 rng{std::random_device{}()};
  LogBuffer access_log{ioc};
  std::string log_line;                      // the access-log line being written
  std::size_t clients = 0;                   // client connections open
  std::shared_ptr<const Snapshot> snapshot;  // see Runtime::current(Worker&)
  std::uint64_t generation = 0;
  std::thread thread;
};

// Runs a worker's io_context until it stops. With `busy_poll` (microseconds), a worker serving
// one or two clients polls for events for that long after its last one before it sleeps: at
// light load a request then costs no thread wake-up when it arrives and none when the provider
// answers (about 15 us each on a small VM), for at most `busy_poll` of CPU per event. A worker
// with more clients never spins: its events come often enough, and the CPU is better left to
// others.
void run_worker(Worker& worker, Millis busy_poll) {
  if (busy_poll <= 0) {
    worker.ioc.run();
    return;
  }
  using clock = std::chrono::steady_clock;
  const auto window = std::chrono::microseconds(busy_poll);
  auto last = clock::now();
  while (!worker.ioc.stopped()) {
    if (worker.ioc.poll() > 0) {
      last = clock::now();
      continue;
    }
    if (worker.clients > 0 && worker.clients <= 2 && clock::now() - last < window) continue;
    worker.ioc.run_one();
    last = clock::now();
  }
}

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
    generation.fetch_add(1, std::memory_order_release);
  }
  // The snapshot `worker` starts requests with: the worker's own reference, refreshed (under
  // the lock) only after a reload, so a request takes no lock to find its config.
  std::shared_ptr<const Snapshot> current(Worker& worker) const {
    std::uint64_t g = generation.load(std::memory_order_acquire);
    if (g != worker.generation || !worker.snapshot) {
      worker.snapshot = current();
      worker.generation = g;
    }
    return worker.snapshot;
  }

 private:
  mutable std::mutex mu;
  std::shared_ptr<const Snapshot> snapshot;
  std::atomic<std::uint64_t> generation{0};  // installs so far
};

// ---------------------------------------------------------------------------------------------
// Client connections.

struct ClientConn {
  ClientConn(Deadlines& deadlines, Socket s) : socket(std::move(s)), deadline(deadlines, socket) {}
  Socket socket;
  IoDeadline deadline;
  Buffer buffer;
  std::string ip;
  RequestMessage request;
  std::string reply;             // the head (or whole reply) being written; its capacity is kept
  KeyMemo key_memo;              // the API key this client sent last, hashed
  std::string upstream_request;  // the attempt's request bytes; its capacity is kept
  PreparedAttempt attempt;       // the attempt's decisions, likewise
};

// Writes `bytes` to the client; false when it could not take them.
Task<bool> send(ClientConn& client, const std::string& bytes) {
  error_code ec;
  client.deadline.arm(client_write_timeout);
  co_await write_all(client.socket, pieces(bytes), client.deadline, ec);
  client.deadline.disarm();
  co_return !ec;
}

// Watching the client while an attempt is under way. A client that hangs up (EOF or reset)
// closes the upstream connection too, which ends the attempt at once, whatever it waits for:
// the response header, the next stream event or a slow body. Bytes of a pipelined next request
// are left in the socket for the session. (A client that half-closes after sending its request
// counts as gone, as with nginx's default.) The watch starts only once an attempt has run for
// `watch_after` ms: waiting on the client costs a system call per request, and most attempts
// are over sooner.
class ClientWatch final : public Timed {
 public:
  ClientWatch(Deadlines& deadlines, Socket& client, Connection& upstream)
      : deadlines_(deadlines), client_(client), upstream_(upstream) {
    deadlines_.arm(*this, watch_after);
  }
  ~ClientWatch() override { finish(); }
  ClientWatch(const ClientWatch&) = delete;
  ClientWatch& operator=(const ClientWatch&) = delete;

  bool gone() const { return state_ && state_->gone; }
  // Ends the watch (the attempt is over): the waiting handler, if any, touches nothing more.
  void finish() {
    deadlines_.disarm(*this);
    if (!state_ || state_->done) return;
    state_->done = true;
    if (!state_->gone) {
      error_code ignored;
      client_.cancel(ignored);  // ends the wait
    }
  }

 private:
  struct State {
    bool done = false;
    bool gone = false;
    Connection* upstream = nullptr;
  };
  void fire() override {
    state_ = std::make_shared<State>();
    state_->upstream = &upstream_;
    client_.async_wait(Socket::wait_read, [&client = client_, state = state_](const error_code& ec) {
      if (state->done || ec == net::error::operation_aborted) return;
      if (!ec) {
        char byte = 0;
        ssize_t n = ::recv(client.native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
        if (n > 0 || (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))) return;
      }
      state->gone = true;
      state->upstream->close();
    });
  }

  Deadlines& deadlines_;
  Socket& client_;
  Connection& upstream_;
  std::shared_ptr<State> state_;
};

// ---------------------------------------------------------------------------------------------
// One upstream attempt.

// "503" for 503, as a view of static text: the metrics find a series by where its label text
// lives, so a status written into a request's own buffer would make a new series key each time.
std::string_view status_text(int status) {
  static constexpr auto table = [] {
    std::array<char, 3000> t{};
    for (std::size_t i = 0; i < 1000; ++i) {
      t[3 * i] = static_cast<char>('0' + i / 100);
      t[3 * i + 1] = static_cast<char>('0' + i / 10 % 10);
      t[3 * i + 2] = static_cast<char>('0' + i % 10);
    }
    return t;
  }();
  if (status < 0 || status > 999) return "invalid_status";
  std::string_view text(table.data() + 3 * static_cast<std::size_t>(status), 3);
  while (text.size() > 1 && text.front() == '0') text.remove_prefix(1);  // 99, not 099
  return text;
}

struct Attempt {
  Outcome outcome;
  bool got_response = false;  // status and body (or a relayed stream) came back
  bool relayed = false;       // streamed to the client: no retry possible
  bool client_gone = false;
  bool stale = false;     // a reused connection failed before any response byte
  bool reusable = false;  // the response ended cleanly and the provider keeps the connection open
  ShortText content_type;
  std::string body;
  std::optional<Usage> usage;
  std::string detail;  // for the event log; never a body or a key
};

struct AttemptLimits {
  Millis first_byte;
  Millis idle;
};

Outcome failure_of(const error_code& ec) {
  if (ec == boost::beast::error::timeout) return Outcome::timed_out();
  if (ec.category() == http::make_error_code(http::error::bad_version).category()) return Outcome::of_status(502);
  return Outcome::connect_failed();
}

// The chunk of a chunked body that holds `size` bytes: its size line.
std::string chunk_line(std::size_t size) {
  char digits[24];
  auto [end, ec] = std::to_chars(digits, digits + sizeof digits, size, 16);
  std::string line(digits, end);
  line.append("\r\n");
  return line;
}

// Relays a server-sent-event stream: the head, then each piece of the body as one chunk, as it
// arrives.
template <class Stream>
Task<void> relay(Stream& up, Connection& conn, ResponseParser& parser, const AttemptLimits& limits, ClientConn& client,
                 bool client_keep_alive, const ClientWatch& watch, Attempt& a) {
  error_code ec;
  std::string head;
  start_head(head, parser.status);
  head.append("Content-Type: ").append(parser.content_type.view()).append("\r\nCache-Control: no-cache\r\n");
  end_head(head, -1, client_keep_alive);
  a.relayed = true;
  a.got_response = true;
  // The client's write deadline is dropped after each write: passing while gwd waits for the
  // provider, it would cancel the watch's wait on the client socket.
  client.deadline.arm(client_write_timeout);
  co_await write_all(client.socket, pieces(head), client.deadline, ec);
  client.deadline.disarm();
  if (ec) {
    a.client_gone = true;
    co_return;
  }
  SseUsageScanner scanner;
  static constexpr std::string_view crlf = "\r\n";
  for (;;) {
    if (!parser.body.empty()) {
      scanner.feed(parser.body);
      std::string size = chunk_line(parser.body.size());
      client.deadline.arm(client_write_timeout);
      co_await write_all(client.socket, pieces(size, parser.body, crlf), client.deadline, ec);
      client.deadline.disarm();
      parser.body.clear();
      if (ec) {
        a.usage = scanner.usage();
        a.client_gone = true;
        a.detail = "client went away during the stream";
        co_return;  // the upstream connection is closed by the caller: the upstream request ends
      }
    }
    if (parser.is_done()) break;
    conn.deadline.arm(limits.idle);
    co_await read_some(up, conn.buffer, conn.deadline, ec);
    if (ec == net::error::eof || ec == net::ssl::error::stream_truncated) {
      ec = {};
      parser.put_eof(ec);
    } else if (!ec) {
      feed(parser, conn.buffer, false, ec);
    }
    if (ec) {
      a.usage = scanner.usage();  // what was relayed was used
      a.client_gone = true;       // the client stream cannot be completed: close it
      if (watch.gone()) {
        // The client hung up (the watch closed the upstream connection): the upstream
        // answered, so the outcome stays its status.
        a.detail = "client went away during the stream";
        co_return;
      }
      a.outcome = failure_of(ec);
      a.detail = "stream: " + ec.message();
      co_return;
    }
  }
  static constexpr std::string_view last = "0\r\n\r\n";
  client.deadline.arm(client_write_timeout);
  co_await write_all(client.socket, pieces(last), client.deadline, ec);
  client.deadline.disarm();
  if (ec) a.client_gone = true;
  a.usage = scanner.usage();
  a.reusable = parser.keep_alive();
}

template <class Stream>
Task<void> exchange(Stream& up, Connection& conn, const std::string& upreq, bool head_request,
                    const AttemptLimits& limits, bool stream_wanted, ClientConn& client, bool client_keep_alive,
                    const ClientWatch& watch, Attempt& a) {
  error_code ec;
  conn.deadline.arm(limits.first_byte);
  auto request = pieces(upreq);
  if (!write_now(up, request, ec)) co_await write_all(up, request, conn.deadline, ec);
  if (ec) {
    a.stale = conn.reused && ec != boost::beast::error::timeout;
    a.outcome = failure_of(ec);
    a.detail = "write: " + ec.message();
    co_return;
  }
  // An interim response (100 Continue, 103 Early Hints) comes before the real one: skipped.
  std::optional<ResponseParser> interim;
  ResponseParser* head = nullptr;
  for (;;) {
    head = &interim.emplace();
    // Streams have no end in sight; a whole body is capped below. (Not boost::none: beast 1.74
    // compares a length with it and finds every length over the limit.)
    head->body_limit(std::numeric_limits<std::uint64_t>::max());
    head->skip(head_request);
    co_await read_message(up, conn.buffer, *head, true, conn.deadline, 0, ec);
    if (ec) {
      a.stale = conn.reused && (ec == http::error::end_of_stream || ec == net::error::connection_reset ||
                                ec == net::error::eof || ec == net::error::broken_pipe);
      a.outcome = failure_of(ec);
      a.detail = "response header: " + ec.message();
      co_return;
    }
    if (head->status / 100 != 1 || head->status == 101) break;
  }
  ResponseParser& parser = *head;
  int status = parser.status;
  a.outcome = Outcome::of_status(status);
  bool sse = parser.content_type.view().find("text/event-stream") != std::string_view::npos;
  if (stream_wanted && status / 100 == 2 && sse) {
    co_await relay(up, conn, parser, limits, client, client_keep_alive, watch, a);
    co_return;
  }

  // Whole response, kept to relay or to retry.
  auto over = [&] {
    auto length = parser.content_length();
    return parser.body.size() > max_upstream_body || (length && *length > max_upstream_body);
  };
  while (!parser.is_done() && !over()) {
    conn.deadline.arm(limits.idle);
    co_await read_some(up, conn.buffer, conn.deadline, ec);
    if (ec == net::error::eof || ec == net::ssl::error::stream_truncated) {
      ec = {};
      parser.put_eof(ec);
    } else if (!ec) {
      feed(parser, conn.buffer, false, ec);
    }
    if (ec) {
      a.outcome = failure_of(ec);
      a.detail = "response body: " + ec.message();
      co_return;
    }
  }
  conn.deadline.disarm();
  if (over()) {
    a.outcome = Outcome::of_status(502);
    a.detail = "response body over 64 MiB";
    co_return;
  }
  a.got_response = true;
  a.content_type.assign(parser.content_type.empty() ? "application/json" : parser.content_type.view());
  if (sse) {
    SseUsageScanner scanner;
    scanner.feed(parser.body);
    a.usage = scanner.usage();
  } else if (status / 100 == 2) {
    a.usage = usage_of_body(parser.body);
  }
  a.body = std::move(parser.body);
  a.reusable = parser.keep_alive();
}

// ---------------------------------------------------------------------------------------------
// One client request, start to end.

// What the access log says of a request: names are views of the config snapshot the handler
// holds, the method a view of the request being answered.
struct AccessLog {
  std::string_view method;
  std::string_view route;
  std::string_view consumer;
  std::string_view model;
  std::string_view deployment;
  int status = 0;
  int attempts = 0;
  Usage usage;
  double cost = 0;
  bool stream = false;
  std::string error_type;
};

class Handler {
 public:
  Handler(Runtime& rt, Worker& worker, ClientConn& client) : rt_(rt), worker_(worker), client_(client) {}

  // Answers the client's request; false when the connection must close.
  Task<bool> handle(bool keep_alive) {
    Millis start = now_ms();
    rt_.in_flight.fetch_add(1);
    snapshot_ = rt_.current(worker_);
    keep_alive_ = keep_alive;
    log_.method = client_.request.method;
    bool open = co_await serve(start);
    Millis end = now_ms();
    rt_.metrics.request(log_.route.empty() ? "-" : log_.route, log_.model, log_.deployment, log_.status,
                        static_cast<double>(end - start) / 1000.0);
    JsonLine line(worker_.log_line);
    line.number("attempts", std::int64_t{log_.attempts}).string_or_null("consumer", log_.consumer);
    if (log_.cost > 0) line.number("cost_usd", log_.cost);
    line.string_or_null("deployment", log_.deployment);
    if (!log_.error_type.empty()) line.string("error", log_.error_type);
    line.number("latency_ms", static_cast<double>(end - start))
        .string("method", log_.method)
        .string_or_null("model", log_.model)
        .string_or_null("route", log_.route)
        .number("status", std::int64_t{log_.status})
        .boolean("stream", log_.stream)
        .number("tokens_in", static_cast<std::int64_t>(log_.usage.input))
        .number("tokens_out", static_cast<std::int64_t>(log_.usage.output))
        .timestamp("ts");
    worker_.access_log.add(line.finish());
    rt_.in_flight.fetch_sub(1);
    co_return open&& keep_alive_;
  }

 private:
  Task<bool> reply(const Error& error) {
    log_.status = error.status;
    log_.error_type = error.type;
    client_.reply = error_reply(error, keep_alive_);
    co_return co_await send(client_, client_.reply);
  }

  // The route's own response. Its headers replace gwd's own of the same name; the body's
  // framing and the connection are gwd's.
  Task<bool> respond(const Route::Respond& r) {
    auto same_name = [](std::string_view a, std::string_view b) {
      return boost::beast::iequals(boost::beast::string_view(a.data(), a.size()),
                                   boost::beast::string_view(b.data(), b.size()));
    };
    std::vector<std::pair<std::string_view, std::string_view>> fields = {{"Server", "gwd"},
                                                                         {"Content-Type", r.content_type}};
    for (const auto& [name, value] : r.headers) {
      if (same_name(name, "content-length") || same_name(name, "transfer-encoding") || same_name(name, "connection")) {
        continue;
      }
      auto same = std::find_if(fields.begin(), fields.end(), [&](const auto& f) { return same_name(f.first, name); });
      if (same != fields.end()) {
        same->second = value;
      } else {
        fields.emplace_back(name, value);
      }
    }
    std::string_view body = client_.request.method == "HEAD" ? std::string_view() : std::string_view(r.body);
    client_.reply.clear();
    status_line(client_.reply, r.status);
    for (const auto& [name, value] : fields) client_.reply.append(name).append(": ").append(value).append("\r\n");
    end_head(client_.reply, static_cast<std::int64_t>(body.size()), keep_alive_);
    client_.reply.append(body);
    log_.status = r.status;
    co_return co_await send(client_, client_.reply);
  }

  // An upstream's whole response, relayed: the head in client_.reply, then the body. Whatever
  // the socket does not take at once is left in `bytes` for write_all.
  bool relay_whole_now(Attempt& a, std::array<net::const_buffer, 2>& bytes, error_code& ec) {
    log_.status = a.outcome.status;
    client_.reply.clear();
    start_head(client_.reply, a.outcome.status);
    client_.reply.append("Content-Type: ").append(a.content_type.view()).append("\r\n");
    end_head(client_.reply, static_cast<std::int64_t>(a.body.size()), keep_alive_);
    bytes = pieces(client_.reply, a.body);
    return write_now(client_.socket, bytes, ec);
  }

  Task<bool> relay_whole_rest(std::array<net::const_buffer, 2> bytes) {
    error_code ec;
    client_.deadline.arm(client_write_timeout);
    co_await write_all(client_.socket, bytes, client_.deadline, ec);
    client_.deadline.disarm();
    co_return !ec;
  }

  Task<bool> serve(Millis start) {
    const Config& config = *snapshot_->config;
    RequestMessage& req = client_.request;
    Admission admission = admit(config, rt_.limiter,
                                {req.method, req.target, req.headers, req.body, client_.ip, &client_.key_memo}, start);
    const Route* route = admission.route;
    if (route != nullptr) log_.route = route->name;
    if (admission.consumer != nullptr) log_.consumer = admission.consumer->name;
    if (admission.stage == Admission::Stage::respond) co_return co_await respond(*route->respond);
    if (admission.stage == Admission::Stage::limit) rt_.metrics.limit_rejection(route->name);
    if (admission.error) co_return co_await reply(*admission.error);
    const Consumer* consumer = admission.consumer;
    const RequestBody& body = admission.body;
    const Model* chosen = admission.model;
    log_.model = chosen->name;
    log_.stream = wants_stream(body);

    AttemptPlan plan(config, *route, *chosen, start);
    for (;;) {
      const Model& model = plan.model();
      Millis t = now_ms();
      PreparedAttempt& prepared = client_.attempt;
      prepare_attempt(
          prepared, config, model, body, [&](const Deployment& d) { return rt_.ejector.ejected(d.key, t); },
          worker_.rng(), req.target, req.headers);
      const Deployment* deployment = prepared.deployment;
      const Provider& provider = *prepared.provider;
      log_.model = model.name;
      log_.deployment = deployment->key;
      std::string& upreq = client_.upstream_request;
      write_upstream_wire(upreq, req.method, provider, prepared.request, prepared.body);

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
      std::string_view outcome_name = "connect_error";
      if (a.outcome.kind == Outcome::Kind::status) {
        outcome_name = status_text(a.outcome.status);
      } else if (a.outcome.kind == Outcome::Kind::timeout) {
        outcome_name = "timeout";
      }
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
      bool relay = !failed && a.got_response;
      if (relay && a.outcome.status / 100 == 2) account(*route, consumer, model, a.usage);
      auto step = relay ? AttemptPlan::Step{} : plan.next(a.outcome, now_ms());
      if (relay || (step.kind == AttemptPlan::Step::Kind::give_up && a.got_response)) {
        std::array<net::const_buffer, 2> bytes;
        error_code ec;
        if (relay_whole_now(a, bytes, ec)) co_return !ec;
        co_return co_await relay_whole_rest(bytes);
      }
      if (step.kind == AttemptPlan::Step::Kind::give_up) co_return co_await reply(upstream_error(a.outcome));
      if (step.delay > 0) {
        net::steady_timer timer(co_await net::this_coro::executor);
        timer.expires_after(milliseconds(step.delay));
        error_code ec;
        co_await timer.async_wait(with_ec(ec));
      }
    }
  }

  void account(const Route& route, const Consumer* consumer, const Model& model, const std::optional<Usage>& usage) {
    if (!usage) return;
    log_.usage = *usage;
    log_.cost = cost_usd(model, *usage);
    rt_.limiter.charge(route, consumer, client_.ip, usage->total(), log_.cost, now_ms());
    rt_.metrics.tokens(route.name, model.name, usage->input, usage->output, log_.cost);
  }

  // One attempt on a pooled connection, or a fresh one; a pooled connection that turns out to
  // be closed by the provider is replaced once without counting as an attempt.
  Task<Attempt> attempt(const Provider& provider, const std::string& upreq, const AttemptLimits& limits,
                        bool stream_wanted) {
    auto index = static_cast<std::size_t>(&provider - snapshot_->config->providers.data());
    const std::string& key = snapshot_->pool_keys[index];
    bool head_request = client_.request.method == "HEAD";
    for (int round = 0; round < 2; ++round) {
      std::unique_ptr<Connection> conn = round == 0 ? worker_.pool.take(key) : nullptr;
      if (!conn) {
        std::string error;
        conn = co_await connect_upstream(worker_.deadlines, provider, snapshot_->tls->get(index), key, error);
        if (!conn) {
          Attempt a;
          a.outcome = Outcome::connect_failed();
          a.detail = error;
          co_return a;
        }
      }
      Attempt a;
      {
        ClientWatch watch(worker_.deadlines, client_.socket, *conn);
        if (TlsSocket* tls = conn->tls()) {
          co_await exchange(*tls, *conn, upreq, head_request, limits, stream_wanted, client_, keep_alive_, watch, a);
        } else {
          co_await exchange(*conn->plain(), *conn, upreq, head_request, limits, stream_wanted, client_, keep_alive_,
                            watch, a);
        }
        watch.finish();
        if (watch.gone()) {
          a.client_gone = true;
          a.stale = false;
          a.detail = "the client hung up";
        }
      }
      if (a.stale && round == 0) {
        conn->close();
        continue;
      }
      // Anything but a clean, kept-alive exchange closes the connection (which also ends an
      // abandoned stream upstream).
      // Bytes left over after the response would be read as the next request's answer.
      bool poolable = a.reusable && a.got_response && !a.client_gone && conn->buffer.size() == 0;
      if (poolable) {
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
  ClientConn& client_;
  std::shared_ptr<const Snapshot> snapshot_;
  bool keep_alive_ = true;
  AccessLog log_;
};

// ---------------------------------------------------------------------------------------------
// Client sessions.

Task<> session(Runtime& rt, Worker& worker, Socket socket) {
  ClientConn client(worker.deadlines, std::move(socket));
  ++worker.clients;
  error_code ec;
  client.ip = client.socket.remote_endpoint(ec).address().to_string();
  client.socket.set_option(tcp::no_delay(true), ec);
  client.socket.non_blocking(true, ec);  // see write_all
  try {
    for (bool first = true;; first = false) {
      auto snapshot = rt.current(worker);
      const Gateway& gw = snapshot->config->gateway;
      if (!first && client.buffer.size() == 0) {
        // Idle keep-alive: wait for the next request's first byte.
        client.deadline.arm(gw.idle_timeout);
        co_await read_some(client.socket, client.buffer, client.deadline, ec);
        if (ec) break;
      }
      RequestParser parser(client.request);
      parser.header_limit(max_header_bytes);
      parser.body_limit(gw.max_request_bytes);
      client.deadline.arm(gw.header_timeout);
      if (!parsed_now(parser, client.buffer, true, ec)) {
        co_await read_message(client.socket, client.buffer, parser, true, client.deadline, 0, ec);
      }
      if (ec == http::error::end_of_stream || ec == net::error::eof || ec == net::error::connection_reset) break;
      if (!ec && client.request.expect_continue) {
        static constexpr std::string_view proceed = "HTTP/1.1 100 Continue\r\n\r\n";
        co_await write_all(client.socket, pieces(proceed), client.deadline, ec);
        if (ec) break;
      }
      if (!ec) {
        parser.eager(true);
        client.deadline.arm(std::max(gw.header_timeout, gw.idle_timeout));
        if (!parsed_now(parser, client.buffer, false, ec)) {
          co_await read_message(client.socket, client.buffer, parser, false, client.deadline, 0, ec);
        }
      }
      client.deadline.disarm();
      if (ec) {
        // A slow client is dropped without an answer; bad input gets a JSON error, then the
        // connection closes.
        if (ec == boost::beast::error::timeout) break;
        Error error{400, "bad_request", "malformed HTTP request"};
        if (ec == http::error::header_limit) {
          error = {413, "payload_too_large", "the request headers are too large"};
        } else if (ec == http::error::body_limit) {
          error = {413, "payload_too_large",
                   "the request body is larger than " + std::to_string(gw.max_request_bytes) + " bytes"};
        }
        std::string reply = error_reply(error, false);
        co_await send(client, reply);
        break;
      }
      bool keep_alive = client.request.keep_alive && !rt.draining.load();
      Handler handler(rt, worker, client);
      if (!co_await handler.handle(keep_alive)) break;
    }
  } catch (const std::exception& e) {
    log_event("internal_error", {{"detail", e.what()}});
  }
  client.deadline.disarm();
  client.socket.shutdown(tcp::socket::shutdown_send, ec);
  client.socket.close(ec);
  --worker.clients;
}

// ---------------------------------------------------------------------------------------------
// The admin listener.

Task<> admin_session(Runtime& rt, Deadlines& deadlines, Socket socket) {
  ClientConn client(deadlines, std::move(socket));
  error_code ec;
  try {
    for (;;) {
      auto snapshot = rt.current();
      const Config& config = *snapshot->config;
      RequestParser parser(client.request);
      parser.header_limit(max_header_bytes);
      parser.body_limit(config.gateway.max_request_bytes);
      parser.eager(true);
      client.deadline.arm(config.gateway.header_timeout);
      co_await read_message(client.socket, client.buffer, parser, false, client.deadline, 0, ec);
      client.deadline.disarm();
      if (ec) break;
      const RequestMessage& req = client.request;
      bool keep = req.keep_alive;
      std::string_view path = target_path(req.target);
      std::string res;
      auto key = presented_key(req.headers);
      if (!config.gateway.admin_keys.empty() && (!key || !key_matches(config.gateway.admin_keys, *key))) {
        res = error_reply({401, "unauthorized", "the admin listener needs an admin key"}, keep);
      } else if (path == "/metrics") {
        res = json_reply(200,
                         rt.metrics.render(config.digest, config.environment, rt.ejector.ejected_list(now_ms()),
                                           rt.in_flight.load()),
                         keep, "text/plain; version=0.0.4");
      } else if (path == "/healthz") {
        res = json_reply(200, R"({"status":"ok"})", keep);
      } else if (path == "/readyz") {
        res = rt.draining ? json_reply(503, R"({"status":"draining"})", keep)
                          : json_reply(200, R"({"status":"ready"})", keep);
      } else if (path == "/config") {
        json body = {{"digest", config.digest},
                     {"environment", config.environment},
                     {"gateway", config.gateway.name},
                     {"artifact", rt.options.artifact},
                     {"ejected", rt.ejector.ejected_list(now_ms())},
                     {"signed_by", signed_by(config)}};
        res = json_reply(200, body.dump(), keep);
      } else {
        res =
            error_reply({404, "not_found", "the admin listener serves /metrics, /healthz, /readyz and /config"}, keep);
      }
      if (!co_await send(client, res) || !keep) break;
    }
  } catch (const std::exception& e) {
    log_event("internal_error", {{"detail", e.what()}});
  }
  client.deadline.disarm();
  client.socket.shutdown(tcp::socket::shutdown_send, ec);
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
  error_code ec;
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
  Acceptor acceptor;
  Acceptor admin;
  Deadlines admin_deadlines{main};
  std::size_t next = 0;
  std::filesystem::file_time_type seen_time{};
  std::uintmax_t seen_size = 0;

  Server(Runtime& r, net::io_context& m, std::vector<std::unique_ptr<Worker>>& w)
      : rt(r), main(m), workers(w), acceptor(m.get_executor()), admin(m.get_executor()) {}

  bool bind(Acceptor& a, const std::string& where, const char* what) {
    auto endpoint = parse_endpoint(where);
    if (!endpoint) {
      std::fprintf(stderr, "gwd: error: the %s address '%s' is not host:port\n", what, where.c_str());
      return false;
    }
    error_code ec;
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

  // Connections are accepted here and handed to the workers in turn as bare descriptors: each
  // worker registers its sockets itself, so that nothing but its own thread ever touches its
  // reactor's state for them (see Worker).
  Task<> accept_loop() {
    for (;;) {
      error_code ec;
      Socket socket = co_await acceptor.async_accept(with_ec(ec));
      if (ec == net::error::operation_aborted || !acceptor.is_open()) co_return;
      if (ec) {
        // Out of descriptors and the like: wait a little rather than spin.
        net::steady_timer t(main, milliseconds(50));
        co_await t.async_wait(with_ec(ec));
        continue;
      }
      tcp protocol = acceptor.local_endpoint(ec).protocol();
      int fd = ec ? -1 : socket.release(ec);
      if (ec || fd < 0) {
        // The connection closes with `socket`, unanswered: said, not dropped silently.
        log_event("accept_failed", {{"detail", "cannot hand the connection to a worker: " + ec.message()}});
        continue;
      }
      Worker& w = *workers[next++ % workers.size()];
      net::post(w.ioc, [&rt = rt, &w, protocol, fd] {
        Socket mine(w.ioc);
        error_code assign_ec;
        mine.assign(protocol, fd, assign_ec);
        if (assign_ec) {
          ::close(fd);
          log_event("accept_failed", {{"detail", "a worker cannot take the connection: " + assign_ec.message()}});
          return;
        }
        net::co_spawn(w.ioc, session(rt, w, std::move(mine)), net::detached);
      });
    }
  }

  Task<> admin_loop() {
    for (;;) {
      error_code ec;
      Socket socket = co_await admin.async_accept(with_ec(ec));
      if (ec == net::error::operation_aborted || !admin.is_open()) co_return;
      if (ec) continue;
      net::co_spawn(main, admin_session(rt, admin_deadlines, std::move(socket)), net::detached);
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
    // Workers let go of the old snapshot now, not at their next request: an idle worker would
    // keep the old config (and its secrets) in memory. In-flight requests hold their own.
    for (auto& w : workers) net::post(w->ioc, [worker = w.get()] { worker->snapshot.reset(); });
    rt.metrics.reload(true);
    log_event("reloaded", {{"reason", why},
                           {"digest", (*loaded.value)->config->digest},
                           {"previous", previous->config->digest},
                           {"environment", (*loaded.value)->config->environment},
                           {"signed_by", signed_by(*(*loaded.value)->config)}});
  }

  Task<> watch_loop() {
    if (rt.options.watch_interval <= 0) co_return;
    net::steady_timer timer(main);
    remember_file();
    for (;;) {
      timer.expires_after(milliseconds(rt.options.watch_interval));
      error_code ec;
      co_await timer.async_wait(with_ec(ec));
      if (ec || rt.draining) co_return;
      std::error_code fec;
      auto t = std::filesystem::last_write_time(rt.options.artifact, fec);
      auto s = std::filesystem::file_size(rt.options.artifact, fec);
      if (!fec && (t != seen_time || s != seen_size)) reload("file changed");
    }
  }

  Task<> signal_loop() {
    net::signal_set signals(main, SIGHUP, SIGTERM, SIGINT);
    for (;;) {
      error_code ec;
      int sig = co_await signals.async_wait(with_ec(ec));
      if (ec) co_return;
      if (sig == SIGHUP) {
        reload("SIGHUP");
        continue;
      }
      co_await drain(sig == SIGTERM ? "SIGTERM" : "SIGINT");
      co_return;
    }
  }

  Task<> drain(const char* why) {
    rt.draining = true;
    error_code ec;
    acceptor.close(ec);
    log_event("draining",
              {{"reason", why}, {"in_flight", rt.in_flight.load()}, {"deadline_ms", rt.options.drain_timeout}});
    Millis deadline = now_ms() + rt.options.drain_timeout;
    net::steady_timer timer(main);
    while (rt.in_flight.load() > 0 && now_ms() < deadline) {
      timer.expires_after(milliseconds(10));
      co_await timer.async_wait(with_ec(ec));
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
    worker->thread = std::thread([worker, busy_poll = options.busy_poll] {
      auto guard = net::make_work_guard(worker->ioc);
      run_worker(*worker, busy_poll);
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
