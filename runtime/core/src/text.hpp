// Text helpers private to gwd_core.
#pragma once

#include <algorithm>
#include <string_view>

namespace gwd::detail {

inline char ascii_lower(char c) {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c + ('a' - 'A')) : c;
}

// ASCII case-insensitive equality, for HTTP header names and methods (no locale: std::tolower
// is a library call per byte).
inline bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) { return ascii_lower(x) == ascii_lower(y); });
}

}  // namespace gwd::detail
