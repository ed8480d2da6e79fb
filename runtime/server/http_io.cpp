#include "http_io.hpp"

#include <algorithm>
#include <charconv>

#include <boost/beast/core/string.hpp>

namespace gwd {

RequestParser::RequestParser(RequestMessage& message) : m_(message) {
  m_.method = m_.target = {};
  m_.version = 11;
  m_.headers.items.clear();
  m_.body.clear();
  m_.keep_alive = true;
  m_.expect_continue = false;
  m_.text_.clear();
  m_.spans_.clear();
}

void RequestParser::keep(std::string_view s) {
  m_.spans_.emplace_back(m_.text_.size(), s.size());
  m_.text_.append(s);
}

void RequestParser::on_request_impl(http::verb, boost::beast::string_view method, boost::beast::string_view target,
                                    int version, error_code&) {
  m_.version = version;
  keep({method.data(), method.size()});
  keep({target.data(), target.size()});
}

void RequestParser::on_field_impl(http::field name, boost::beast::string_view name_string,
                                  boost::beast::string_view value, error_code&) {
  // Trailer fields of a chunked body come after the header: they are not kept (appending to
  // the text would move what the header's views point at).
  if (is_header_done()) return;
  if (name == http::field::expect && boost::beast::iequals(value, "100-continue")) m_.expect_continue = true;
  keep({name_string.data(), name_string.size()});
  keep({value.data(), value.size()});
}

void RequestParser::on_header_impl(error_code&) {
  // The text is complete: the views can be taken now.
  auto view = [&](std::size_t i) { return std::string_view(m_.text_).substr(m_.spans_[i].first, m_.spans_[i].second); };
  m_.method = view(0);
  m_.target = view(1);
  for (std::size_t i = 2; i + 1 < m_.spans_.size(); i += 2) m_.headers.items.emplace_back(view(i), view(i + 1));
  m_.keep_alive = keep_alive();
}

void RequestParser::on_body_init_impl(const boost::optional<std::uint64_t>& length, error_code&) {
  // The parser has refused a length over the body limit already.
  if (length) m_.body.reserve(static_cast<std::size_t>(std::min<std::uint64_t>(*length, 1 << 20)));
}

std::size_t RequestParser::on_body_impl(boost::beast::string_view body, error_code&) {
  m_.body.append(body.data(), body.size());
  return body.size();
}

std::size_t RequestParser::on_chunk_body_impl(std::uint64_t, boost::beast::string_view body, error_code& ec) {
  return on_body_impl(body, ec);
}

void status_line(std::string& out, int status) {
  auto reason = http::obsolete_reason(static_cast<http::status>(status));
  char code[16];
  auto [end, ec] = std::to_chars(code, code + sizeof code, status);
  out.append("HTTP/1.1 ").append(code, end).append(" ").append(reason.data(), reason.size()).append("\r\n");
}

void start_head(std::string& out, int status) {
  status_line(out, status);
  out.append("Server: gwd\r\n");
}

void end_head(std::string& out, std::int64_t length, bool keep_alive) {
  if (length >= 0) {
    char digits[24];
    auto [end, ec] = std::to_chars(digits, digits + sizeof digits, length);
    out.append("Content-Length: ").append(digits, end).append("\r\n");
  } else {
    out.append("Transfer-Encoding: chunked\r\n");
  }
  if (!keep_alive) out.append("Connection: close\r\n");
  out.append("\r\n");
}

std::string json_reply(int status, std::string_view body, bool keep_alive, std::string_view content_type) {
  std::string out;
  out.reserve(160 + body.size());
  start_head(out, status);
  out.append("Content-Type: ").append(content_type).append("\r\n");
  end_head(out, static_cast<std::int64_t>(body.size()), keep_alive);
  out.append(body);
  return out;
}

std::string error_reply(const Error& error, bool keep_alive) {
  std::string body = error_body(error);
  std::string out;
  out.reserve(200 + body.size());
  start_head(out, error.status);
  out.append("Content-Type: application/json\r\n");
  if (error.retry_after > 0)
    out.append("Retry-After: ").append(std::to_string((error.retry_after + 999) / 1000)).append("\r\n");
  end_head(out, static_cast<std::int64_t>(body.size()), keep_alive);
  out.append(body);
  return out;
}

}  // namespace gwd
