// Server: the I/O shell around the decision library. A listener hands each client connection
// to one of a few worker threads (one io_context each, with its own upstream pool); a session
// reads HTTP/1.1 requests with keep-alive, runs the decisions, and relays the upstream answer,
// streaming server-sent events as they arrive. The admin listener, signals (SIGHUP reload,
// SIGTERM drain) and the artifact file watch run on the main thread.
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "gwd/config.hpp"

namespace gwd {

struct Options {
  std::string artifact;          // --artifact FILE
  std::string listen;            // --listen A (empty: the artifact's gateway.listen)
  std::string admin;             // --admin A (empty: the artifact's gateway.admin.listen)
  std::string secrets_dir;       // --secrets-dir D
  int threads = 2;               // --threads N worker threads
  Millis busy_poll = 50;         // --busy-poll US: microseconds a lightly loaded worker polls (0: off)
  Millis drain_timeout = 10000;  // --drain-timeout MS: how long SIGTERM waits for in-flight requests
  Millis watch_interval = 1000;  // --watch-interval MS: artifact file polling (0: off)
  // --provider-url NAME=URL: serve provider NAME ("*": every provider) at URL instead of its
  // base_url (local demos and tests against gwd-mock).
  std::vector<std::pair<std::string, std::string>> provider_urls;
  // --require-signature KEY: the public key every artifact (at start and on reload) must be
  // signed by; null when no signature is required.
  std::shared_ptr<const gwctl::PublicKey> signature_key;
};

// Runs until SIGTERM/SIGINT and the drain; returns the process exit code. Startup problems
// (unreadable or invalid artifact, missing secrets, addresses that cannot be bound) are
// printed on stderr and give 1 (an artifact not signed by --require-signature's key included).
int run_server(const Options& options);

}  // namespace gwd
