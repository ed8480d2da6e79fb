// Upstream client: connections to providers (plain TCP or OpenSSL TLS with certificate and
// host-name verification unless the provider's tls.verify is false), and a per-thread pool of
// idle keep-alive connections for each provider endpoint. The request/response exchange itself
// lives in server.cpp, where the client session relays it.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "gwd/config.hpp"
#include "io.hpp"

namespace gwd {

// The TLS contexts of one config snapshot, one per https provider.
class TlsContexts {
 public:
  // Fails naming the provider whose ca_file cannot be read.
  static Result<std::shared_ptr<const TlsContexts>> make(const Config& config);
  net::ssl::context* get(std::size_t provider) const;

 private:
  std::map<std::size_t, std::unique_ptr<net::ssl::context>> contexts_;
};

// One connection to a provider, owned by one worker thread.
class Connection {
  // First: `deadline` points at the socket.
  std::unique_ptr<Socket> plain_;
  std::unique_ptr<TlsSocket> tls_;

 public:
  // A socket of `executor`, wrapped in TLS when `tls` is given; not connected yet.
  Connection(Deadlines& deadlines, const Executor& executor, net::ssl::context* tls, std::string_view pool_key);
  Socket& socket() { return tls_ ? tls_->next_layer() : *plain_; }
  TlsSocket* tls() { return tls_.get(); }
  Socket* plain() { return plain_.get(); }
  void close();

  const std::string pool_key;
  Buffer buffer;
  IoDeadline deadline;
  bool reused = false;
};

// The key of a provider's endpoint in a pool: scheme, host, port and TLS settings.
std::string pool_key(const Provider& provider);

// Idle connections of one worker thread, by pool key. Not thread-safe: each worker has its own.
class Pool {
 public:
  std::unique_ptr<Connection> take(std::string_view key);
  void give(std::unique_ptr<Connection> connection, std::size_t max_idle);

 private:
  std::map<std::string, std::vector<std::unique_ptr<Connection>>, std::less<>> idle_;
};

// Opens a connection (resolve, connect, TLS handshake) within the provider's connect timeout.
// On failure returns nullptr with `error` set.
Task<std::unique_ptr<Connection>> connect_upstream(Deadlines& deadlines, const Provider& provider,
                                                   net::ssl::context* tls, std::string_view key, std::string& error);

}  // namespace gwd
