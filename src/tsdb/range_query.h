// tsdb/range_query.h — the REST range query (GET /api/v1/query_range) apart from HTTP: plan_range
// turns the request's parameters into a plan (the window, the step and how many points it gives,
// the aggregation, the tier to read) on the injected clock, a pure function; read_range runs a
// plan against the store. api/ only decodes parameters and writes JSON.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/result.h"
#include "core/series.h"
#include "query/query.h"

namespace tt::tsdb {

class Store;

inline constexpr std::int64_t kMaxPointsPerSeries = 11'000;
inline constexpr std::size_t kMaxRawSamples = 1'000'000;  // per query, all series together
inline constexpr std::int64_t kDefaultRangeMs = 3'600'000;

// The query parameters as the client sent them.
struct RangeParams {
  std::string match;                    // a selector, required
  std::optional<std::string> from, to;  // ms since the epoch; absent: to = now, from = to - 1 h
  std::string step;                     // "30s", "5m" or milliseconds; empty: raw samples
  std::string agg;  // avg (empty), min, max, sum, count or last: how a step's samples combine
};

struct RangePlan {
  std::vector<query::Matcher> matchers;
  TimeMs from = 0, to = 0;
  std::int64_t step_ms = 0;  // 0: raw samples
  std::string agg = "avg";
  // The rollup tier to read (kTier1m, kTier1h), 0 for raw samples: within raw retention the raw
  // samples answer (decoding runs at tens of millions of samples a second, and raw data is
  // exact); beyond it, the coarsest tier that divides the step.
  std::int64_t tier_ms = 0;
};

// VALIDATION_FAILED with a field error per bad parameter. `raw_retention_ms` is the store's.
Result<RangePlan> plan_range(const RangeParams& p, std::int64_t raw_retention_ms,
                             const Clock& clock);

// "raw", "1m" or "1h".
std::string_view tier_name(std::int64_t tier_ms);

// One series of the answer: raw samples, or one point per step (the bucket's start, its
// aggregate) for steps that hold samples.
struct RangeSeries {
  LabelSet labels;
  std::vector<Sample> points;
};

// Reads the plan's series: raw samples (QUERY_TOO_LARGE past kMaxRawSamples), or per step from
// its tier, and from raw samples for series that have no rollups of that tier stored.
Result<std::vector<RangeSeries>> read_range(Store& store, const RangePlan& plan);

}  // namespace tt::tsdb
