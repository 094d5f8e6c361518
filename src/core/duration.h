// core/duration.h — durations as people write them in checks, rules and conditions: "900ms",
// "1s", "5m", "1h30m", "7d" (units ms, s, m, h, d, w; Prometheus' spelling, several units in
// descending order). Internally everything is integer milliseconds.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace tt {

// Milliseconds, or nullopt for anything malformed, negative or beyond ~292 million years.
std::optional<std::int64_t> parse_duration_ms(std::string_view s);

// A spelling that parses back to `ms`, days the largest unit: 1500 -> "1s500ms", 300000 -> "5m",
// 30 days -> "30d", 0 -> "0s".
std::string format_duration_ms(std::int64_t ms);

}  // namespace tt
