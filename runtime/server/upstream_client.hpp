// Upstream client: connections to providers (plain TCP or OpenSSL TLS with certificate and
// host-name verification unless the provider's tls.verify is false), and a per-thread pool of
// idle keep-alive connections for each provider endpoint. The request/response exchange itself
// lives in server.cpp, where the client session relays it.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/ssl.hpp>

#include "gwd/config.hpp"

namespace gwd {

namespace net = boost::asio;
namespace beast = boost::beast;
using tcp = net::ip::tcp;

// The TLS contexts of one config snapshot, one per https provider.
class TlsContexts {
 public:
  // Fails naming the provider whose ca_file cannot be read.
  static Result<std::shared_ptr<const TlsContexts>> make(const Config& config);
  net::ssl::context* get(std::size_t provider) const;

 private:
  std::map<std::size_t, std::unique_ptr<net::ssl::context>> contexts_;
};

struct Connection {
  std::string pool_key;
  std::unique_ptr<beast::tcp_stream> plain;
  std::unique_ptr<beast::ssl_stream<beast::tcp_stream>> tls;
  beast::flat_buffer buffer;
  bool reused = false;

  beast::tcp_stream& tcp() { return tls ? beast::get_lowest_layer(*tls) : *plain; }
  void close();
};

// The key of a provider's endpoint in a pool: scheme, host, port and TLS settings.
std::string pool_key(const Provider& provider);

// Idle connections of one worker thread, by pool key. Not thread-safe: each worker has its own.
class Pool {
 public:
  std::unique_ptr<Connection> take(const std::string& key);
  void give(std::unique_ptr<Connection> connection, std::size_t max_idle);

 private:
  std::map<std::string, std::vector<std::unique_ptr<Connection>>> idle_;
};

// Opens a connection (resolve, connect, TLS handshake) within the provider's connect timeout.
// On failure returns nullptr with `error` set.
net::awaitable<std::unique_ptr<Connection>> connect_upstream(const Provider& provider, net::ssl::context* tls,
                                                             std::string& error);

}  // namespace gwd
