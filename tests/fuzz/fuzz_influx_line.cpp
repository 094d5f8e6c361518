// InfluxDB line protocol from outside (the first byte picks the precision): parse_influx_line
// must not crash, hang or grow without bound, and what it returns must keep the ParseResult
// contract (checked below).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "ingest/ingest.h"

namespace {
void check(const tt::ingest::ParseResult& r) {
  std::size_t samples = 0;
  for (const auto& s : r.series) {
    if (s.samples.empty() || s.labels.empty()) __builtin_trap();
    samples += s.samples.size();
    for (std::size_t i = 0; i < s.labels.size(); ++i) {
      if (s.labels[i].value.empty()) __builtin_trap();
      if (i > 0 && !(s.labels[i - 1].name < s.labels[i].name)) __builtin_trap();
    }
    if (!tt::valid_metric_name(tt::metric_name(s.labels))) __builtin_trap();
  }
  if (samples != r.sample_count || r.errors.size() > tt::ingest::kMaxErrorsKept ||
      r.errors.size() > r.error_count)
    __builtin_trap();
  for (const auto& e : r.errors)
    for (char c : e.message)
      if (c < 0x20 || c > 0x7e) __builtin_trap();
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  auto precision = static_cast<tt::ingest::Precision>(data[0] % 6);
  std::string_view body(reinterpret_cast<const char*>(data) + 1, size - 1);
  check(tt::ingest::parse_influx_line(body, precision, 1'700'000'000'000));
  return 0;
}
