#include "gwctl/units.hpp"

#include <charconv>

namespace gwctl {

namespace {
struct Unit {
  std::string_view suffix;
  std::int64_t factor;
};

std::optional<std::int64_t> parse_with_units(std::string_view text, std::initializer_list<Unit> units,
                                             std::int64_t max) {
  std::size_t digits = 0;
  while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') ++digits;
  if (digits == 0 || digits > 15) return std::nullopt;
  std::int64_t n = 0;
  std::from_chars(text.data(), text.data() + digits, n);
  std::string_view suffix = text.substr(digits);
  for (const auto& u : units) {
    if (suffix == u.suffix) {
      if (n > max / u.factor) return std::nullopt;
      return n * u.factor;
    }
  }
  return std::nullopt;
}
}  // namespace

std::optional<std::int64_t> parse_duration_ms(std::string_view text) {
  return parse_with_units(text, {{"ms", 1}, {"s", 1000}, {"m", 60'000}, {"h", 3'600'000}, {"d", 86'400'000}},
                          max_duration_ms);
}

std::optional<std::int64_t> parse_size_bytes(std::string_view text) {
  return parse_with_units(text, {{"B", 1}, {"KiB", 1024}, {"MiB", 1024 * 1024}, {"GiB", 1024LL * 1024 * 1024}},
                          max_size_bytes);
}

}  // namespace gwctl
