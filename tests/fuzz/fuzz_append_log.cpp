// Append-log records as read back from disk after a crash: decoding must never crash, and what
// decodes must encode to a payload that decodes again. The first byte picks the payload format
// (chained as written now, deflated or plain as in logs of earlier releases).
#include <cstddef>
#include <cstdint>

#include "tsdb/append_log.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  using tt::tsdb::LogPayload;
  const auto format = data[0] % 3 == 0   ? LogPayload::chained
                      : data[0] % 3 == 1 ? LogPayload::deflated
                                         : LogPayload::plain;
  std::string_view in(reinterpret_cast<const char*>(data + 1), size - 1);
  auto batch = tt::tsdb::decode_log_batch(in, format);
  if (batch.ok() && tt::tsdb::encode_log_batch(batch.value(), format) != in) {
    // Plain payloads have one encoding per batch; a deflate stream has many.
    auto again =
        tt::tsdb::decode_log_batch(tt::tsdb::encode_log_batch(batch.value(), format), format);
    if (!again.ok()) __builtin_trap();
  }
  return 0;
}
