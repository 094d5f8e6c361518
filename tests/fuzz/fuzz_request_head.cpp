// The request head parser (http/request_head.h): any bytes get a decision without a crash; a
// whole head is within the limits and the same whatever follows it; more bytes than the limit
// never leave it undecided.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "http/request_head.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace tt::http;
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  HeadLimits limits;
  limits.max_head_bytes = 2048;  // small, so the fuzzer reaches the limits
  limits.max_line_bytes = 512;
  limits.max_fields = 8;
  auto p = parse_request_head(bytes, limits);
  switch (p.state) {
    case HeadState::need_more:
      if (bytes.size() > limits.max_head_bytes) std::abort();
      break;
    case HeadState::complete: {
      if (p.head.length == 0 || p.head.length > bytes.size() ||
          p.head.length > limits.max_head_bytes)
        std::abort();
      if (p.head.method.empty() || p.head.fields.size() > limits.max_fields) std::abort();
      auto again = parse_request_head(bytes.substr(0, p.head.length), limits);
      if (again.state != HeadState::complete || again.head.length != p.head.length) std::abort();
      break;
    }
    case HeadState::invalid:
      switch (p.error.status) {
        case 400:
        case 414:
        case 431:
        case 501:
        case 505:
          break;
        default:
          std::abort();
      }
      if (p.error.error.code.empty() || p.error.error.message.empty()) std::abort();
      break;
  }
  return 0;
}
