// probes/http.h — pieces of the HTTP probe others call: the expected_status syntax, which the
// API validates with when a check is saved ("200-399", "200,204,300-302"; codes 100 to 599).
// Pure functions, any thread.
#pragma once

#include <optional>
#include <string_view>
#include <vector>

namespace tt::probes {

struct StatusRange {
  int lo = 0, hi = 0;  // inclusive
};
using StatusRanges = std::vector<StatusRange>;

// Empty when the text is not a comma-separated list of codes and code ranges.
std::optional<StatusRanges> parse_status_ranges(std::string_view text);
bool valid_status_ranges(std::string_view text);
bool status_in(const StatusRanges& ranges, long status);

}  // namespace tt::probes
