// Durations ("250ms", "10s", "5m", "1h", "1d") and sizes ("512KiB", "1MiB").
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace gwctl {

inline constexpr std::int64_t max_duration_ms = 365LL * 24 * 3600 * 1000;  // one year
inline constexpr std::int64_t max_size_bytes = 1LL << 40;                  // 1 TiB

// Milliseconds, or nullopt when malformed or above max_duration_ms.
std::optional<std::int64_t> parse_duration_ms(std::string_view text);
// Bytes, or nullopt when malformed or above max_size_bytes.
std::optional<std::int64_t> parse_size_bytes(std::string_view text);

}  // namespace gwctl
