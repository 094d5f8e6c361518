// tsdb/rollup.h — downsampled tiers. A bucket holds the min, max, sum, count and last value of
// a series over [start, start + tier). Partial buckets (a bucket cut in two by a flush, or a
// backfill into an old hour) combine exactly, so rollups are appended, never rewritten. NaN
// samples (stale markers) are not counted. One inexactness is accepted: a backfill that
// overwrites a timestamp already stored counts both values in the rollups (the raw data keeps
// the new one, and queries within raw retention read raw data).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "core/result.h"
#include "core/series.h"

namespace tt::tsdb {

inline constexpr std::int64_t kTier1m = 60'000;
inline constexpr std::int64_t kTier1h = 3'600'000;

struct Bucket {
  TimeMs start = 0;
  double min = 0, max = 0, sum = 0;
  double count = 0;
  double last = 0;
  TimeMs last_t = 0;  // when `last` was sampled, so merged partial buckets keep the newest
};

// Buckets of `tier_ms` over samples sorted by time.
std::vector<Bucket> make_buckets(std::span<const Sample> samples, std::int64_t tier_ms);
// Combines b into a (both sorted by start); buckets with the same start merge.
void merge_buckets(std::vector<Bucket>& a, const std::vector<Bucket>& b);
// Re-buckets to a coarser width (a multiple of the buckets' own).
std::vector<Bucket> coarsen(const std::vector<Bucket>& buckets, std::int64_t width_ms);

// Most buckets one rollup blob holds; callers split longer runs (decode_buckets rejects more,
// which bounds its allocation). 5 values a bucket must fit a codec chunk.
inline constexpr std::size_t kMaxBlobBuckets = 8192;

// Buckets as one blob (layout in rollup.cpp). At most kMaxBlobBuckets.
std::string encode_buckets(std::span<const Bucket> buckets);
Result<std::vector<Bucket>> decode_buckets(std::string_view blob);

// Whether the 1-minute tier is worth its bytes: only for series sampled faster than every 5 s.
// A minute bucket costs about as much as several samples (five values and a time), so for
// slower series it would add more bytes than it saves work; they are read raw instead.
bool wants_minute_tier(std::span<const Sample> samples);

}  // namespace tt::tsdb
