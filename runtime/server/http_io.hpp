// HTTP/1.1 messages on gwd's sockets. Beast's parser reads them; what it finds goes into
// storage that lives as long as the connection, so a request on a kept-alive connection
// allocates nothing once the first has sized it. Heads are written as plain text: the fields
// gwd sends are fixed names and values that load_config or beast's parser has checked.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/beast/http/basic_parser.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/status.hpp>
#include <boost/container/small_vector.hpp>

#include "gwd/decide.hpp"
#include "io.hpp"

namespace gwd {

namespace http = boost::beast::http;

// A client request: method, target, headers and body, as views of `text_` and `body`.
struct RequestMessage {
  std::string_view method;
  std::string_view target;
  int version = 11;
  Headers headers;
  std::string body;
  bool keep_alive = true;
  bool expect_continue = false;

 private:
  friend class RequestParser;
  std::string text_;  // method, target, then each field's name and value
  std::vector<std::pair<std::size_t, std::size_t>> spans_;
};

// Parses one request into a RequestMessage, which it clears first (keeping its capacity).
class RequestParser final : public http::basic_parser<true> {
 public:
  explicit RequestParser(RequestMessage& message);

 private:
  void on_request_impl(http::verb, boost::beast::string_view method, boost::beast::string_view target, int version,
                       error_code& ec) override;
  void on_response_impl(int, boost::beast::string_view, int, error_code&) override {}
  void on_field_impl(http::field name, boost::beast::string_view name_string, boost::beast::string_view value,
                     error_code& ec) override;
  void on_header_impl(error_code& ec) override;
  void on_body_init_impl(const boost::optional<std::uint64_t>& length, error_code& ec) override;
  std::size_t on_body_impl(boost::beast::string_view body, error_code& ec) override;
  void on_chunk_header_impl(std::uint64_t, boost::beast::string_view, error_code&) override {}
  std::size_t on_chunk_body_impl(std::uint64_t, boost::beast::string_view body, error_code& ec) override;
  void on_finish_impl(error_code&) override {}
  void keep(std::string_view s);
  RequestMessage& m_;
};

// Short header text (a content type), held inline up to 64 bytes: no allocation per response.
class ShortText {
 public:
  void assign(std::string_view s) { chars_.assign(s.begin(), s.end()); }
  std::string_view view() const { return {chars_.data(), chars_.size()}; }
  bool empty() const { return chars_.empty(); }

 private:
  boost::container::small_vector<char, 64> chars_;
};

// Parses an upstream response: its status and Content-Type; each piece of the body is
// appended to `body` (which the reader empties when it relays a stream).
class ResponseParser final : public http::basic_parser<false> {
 public:
  ResponseParser() { eager(true); }
  int status = 0;
  ShortText content_type;
  std::string body;

 private:
  void on_request_impl(http::verb, boost::beast::string_view, boost::beast::string_view, int, error_code&) override {}
  void on_response_impl(int code, boost::beast::string_view, int, error_code&) override { status = code; }
  void on_field_impl(http::field name, boost::beast::string_view, boost::beast::string_view value,
                     error_code&) override {
    if (name == http::field::content_type) content_type.assign({value.data(), value.size()});
  }
  void on_header_impl(error_code&) override {}
  void on_body_init_impl(const boost::optional<std::uint64_t>&, error_code&) override {}
  std::size_t on_body_impl(boost::beast::string_view piece, error_code&) override {
    body.append(piece.data(), piece.size());
    return piece.size();
  }
  void on_chunk_header_impl(std::uint64_t, boost::beast::string_view, error_code&) override {}
  std::size_t on_chunk_body_impl(std::uint64_t, boost::beast::string_view piece, error_code& ec) override {
    return on_body_impl(piece, ec);
  }
  void on_finish_impl(error_code&) override {}
};

// Gives `parser` what `buffer` holds, until it needs more, the header is done (`header_only`)
// or the message is done.
template <bool isRequest>
void feed(http::basic_parser<isRequest>& parser, Buffer& buffer, bool header_only, error_code& ec) {
  while (buffer.size() > 0 && !(header_only ? parser.is_header_done() : parser.is_done())) {
    std::size_t used = parser.put(buffer.data(), ec);
    buffer.consume(used);
    if (ec == http::error::need_more) {
      ec = {};
      return;
    }
    if (ec || used == 0) return;
  }
}

// Feeds `parser` what `buffer` holds; true when that completes the header (`header_only`) or
// the message, or fails (`ec`). Then read_message, and its coroutine, are not needed.
template <bool isRequest>
bool parsed_now(http::basic_parser<isRequest>& parser, Buffer& buffer, bool header_only, error_code& ec) {
  feed(parser, buffer, header_only, ec);
  return ec || (header_only ? parser.is_header_done() : parser.is_done());
}

// Feeds `parser`, reading more from `stream` as needed, until the header is done
// (`header_only`) or the message is. `rearm` (when positive) re-arms `deadline` before each
// read: a limit on the silence between reads rather than on the whole. A stream that ends
// before a message starts is http::error::end_of_stream; one that ends inside a message
// completes it when the message runs to the end of the stream, else it is an error.
template <class Stream, bool isRequest>
Task<void> read_message(Stream& stream, Buffer& buffer, http::basic_parser<isRequest>& parser, bool header_only,
                        IoDeadline& deadline, Millis rearm, error_code& ec) {
  for (;;) {
    feed(parser, buffer, header_only, ec);
    if (ec || (header_only ? parser.is_header_done() : parser.is_done())) co_return;
    if (rearm > 0) deadline.arm(rearm);
    co_await read_some(stream, buffer, deadline, ec);
    if (ec == net::error::eof || ec == net::ssl::error::stream_truncated) {
      if (!parser.got_some()) {
        ec = http::error::end_of_stream;
        co_return;
      }
      ec = {};
      parser.put_eof(ec);
      co_return;
    }
    if (ec) co_return;
  }
}

// A response's status line.
void status_line(std::string& out, int status);
// Starts a response head: the status line and `Server: gwd`.
void start_head(std::string& out, int status);
// Ends a head written by start_head and fields: Content-Length (none when `length` is
// negative: the body is chunked), `Connection: close` unless kept alive, the blank line.
void end_head(std::string& out, std::int64_t length, bool keep_alive);

// A whole response with a JSON (or `content_type`) body, head and body in one string.
std::string json_reply(int status, std::string_view body, bool keep_alive,
                       std::string_view content_type = "application/json");
// The JSON error reply `{"error": {"type", "message"}}`, with Retry-After for a 429's wait.
std::string error_reply(const Error& error, bool keep_alive);

}  // namespace gwd
