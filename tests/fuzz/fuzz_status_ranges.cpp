// The HTTP probe's expected_status syntax ("200-399,401"): any bytes parse or fail cleanly, and
// what parses holds ordered ranges of real status codes.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "probes/http.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto ranges = tt::probes::parse_status_ranges(text);
  if (ranges) {
    if (ranges->empty()) std::abort();
    for (const auto& r : *ranges)
      if (r.lo < 100 || r.hi > 599 || r.lo > r.hi || !tt::probes::status_in(*ranges, r.lo))
        std::abort();
  }
  return 0;
}
