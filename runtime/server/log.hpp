// gwd's logs: JSON lines, the access log on stdout (one line per request) and events on
// stderr. Neither ever carries a key or a body: only names from the config, numbers and fixed
// words.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <boost/asio/io_context.hpp>
#include <nlohmann/json.hpp>

namespace gwd {

// Writes `text` with write(2) and no lock (see log.cpp); drops what the descriptor refuses.
void write_line(int fd, std::string_view text);

// An event line on stderr: `fields` plus "event" and "ts".
void log_event(const std::string& event, nlohmann::json fields = nlohmann::json::object());

// UTC with milliseconds, "2026-11-22T13:26:24.895Z", appended to `out`.
void append_wall_time(std::string& out);

// A JSON object written member by member, for the access log: one line per request, where a
// json object (a map of copies) would cost more than the rest of the line's work. Keys are
// gwd's own words, written unescaped; members must be added in key order, as json::dump writes
// them for the event lines.
class JsonLine {
 public:
  // Writes into `buffer`, which it empties first (so a caller's buffer keeps its capacity).
  explicit JsonLine(std::string& buffer) : text_(buffer) {
    text_.clear();
    text_.push_back('{');
  }
  JsonLine& string(std::string_view key, std::string_view value);
  JsonLine& string_or_null(std::string_view key, std::string_view value);  // null when empty
  JsonLine& number(std::string_view key, std::int64_t value);
  // The shortest form that reads back, with ".0" on a whole number, as json::dump writes it.
  JsonLine& number(std::string_view key, double value);
  JsonLine& boolean(std::string_view key, bool value);
  JsonLine& timestamp(std::string_view key);  // now, as append_wall_time
  // The line, with its closing brace and newline.
  std::string& finish();

 private:
  void name(std::string_view key);
  void quoted(std::string_view value);
  std::string& text_;
};

// Access-log lines of one worker thread, written together once the handlers that are ready
// have run: one write(2) for a burst of requests instead of one each. Writes never split a
// line and never pass PIPE_BUF unless one line does, so lines of different workers stay whole.
// flush() when the thread's io_context stops.
class LogBuffer {
 public:
  explicit LogBuffer(boost::asio::io_context& ioc);
  void add(std::string_view line);
  void flush();

 private:
  boost::asio::io_context& ioc_;
  std::string text_;
  bool posted_ = false;
};

}  // namespace gwd
