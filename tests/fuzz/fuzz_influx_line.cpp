// InfluxDB line protocol from outside (the first byte picks the precision): parse_influx_line
// must not crash, hang or grow without bound, and what it returns must keep the ParseResult
// contract (tests/fuzz/ingest_contract.h).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "ingest/ingest.h"
#include "ingest_contract.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  auto precision = static_cast<tt::ingest::Precision>(data[0] % 6);
  std::string_view body(reinterpret_cast<const char*>(data) + 1, size - 1);
  tt::fuzz::check_parse_result(tt::ingest::parse_influx_line(body, precision, 1'700'000'000'000));
  return 0;
}
