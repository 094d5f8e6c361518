#include "tsdb/rollup.h"

#include <algorithm>
#include <cmath>
#include <cstring>

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

void put_u32(std::string& out, std::uint32_t v) {
  out.append(reinterpret_cast<const char*>(&v), 4);
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

void set(Bucket& b, int column, double v) {
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
      b.last_t = b.start + static_cast<TimeMs>(v);
  }
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

// Layout: u32 count, then length-prefixed codec chunks, one per column (min, max, sum, count,
// last, last_t), each with the bucket starts as timestamps (the codec's grid makes those free).
std::string encode_buckets(std::span<const Bucket> buckets) {
  std::string out;
  put_u32(out, static_cast<std::uint32_t>(buckets.size()));
  std::vector<Sample> column(buckets.size());
  for (int c = 0; c < kColumns; ++c) {
    for (std::size_t i = 0; i < buckets.size(); ++i)
      column[i] = Sample{buckets[i].start, get(buckets[i], c)};
    auto blob = encode_chunk(column);
    put_u32(out, static_cast<std::uint32_t>(blob.size()));
    out += blob;
  }
  return out;
}

Result<std::vector<Bucket>> decode_buckets(std::string_view blob) {
  auto bad = Error::make(ErrorKind::internal, "CHUNK_CORRUPT", "unreadable rollup");
  if (blob.size() < 4) return bad;
  std::uint32_t n;
  std::memcpy(&n, blob.data(), 4);
  blob.remove_prefix(4);
  std::vector<Bucket> out(n);
  for (int c = 0; c < kColumns; ++c) {
    if (blob.size() < 4) return bad;
    std::uint32_t len;
    std::memcpy(&len, blob.data(), 4);
    blob.remove_prefix(4);
    if (blob.size() < len) return bad;
    auto column = decode_chunk(blob.substr(0, len));
    blob.remove_prefix(len);
    if (!column.ok() || column->size() != n) return bad;
    for (std::size_t i = 0; i < n; ++i) {
      const auto& s = column.value()[i];
      auto& b = out[i];
      b.start = s.t;
      set(b, c, s.v);
    }
  }
  if (!blob.empty()) return bad;
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
