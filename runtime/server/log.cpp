#include "log.hpp"

#include <cerrno>
#include <charconv>
#include <chrono>
#include <climits>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <ctime>

#include <unistd.h>

#include <boost/asio/post.hpp>

#include "json_scan.hpp"

namespace gwd {

using json = nlohmann::json;

// No lock: a write of up to PIPE_BUF bytes reaches a pipe whole, and writes to a file serialize
// on its position, so threads never interleave within a line. A line the log cannot take (a
// full non-blocking pipe, a closed descriptor) is dropped rather than held: requests must not
// wait on the log.
void write_line(int fd, std::string_view text) {
  while (!text.empty()) {
    ssize_t n = ::write(fd, text.data(), text.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    text.remove_prefix(static_cast<std::size_t>(n));
  }
}

// The part up to the seconds is formatted once a second per thread.
void append_wall_time(std::string& out) {
  thread_local std::time_t cached_second = -1;
  thread_local char cached[64];
  auto now = std::chrono::system_clock::now();
  std::time_t t = std::chrono::system_clock::to_time_t(now);
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  if (t != cached_second) {
    std::tm tm{};
    gmtime_r(&t, &tm);
    std::snprintf(cached, sizeof cached, "%04d-%02d-%02dT%02d:%02d:%02d.", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                  tm.tm_hour, tm.tm_min, tm.tm_sec);
    cached_second = t;
  }
  out.append(cached);
  out.push_back(static_cast<char>('0' + ms / 100));
  out.push_back(static_cast<char>('0' + ms / 10 % 10));
  out.push_back(static_cast<char>('0' + ms % 10));
  out.push_back('Z');
}

void log_event(const std::string& event, json fields) {
  std::string ts;
  append_wall_time(ts);
  fields["ts"] = ts;
  fields["event"] = event;
  std::string text = fields.dump(-1, ' ', false, json::error_handler_t::replace);
  text.push_back('\n');
  write_line(STDERR_FILENO, text);
}

JsonLine& JsonLine::string(std::string_view key, std::string_view value) {
  name(key);
  quoted(value);
  return *this;
}

JsonLine& JsonLine::string_or_null(std::string_view key, std::string_view value) {
  if (!value.empty()) return string(key, value);
  name(key);
  text_.append("null");
  return *this;
}

JsonLine& JsonLine::number(std::string_view key, std::int64_t value) {
  name(key);
  char digits[24];
  auto [end, ec] = std::to_chars(digits, digits + sizeof digits, value);
  text_.append(digits, end);
  return *this;
}

JsonLine& JsonLine::number(std::string_view key, double value) {
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

JsonLine& JsonLine::boolean(std::string_view key, bool value) {
  name(key);
  text_.append(value ? "true" : "false");
  return *this;
}

JsonLine& JsonLine::timestamp(std::string_view key) {
  name(key);
  text_.push_back('"');
  append_wall_time(text_);
  text_.push_back('"');
  return *this;
}

std::string& JsonLine::finish() {
  text_.append("}\n");
  return text_;
}

void JsonLine::name(std::string_view key) {
  // Keys are gwd's own words, which need no escaping: `,"key":` is put together on the stack
  // and appended at once.
  char piece[64];
  if (key.size() > sizeof piece - 4) {
    text_.append(text_.size() > 1 ? ",\"" : "\"").append(key).append("\":");
    return;
  }
  std::size_t n = 0;
  if (text_.size() > 1) piece[n++] = ',';
  piece[n++] = '"';
  std::memcpy(piece + n, key.data(), key.size());
  n += key.size();
  piece[n++] = '"';
  piece[n++] = ':';
  text_.append(piece, n);
}

void JsonLine::quoted(std::string_view value) {
  // Config names and HTTP method tokens never need escaping; anything else goes through
  // json::dump, which also replaces invalid UTF-8.
  if (detail::plain_prefix(value) != value.size()) {
    text_.append(json(std::string(value)).dump(-1, ' ', false, json::error_handler_t::replace));
    return;
  }
  text_.push_back('"');
  text_.append(value);
  text_.push_back('"');
}

LogBuffer::LogBuffer(boost::asio::io_context& ioc) : ioc_(ioc) {
  text_.reserve(2 * PIPE_BUF);
}

void LogBuffer::add(std::string_view line) {
  if (text_.size() + line.size() > PIPE_BUF) flush();
  text_.append(line);
  if (!posted_) {
    posted_ = true;
    boost::asio::post(ioc_, [this] {
      posted_ = false;
      flush();
    });
  }
}

void LogBuffer::flush() {
  if (!text_.empty()) write_line(STDOUT_FILENO, text_);
  text_.clear();
}

}  // namespace gwd
