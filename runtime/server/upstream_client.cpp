#include "upstream_client.hpp"

#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <utility>

namespace gwd {

Result<std::shared_ptr<const TlsContexts>> TlsContexts::make(const Config& config) {
  auto out = std::make_shared<TlsContexts>();
  for (std::size_t i = 0; i < config.providers.size(); ++i) {
    const Provider& p = config.providers[i];
    if (!p.base.tls) continue;
    auto ctx = std::make_unique<net::ssl::context>(net::ssl::context::tls_client);
    error_code ec;
    if (!p.ca_file.empty()) {
      ctx->load_verify_file(p.ca_file, ec);
      if (ec) return {std::nullopt, "provider '" + p.name + "': cannot read tls.ca_file '" + p.ca_file + "'"};
    } else {
      ctx->set_default_verify_paths(ec);
    }
    ctx->set_verify_mode(p.tls_verify ? net::ssl::verify_peer : net::ssl::verify_none);
    out->contexts_[i] = std::move(ctx);
  }
  return {std::shared_ptr<const TlsContexts>(std::move(out)), {}};
}

net::ssl::context* TlsContexts::get(std::size_t provider) const {
  auto it = contexts_.find(provider);
  return it == contexts_.end() ? nullptr : it->second.get();
}

Connection::Connection(Deadlines& deadlines, const Executor& executor, net::ssl::context* tls, std::string_view key)
    : plain_(tls != nullptr ? nullptr : std::make_unique<Socket>(executor)),
      tls_(tls != nullptr ? std::make_unique<TlsSocket>(executor, *tls) : nullptr),
      pool_key(key),
      deadline(deadlines, socket()) {}

void Connection::close() {
  deadline.disarm();
  error_code ec;
  socket().shutdown(tcp::socket::shutdown_both, ec);
  socket().close(ec);
}

std::string pool_key(const Provider& p) {
  return (p.base.tls ? "https://" : "http://") + p.base.host + ":" + std::to_string(p.base.port) +
         (p.tls_verify ? "" : "#noverify") + (p.ca_file.empty() ? "" : "#ca=" + p.ca_file);
}

std::unique_ptr<Connection> Pool::take(std::string_view key) {
  auto it = idle_.find(key);
  while (it != idle_.end() && !it->second.empty()) {
    auto c = std::move(it->second.back());
    it->second.pop_back();
    if (c->socket().is_open()) {
      c->reused = true;
      return c;
    }
  }
  return nullptr;
}

void Pool::give(std::unique_ptr<Connection> connection, std::size_t max_idle) {
  connection->deadline.disarm();
  auto it = idle_.find(connection->pool_key);
  if (it == idle_.end()) it = idle_.emplace(connection->pool_key, std::vector<std::unique_ptr<Connection>>{}).first;
  if (it->second.size() >= max_idle) {
    connection->close();
    return;
  }
  it->second.push_back(std::move(connection));
}

Task<std::unique_ptr<Connection>> connect_upstream(Deadlines& deadlines, const Provider& provider,
                                                   net::ssl::context* tls, std::string_view key, std::string& error) {
  Executor executor = co_await net::this_coro::executor;
  auto conn = std::make_unique<Connection>(deadlines, executor, provider.base.tls ? tls : nullptr, key);
  error_code ec;
  conn->deadline.arm(provider.connect_timeout);
  net::ip::basic_resolver<tcp, Executor> resolver(executor);
  auto endpoints = co_await resolver.async_resolve(provider.base.host, std::to_string(provider.base.port), with_ec(ec));
  if (ec) {
    conn->deadline.disarm();
    error = "cannot resolve '" + provider.base.host + "'";
    co_return nullptr;
  }
  co_await net::async_connect(conn->socket(), endpoints, with_ec(ec));
  conn->deadline.classify(ec);
  if (ec) {
    conn->deadline.disarm();
    error = ec == boost::beast::error::timeout ? "connect timed out" : "connect failed: " + ec.message();
    co_return nullptr;
  }
  conn->socket().set_option(tcp::no_delay(true), ec);
  conn->socket().non_blocking(true, ec);  // see write_all
  if (TlsSocket* stream = conn->tls()) {
    SSL* ssl = stream->native_handle();
    // SSL_set_tlsext_host_name, without the macro's C cast.
    SSL_ctrl(ssl, SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name,
             const_cast<char*>(provider.base.host.c_str()));
    if (provider.tls_verify) SSL_set1_host(ssl, provider.base.host.c_str());
    co_await stream->async_handshake(net::ssl::stream_base::client, with_ec(ec));
    conn->deadline.classify(ec);
    if (ec) {
      conn->deadline.disarm();
      error = ec == boost::beast::error::timeout ? "TLS handshake timed out" : "TLS handshake failed: " + ec.message();
      co_return nullptr;
    }
  }
  conn->deadline.disarm();
  co_return conn;
}

}  // namespace gwd
