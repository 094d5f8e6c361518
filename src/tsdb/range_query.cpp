#include "tsdb/range_query.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <set>

#include "core/duration.h"
#include "tsdb/store.h"

namespace tt::tsdb {

namespace {

std::optional<std::int64_t> parse_int(const std::string& s) {
  std::int64_t out = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return out;
}

// A time parameter, if given: milliseconds since the epoch.
void parse_time(const char* name, const std::optional<std::string>& text, TimeMs& out,
                std::vector<FieldError>& errs) {
  if (!text) return;
  if (auto ms = parse_int(*text))
    out = *ms;
  else
    errs.push_back({name, "must be milliseconds since the epoch"});
}

// The coarsest rollup tier that divides a step, 0 for none.
std::int64_t tier_for(std::int64_t step_ms) {
  if (step_ms % kTier1h == 0) return kTier1h;
  if (step_ms % kTier1m == 0) return kTier1m;
  return 0;
}

double aggregate(const Bucket& b, const std::string& agg) {
  if (agg == "min") return b.min;
  if (agg == "max") return b.max;
  if (agg == "sum") return b.sum;
  if (agg == "count") return b.count;
  if (agg == "last") return b.last;
  return b.sum / b.count;
}

}  // namespace

Result<RangePlan> plan_range(const RangeParams& p, std::int64_t raw_retention_ms,
                             const Clock& clock) {
  RangePlan q;
  std::vector<FieldError> errs;
  if (p.match.empty()) {
    errs.push_back({"match", "is required: a selector such as up{job=\"node\"}"});
  } else {
    auto m = query::parse_selector(p.match);
    if (!m.ok())
      errs.push_back({"match", m.error().message});
    else
      q.matchers = std::move(m.value());
  }
  const TimeMs now = clock.now_ms();
  q.to = now;
  parse_time("to", p.to, q.to, errs);
  q.from = q.to - kDefaultRangeMs;
  parse_time("from", p.from, q.from, errs);
  if (errs.empty() && q.from > q.to) errs.push_back({"from", "must not be after to"});
  if (!p.step.empty()) {
    q.step_ms = parse_int(p.step).value_or(parse_duration_ms(p.step).value_or(-1));
    if (q.step_ms <= 0)
      errs.push_back({"step", "must be a duration such as 30s or 5m, or milliseconds"});
    else if ((q.to - q.from) / q.step_ms > kMaxPointsPerSeries)
      errs.push_back({"step", fmt::format("gives more than {} points per series; use a larger step",
                                          kMaxPointsPerSeries)});
  }
  if (!p.agg.empty()) {
    if (p.agg != "avg" && p.agg != "min" && p.agg != "max" && p.agg != "sum" && p.agg != "count" &&
        p.agg != "last")
      errs.push_back({"agg", "must be one of avg, min, max, sum, count, last"});
    else
      q.agg = p.agg;
  }
  if (!errs.empty())
    return Error{
        ErrorKind::validation, "VALIDATION_FAILED", "bad query parameters", std::move(errs), {}};
  bool raw_covers = q.from >= now - raw_retention_ms;
  q.tier_ms = q.step_ms == 0 || raw_covers ? 0 : tier_for(q.step_ms);
  return q;
}

std::string_view tier_name(std::int64_t tier_ms) {
  return tier_ms == 0 ? "raw" : tier_ms == kTier1h ? "1h" : "1m";
}

Result<std::vector<RangeSeries>> read_range(Store& store, const RangePlan& q) {
  std::vector<RangeSeries> out;
  if (q.step_ms == 0) {
    auto series = store.select(q.matchers, q.from, q.to);
    if (!series.ok()) return series.error();
    std::size_t total = 0;
    for (const auto& s : series.value()) total += s.samples.size();
    if (total > kMaxRawSamples)
      return Error::make(ErrorKind::too_large, "QUERY_TOO_LARGE",
                         fmt::format("{} raw samples match; give a step to aggregate them", total));
    for (auto& s : series.value()) out.push_back({std::move(s.labels), std::move(s.samples)});
    return out;
  }
  std::vector<Store::SeriesBuckets> bucketed;
  if (q.tier_ms != 0) {
    auto r = store.select_buckets(q.matchers, q.from, q.to, q.tier_ms);
    if (!r.ok()) return r.error();
    bucketed = std::move(r.value());
  }
  std::vector<query::SeriesData> raw;
  if (q.tier_ms == 0 ||
      std::any_of(bucketed.begin(), bucketed.end(), [](const auto& b) { return !b.stored_tier; })) {
    auto r = store.select(q.matchers, q.from, q.to);
    if (!r.ok()) return r.error();
    raw = std::move(r.value());
  }
  auto emit = [&](const LabelSet& labels, const std::vector<Bucket>& buckets) {
    std::vector<Sample> points;
    for (const auto& b : coarsen(buckets, q.step_ms))
      if (b.start >= q.from - q.step_ms && b.count > 0)
        points.push_back({b.start, aggregate(b, q.agg)});
    if (!points.empty()) out.push_back({labels, std::move(points)});
  };
  std::set<LabelSet> from_tier;
  for (const auto& b : bucketed) {
    if (!b.stored_tier) continue;
    emit(b.labels, b.buckets);
    from_tier.insert(b.labels);
  }
  for (const auto& s : raw)
    if (!from_tier.count(s.labels)) emit(s.labels, make_buckets(s.samples, q.step_ms));
  return out;
}

}  // namespace tt::tsdb
