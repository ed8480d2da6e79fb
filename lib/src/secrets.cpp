#include "gwctl/secrets.hpp"

#include <algorithm>
#include <cctype>

#include "gwctl/interpolate.hpp"

namespace gwctl {

namespace {
bool key_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-';
}
}  // namespace

bool looks_like_secret_key(std::string_view key) {
  std::string lower(key);
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
  if (lower == "key") return false;  // limits' "key: consumer"
  static constexpr std::string_view words[] = {"key",    "secret",     "token",  "password",
                                               "passwd", "credential", "apikey", "authorization"};
  return std::any_of(std::begin(words), std::end(words),
                     [&](std::string_view w) { return lower.find(w) != std::string::npos; });
}

bool is_secret_reference(std::string_view value) {
  return parse_secret_ref(value);
}

std::string mask_secret_values(std::string_view line) {
  std::string out(line);
  for (std::size_t colon = out.find(':'); colon != std::string::npos; colon = out.find(':', colon + 1)) {
    // The key before this colon, possibly quoted.
    std::size_t end = colon;
    while (end > 0 && (out[end - 1] == '"' || out[end - 1] == '\'' || out[end - 1] == ' ')) --end;
    std::size_t begin = end;
    while (begin > 0 && key_char(out[begin - 1])) --begin;
    if (begin == end) continue;
    if (begin >= 2 && out.compare(begin - 2, 2, "${") == 0) continue;  // "${secret:NAME}" is no key
    if (!looks_like_secret_key(std::string_view(out).substr(begin, end - begin))) continue;
    std::size_t v = out.find_first_not_of(" \t[", colon + 1);
    if (v == std::string::npos) continue;
    int depth = 0;  // inside a flow collection a value ends at ',' ']' or '}'
    for (std::size_t q = 0; q < v; ++q)
      depth += out[q] == '[' || out[q] == '{' ? 1 : out[q] == ']' || out[q] == '}' ? -1 : 0;
    std::size_t stop = v;
    if (out[v] == '"' || out[v] == '\'') {
      std::size_t close = v + 1;
      while (close < out.size() && !(out[close] == out[v] && !(out[v] == '"' && out[close - 1] == '\\'))) ++close;
      stop = std::min(out.size(), close + 1);
    } else {
      while (stop < out.size() && !(depth > 0 && (out[stop] == ',' || out[stop] == ']' || out[stop] == '}')) &&
             !(out[stop] == ' ' && stop + 1 < out.size() && out[stop + 1] == '#')) {
        std::size_t ref_end = out.compare(stop, 2, "${") == 0 ? out.find('}', stop) : std::string::npos;
        stop = ref_end != std::string::npos ? ref_end + 1 : stop + 1;
      }
    }
    std::string_view value(out.data() + v, stop - v);
    std::string_view bare = value;
    while (!bare.empty() && (bare.back() == ' ' || bare.back() == '"' || bare.back() == '\'')) bare.remove_suffix(1);
    while (!bare.empty() && (bare.front() == '"' || bare.front() == '\'')) bare.remove_prefix(1);
    // Booleans are no credentials ("credentials: true" in a CORS block).
    if (bare.empty() || bare == "null" || bare == "~" || bare == "true" || bare == "false" ||
        is_secret_reference(bare) || bare.starts_with("&") || bare.starts_with("*") || bare == "|" || bare == ">") {
      continue;
    }
    for (std::size_t i = v; i < stop; ++i) {
      if (out[i] != '"' && out[i] != '\'' && out[i] != ' ') out[i] = '*';
    }
  }
  return out;
}

}  // namespace gwctl
