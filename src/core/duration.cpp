#include "core/duration.h"

#include <array>
#include <limits>

namespace tt {

namespace {

struct Unit {
  std::string_view name;
  std::int64_t ms;
};
// Longest names first where one is a prefix of another ("ms" before "m").
constexpr std::array<Unit, 6> kUnits{
    {{"w", 604800000}, {"d", 86400000}, {"h", 3600000}, {"ms", 1}, {"m", 60000}, {"s", 1000}}};
// Descending size, for formatting. Days are the largest unit written: "30d" reads better than
// "4w2d".
constexpr std::array<Unit, 5> kBySize{
    {{"d", 86400000}, {"h", 3600000}, {"m", 60000}, {"s", 1000}, {"ms", 1}}};

}  // namespace

std::optional<std::int64_t> parse_duration_ms(std::string_view s) {
  if (s.empty()) return std::nullopt;
  std::int64_t total = 0;
  std::int64_t last_unit = std::numeric_limits<std::int64_t>::max();
  std::size_t i = 0;
  while (i < s.size()) {
    if (s[i] < '0' || s[i] > '9') return std::nullopt;
    std::int64_t n = 0;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
      if (n > (std::numeric_limits<std::int64_t>::max() - 9) / 10) return std::nullopt;
      n = n * 10 + (s[i++] - '0');
    }
    const Unit* unit = nullptr;
    for (const auto& u : kUnits) {
      if (s.substr(i, u.name.size()) == u.name) {
        unit = &u;
        break;
      }
    }
    // "0" alone is the one unitless duration people write.
    if (!unit)
      return (i == s.size() && n == 0 && total == 0 && s == "0") ? std::optional<std::int64_t>(0)
                                                                 : std::nullopt;
    if (unit->ms >= last_unit) return std::nullopt;  // "1s1h", "1m1m"
    last_unit = unit->ms;
    i += unit->name.size();
    if (n > (std::numeric_limits<std::int64_t>::max() - total) / unit->ms) return std::nullopt;
    total += n * unit->ms;
  }
  return total;
}

std::string format_duration_ms(std::int64_t ms) {
  if (ms <= 0) return "0s";
  std::string out;
  for (const auto& u : kBySize) {
    if (ms >= u.ms) {
      out += std::to_string(ms / u.ms);
      out += u.name;
      ms %= u.ms;
    }
  }
  return out;
}

}  // namespace tt
