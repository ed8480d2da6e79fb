// Text helpers private to gwd_core.
#pragma once

#include <algorithm>
#include <cctype>
#include <string_view>

namespace gwd::detail {

// ASCII case-insensitive equality, for HTTP header names and methods.
inline bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](unsigned char x, unsigned char y) {
           return std::tolower(x) == std::tolower(y);
         });
}

}  // namespace gwd::detail
