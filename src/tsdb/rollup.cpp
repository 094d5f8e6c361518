#include "tsdb/rollup.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "tsdb/bitstream.h"
#include "tsdb/codec.h"
#include "tsdb/merge.h"

namespace tt::tsdb {

namespace {

TimeMs floor_to(TimeMs t, std::int64_t width) {
  TimeMs r = t % width;
  return t - (r < 0 ? r + width : r);
}

void absorb(Bucket& into, const Bucket& b) {
  if (b.count == 0) return;
  if (into.count == 0) {
    into = Bucket{into.start, b.min, b.max, b.sum, b.count, b.last, b.last_t};
    return;
  }
  into.min = std::min(into.min, b.min);
  into.max = std::max(into.max, b.max);
  into.sum += b.sum;
  into.count += b.count;
  if (b.last_t >= into.last_t) {
    into.last = b.last;
    into.last_t = b.last_t;
  }
}

constexpr int kColumns = 6;

double get(const Bucket& b, int column) {
  switch (column) {
    case 0:
      return b.min;
    case 1:
      return b.max;
    case 2:
      return b.sum;
    case 3:
      return b.count;
    case 4:
      return b.last;
    default:
      return static_cast<double>(b.last_t - b.start);  // small offsets compress well
  }
}

// False when a stored value cannot be the column's (a last_t offset that is no time).
[[nodiscard]] bool set(Bucket& b, int column, double v) {
  switch (column) {
    case 0:
      b.min = v;
      break;
    case 1:
      b.max = v;
      break;
    case 2:
      b.sum = v;
      break;
    case 3:
      b.count = v;
      break;
    case 4:
      b.last = v;
      break;
    default:
      // Within ±2^53 the conversion is exact and defined; the sum must not overflow either.
      if (!(std::fabs(v) <= 0x1p53) ||
          __builtin_add_overflow(b.start, static_cast<TimeMs>(v), &b.last_t))
        return false;
  }
  return true;
}

}  // namespace

// Sums are compensated (Neumaier): the exact sum of the samples rounded once, which for decimal
// samples is nearly always the short decimal the codec stores in a few bits, where a running sum
// leaves noise in the low bits (the sum column of 1 s pings: 0.10 -> 0.04 bytes per sample).
std::vector<Bucket> make_buckets(std::span<const Sample> samples, std::int64_t tier_ms) {
  std::vector<Bucket> out;
  double carry = 0;  // what the rounding of out.back().sum lost so far
  for (const auto& s : samples) {
    if (std::isnan(s.v)) continue;
    TimeMs start = floor_to(s.t, tier_ms);
    if (out.empty() || out.back().start != start) {
      if (!out.empty()) out.back().sum += carry;
      carry = 0;
      out.push_back(Bucket{start, s.v, s.v, 0, 0, s.v, s.t});
    }
    auto& b = out.back();
    b.min = std::min(b.min, s.v);
    b.max = std::max(b.max, s.v);
    const double sum = b.sum + s.v;
    if (std::isfinite(sum))
      carry += std::fabs(b.sum) >= std::fabs(s.v) ? (b.sum - sum) + s.v : (s.v - sum) + b.sum;
    b.sum = sum;
    b.count += 1;
    b.last = s.v;
    b.last_t = s.t;
  }
  if (!out.empty()) out.back().sum += carry;
  return out;
}

void merge_buckets(std::vector<Bucket>& a, const std::vector<Bucket>& b) {
  merge_sorted(
      a, b, [](const Bucket& x) { return x.start; },
      [](Bucket m, const Bucket& x) {
        absorb(m, x);
        return m;
      });
}

std::vector<Bucket> coarsen(const std::vector<Bucket>& buckets, std::int64_t width_ms) {
  std::vector<Bucket> out;
  for (const auto& b : buckets) {
    TimeMs start = floor_to(b.start, width_ms);
    if (out.empty() || out.back().start != start) out.push_back(Bucket{start, 0, 0, 0, 0, 0, 0});
    absorb(out.back(), b);
  }
  return out;
}

// Layout, version 2: u32 count with the top bit set; a varint length and the codec chunk of
// (start, count) per bucket, where the starts cost almost nothing on the codec's grid; a layout
// byte; then, to the end, the other columns (min, last, max, sum, last_t - start) on the grid
// 0, 1, 2..., either (layout 0) one after another in one codec chunk, one header and code table
// for all, which suits a few buckets, or (layout 1) a length-prefixed codec chunk each, which
// suits many, as each column then gets its own coding (a sum's digits would otherwise make the
// RTTs' decimal coding fail); the encoder keeps the smaller. Version 1 (written before; still
// read) had a length-prefixed codec chunk per column with the starts in each: 130 bytes for a
// single hour bucket of pings, most of the rollups' bytes.
namespace {

constexpr std::uint32_t kVersion2 = 0x8000'0000u;
constexpr int kV2Columns[] = {0, 4, 1, 2, 5};  // columns get() numbers; similar ones adjacent
constexpr char kOneChunk = 0, kChunkPerColumn = 1;

Result<std::vector<Bucket>> decode_v1(std::string_view blob, std::uint32_t n, const Error& bad) {
  std::vector<Bucket> out;
  for (int c = 0; c < kColumns; ++c) {
    if (blob.size() < 4) return bad;
    std::uint32_t len;
    std::memcpy(&len, blob.data(), 4);
    blob.remove_prefix(4);
    if (blob.size() < len) return bad;
    auto column = decode_chunk(blob.substr(0, len));
    blob.remove_prefix(len);
    if (!column.ok() || column->size() != n) return bad;
    out.resize(n);  // only once a column proved it holds n values
    for (std::size_t i = 0; i < n; ++i) {
      const auto& s = column.value()[i];
      auto& b = out[i];
      b.start = s.t;
      if (!set(b, c, s.v)) return bad;
    }
  }
  if (!blob.empty()) return bad;
  return out;
}

std::string grid_chunk(std::span<const Bucket> buckets, std::span<const int> columns) {
  std::vector<Sample> values;
  values.reserve(columns.size() * buckets.size());
  for (int c : columns)
    for (const auto& b : buckets)
      values.push_back(Sample{static_cast<TimeMs>(values.size()), get(b, c)});
  return encode_chunk(values);
}

}  // namespace

std::string encode_buckets(std::span<const Bucket> buckets) {
  std::string out;
  const auto n = static_cast<std::uint32_t>(buckets.size());
  detail::put_u32le(out, n | kVersion2);
  std::vector<Sample> counts(n);
  for (std::size_t i = 0; i < n; ++i) counts[i] = Sample{buckets[i].start, buckets[i].count};
  const auto head = encode_chunk(counts);
  detail::put_varint(out, head.size());
  out += head;
  const auto one = grid_chunk(buckets, kV2Columns);
  std::string each;
  for (int c : kV2Columns) {
    const auto chunk = grid_chunk(buckets, std::span(&c, 1));
    detail::put_varint(each, chunk.size());
    each += chunk;
  }
  out += one.size() <= each.size() ? kOneChunk : kChunkPerColumn;
  out += one.size() <= each.size() ? one : each;
  return out;
}

Result<std::vector<Bucket>> decode_buckets(std::string_view blob) {
  auto bad = Error::make(ErrorKind::internal, std::string(kChunkCorrupt), "unreadable rollup");
  if (blob.size() < 4) return bad;
  std::uint32_t n;
  std::memcpy(&n, blob.data(), 4);
  blob.remove_prefix(4);
  if (!(n & kVersion2)) return decode_v1(blob, n, bad);
  n &= ~kVersion2;
  if (n > kMaxBlobBuckets) return bad;
  detail::ByteReader reader(blob);
  auto counts = decode_chunk(reader.bytes(reader.varint()));
  if (!reader.ok() || !counts.ok() || counts->size() != n) return bad;
  std::vector<Bucket> out(n);
  for (std::size_t i = 0; i < n; ++i) {
    out[i].start = counts.value()[i].t;
    out[i].count = counts.value()[i].v;
  }
  // Fills `columns` from one grid chunk; false when it does not hold exactly their values.
  auto fill = [&](std::string_view chunk, std::span<const int> columns) {
    auto values = decode_chunk(chunk);
    if (!values.ok() || values->size() != columns.size() * n) return false;
    std::size_t at = 0;
    for (int c : columns)
      for (auto& b : out)
        if (!set(b, c, values.value()[at++].v)) return false;
    return true;
  };
  const auto layout = static_cast<char>(reader.byte());
  if (layout == kOneChunk) {
    if (!reader.ok() || !fill(reader.rest(), kV2Columns)) return bad;
  } else if (layout == kChunkPerColumn) {
    for (const int& c : kV2Columns)
      if (!fill(reader.bytes(reader.varint()), std::span(&c, 1)) || !reader.ok()) return bad;
    if (!reader.at_end()) return bad;
  } else {
    return bad;
  }
  return out;
}

bool wants_minute_tier(std::span<const Sample> samples) {
  if (samples.size() < 3) return false;
  std::vector<std::int64_t> gaps;
  gaps.reserve(samples.size() - 1);
  for (std::size_t i = 1; i < samples.size(); ++i) gaps.push_back(samples[i].t - samples[i - 1].t);
  std::nth_element(gaps.begin(), gaps.begin() + gaps.size() / 2, gaps.end());
  return gaps[gaps.size() / 2] < 5'000;
}

}  // namespace tt::tsdb
