// Fuzzes the chunk decoder with arbitrary bytes. Whatever decodes must be a valid chunk
// (strictly increasing timestamps, count and bounds as chunk_info reports) and must survive
// re-encoding and decoding bit-exactly.
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "tsdb/codec.h"

namespace {

void check(bool ok) {
  if (!ok) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view blob(reinterpret_cast<const char*>(data), size);
  auto decoded = tt::tsdb::decode_chunk(blob);
  auto info = tt::tsdb::chunk_info(blob);
  if (!decoded.ok()) {
    check(decoded.error().code == tt::tsdb::kChunkCorrupt);
    return 0;
  }
  const auto& s = *decoded;
  check(info.ok() && info->count == s.size() && s.size() <= tt::tsdb::kMaxChunkSamples);
  for (std::size_t i = 1; i < s.size(); ++i) check(s[i].t > s[i - 1].t);
  if (!s.empty()) check(info->min_t == s.front().t && info->max_t == s.back().t);
  const std::string again = tt::tsdb::encode_chunk(s);
  auto redecoded = tt::tsdb::decode_chunk(again);
  check(redecoded.ok() && redecoded->size() == s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    check((*redecoded)[i].t == s[i].t);
    check(std::bit_cast<std::uint64_t>((*redecoded)[i].v) == std::bit_cast<std::uint64_t>(s[i].v));
  }
  return 0;
}
