// Fuzzes the rollup decoder with arbitrary bytes (rollup blobs come back from disk and from
// restored backups). Whatever decodes must hold at most kMaxBlobBuckets buckets and survive
// encoding and decoding again bit-exactly.
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "tsdb/codec.h"
#include "tsdb/rollup.h"

namespace {

void check(bool ok) {
  if (!ok) std::abort();
}

bool same(double a, double b) {
  return std::bit_cast<std::uint64_t>(a) == std::bit_cast<std::uint64_t>(b);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view blob(reinterpret_cast<const char*>(data), size);
  auto decoded = tt::tsdb::decode_buckets(blob);
  if (!decoded.ok()) {
    check(decoded.error().code == tt::tsdb::kChunkCorrupt);
    return 0;
  }
  const auto& b = *decoded;
  if (b.size() > tt::tsdb::kMaxBlobBuckets) return 0;  // a version 1 blob may hold more
  auto again = tt::tsdb::decode_buckets(tt::tsdb::encode_buckets(b));
  check(again.ok() && again->size() == b.size());
  for (std::size_t i = 0; i < b.size(); ++i) {
    const auto& x = b[i];
    const auto& y = (*again)[i];
    check(x.start == y.start && same(x.min, y.min) && same(x.max, y.max) && same(x.sum, y.sum) &&
          same(x.count, y.count) && same(x.last, y.last));
  }
  return 0;
}
