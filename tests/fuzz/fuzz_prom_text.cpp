// Prometheus text from outside: parse_prometheus_text must not crash, hang or grow without
// bound, and what it returns must keep the ParseResult contract (tests/fuzz/ingest_contract.h).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "ingest/ingest.h"
#include "ingest_contract.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view body(reinterpret_cast<const char*>(data), size);
  tt::fuzz::check_parse_result(tt::ingest::parse_prometheus_text(body, 1'700'000'000'000));
  return 0;
}
