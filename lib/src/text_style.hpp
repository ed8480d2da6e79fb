// Small helpers shared by the renderers (lint findings in report.cpp, the semantic diff in
// diff_report.cpp, route tests in route_test_report.cpp): ANSI colour, counted nouns, XML text.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include <fmt/format.h>

namespace gwctl::text {

// ANSI colour, on only when the caller says so (a TTY without NO_COLOR; the CLI decides).
struct Ansi {
  bool on = false;
  std::string wrap(std::string_view code, std::string_view text) const {
    return on ? fmt::format("\x1b[{}m{}\x1b[0m", code, text) : std::string(text);
  }
  std::string bold(std::string_view text) const { return wrap("1", text); }
};

// "1 error", "3 errors".
inline std::string plural(std::size_t n, std::string_view word) {
  return fmt::format("{} {}{}", n, word, n == 1 ? "" : "s");
}

// Text for XML attributes and content: the five entities escaped, line breaks kept, other
// control characters and invalid UTF-8 shown as '?', tabs as spaces. Defined in report.cpp.
std::string xml_escape(std::string_view s);

}  // namespace gwctl::text
