#include "upstream_client.hpp"

#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <chrono>
#include <utility>

namespace gwd {

Result<std::shared_ptr<const TlsContexts>> TlsContexts::make(const Config& config) {
  auto out = std::make_shared<TlsContexts>();
  for (std::size_t i = 0; i < config.providers.size(); ++i) {
    const Provider& p = config.providers[i];
    if (!p.base.tls) continue;
    auto ctx = std::make_unique<net::ssl::context>(net::ssl::context::tls_client);
    boost::system::error_code ec;
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

void Connection::close() {
  boost::system::error_code ec;
  tcp().socket().shutdown(tcp::socket::shutdown_both, ec);
  tcp().socket().close(ec);
}

std::string pool_key(const Provider& p) {
  return (p.base.tls ? "https://" : "http://") + p.base.host + ":" + std::to_string(p.base.port) +
         (p.tls_verify ? "" : "#noverify") + (p.ca_file.empty() ? "" : "#ca=" + p.ca_file);
}

std::unique_ptr<Connection> Pool::take(const std::string& key) {
  auto it = idle_.find(key);
  while (it != idle_.end() && !it->second.empty()) {
    auto c = std::move(it->second.back());
    it->second.pop_back();
    if (c->tcp().socket().is_open()) {
      c->reused = true;
      return c;
    }
  }
  return nullptr;
}

void Pool::give(std::unique_ptr<Connection> connection, std::size_t max_idle) {
  auto& list = idle_[connection->pool_key];
  if (list.size() >= max_idle) {
    connection->close();
    return;
  }
  list.push_back(std::move(connection));
}

net::awaitable<std::unique_ptr<Connection>> connect_upstream(const Provider& provider, net::ssl::context* tls,
                                                             std::string& error) {
  auto executor = co_await net::this_coro::executor;
  auto conn = std::make_unique<Connection>();
  conn->pool_key = pool_key(provider);
  boost::system::error_code ec;
  tcp::resolver resolver(executor);
  auto endpoints = co_await resolver.async_resolve(provider.base.host, std::to_string(provider.base.port),
                                                   net::redirect_error(net::use_awaitable, ec));
  if (ec) {
    error = "cannot resolve '" + provider.base.host + "'";
    co_return nullptr;
  }
  if (provider.base.tls && tls != nullptr) {
    conn->tls = std::make_unique<beast::ssl_stream<beast::tcp_stream>>(executor, *tls);
  } else {
    conn->plain = std::make_unique<beast::tcp_stream>(executor);
  }
  auto& stream = conn->tcp();
  stream.expires_after(std::chrono::milliseconds(provider.connect_timeout));
  co_await stream.async_connect(endpoints, net::redirect_error(net::use_awaitable, ec));
  if (ec) {
    error = ec == beast::error::timeout ? "connect timed out" : "connect failed: " + ec.message();
    co_return nullptr;
  }
  stream.socket().set_option(tcp::no_delay(true), ec);
  if (conn->tls) {
    SSL* ssl = conn->tls->native_handle();
    // SSL_set_tlsext_host_name, without the macro's C cast.
    SSL_ctrl(ssl, SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name,
             const_cast<char*>(provider.base.host.c_str()));
    if (provider.tls_verify) SSL_set1_host(ssl, provider.base.host.c_str());
    co_await conn->tls->async_handshake(net::ssl::stream_base::client, net::redirect_error(net::use_awaitable, ec));
    if (ec) {
      error = "TLS handshake failed: " + ec.message();
      co_return nullptr;
    }
  }
  stream.expires_never();
  co_return conn;
}

}  // namespace gwd
