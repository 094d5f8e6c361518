// Time series: ingestion (JSON, Prometheus text, Influx line protocol) and the REST queries.
#include <fmt/format.h>

#include <charconv>
#include <cmath>
#include <set>

#include "api/api.h"
#include "core/duration.h"
#include "core/series_json.h"
#include "ingest/ingest.h"
#include "query/query.h"
#include "tsdb/rollup.h"

namespace tt::api {

namespace {

constexpr std::int64_t kMaxPointsPerSeries = 11'000;
constexpr std::size_t kMaxRawSamples = 1'000'000;  // per query, all series together
constexpr std::int64_t kDefaultRangeMs = 3'600'000;

// Stores a parsed batch, or reports its bad lines and stores nothing (see ingest/ingest.h).
void store_parsed(http::Context& ctx, tsdb::Store& store, ingest::ParseResult parsed) {
  if (parsed.error_count > 0) {
    // A body that is not JSON at all is malformed (400); well-formed input with bad lines, names
    // or values is unprocessable (422). Either way each problem is listed and nothing is stored.
    bool malformed =
        parsed.errors.size() == 1 && parsed.errors[0].line == 0 && parsed.errors[0].path.empty();
    auto e = Error::make(
        malformed ? ErrorKind::invalid_input : ErrorKind::validation, "INGEST_PARSE_ERROR",
        fmt::format("{} line(s) could not be taken; nothing was stored", parsed.error_count));
    for (const auto& le : parsed.errors) {
      std::string where = !le.path.empty() ? le.path
                          : le.line == 0   ? "body"
                                           : fmt::format("line {}:{}", le.line, le.column);
      e.fields.push_back({where, le.message});
    }
    return ctx.error(e);
  }
  auto r = store.append(std::move(parsed.series));
  if (!r.ok()) return ctx.error(r.error());
  ctx.ok({{"samples", r->samples},
          {"series_created", r->series_created},
          {"skipped_fields", parsed.skipped_fields}});
}

bool parse_int(const std::string& s, std::int64_t& out) {
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && p == s.data() + s.size();
}

struct RangeQuery {
  std::vector<query::Matcher> matchers;
  TimeMs from = 0, to = 0;
  std::int64_t step_ms = 0;  // 0: raw samples
  std::string agg = "avg";
};

Result<RangeQuery> range_query(http::Context& ctx, bool need_match) {
  RangeQuery q;
  std::vector<FieldError> errs;
  auto match = ctx.query("match");
  if (match.empty()) {
    if (need_match) errs.push_back({"match", "is required: a selector such as up{job=\"node\"}"});
  } else {
    auto m = query::parse_selector(match);
    if (!m.ok())
      errs.push_back({"match", m.error().message});
    else
      q.matchers = std::move(m.value());
  }
  q.to = SystemClock::instance().now_ms();
  ctx.int_query("to", INT64_MIN, INT64_MAX, q.to, errs, "must be milliseconds since the epoch");
  q.from = q.to - kDefaultRangeMs;
  ctx.int_query("from", INT64_MIN, INT64_MAX, q.from, errs, "must be milliseconds since the epoch");
  if (errs.empty() && q.from > q.to) errs.push_back({"from", "must not be after to"});
  if (auto step = ctx.query("step"); !step.empty()) {
    std::int64_t ms = 0;
    q.step_ms = parse_int(step, ms) ? ms : parse_duration_ms(step).value_or(-1);
    if (q.step_ms <= 0)
      errs.push_back({"step", "must be a duration such as 30s or 5m, or milliseconds"});
    else if ((q.to - q.from) / q.step_ms > kMaxPointsPerSeries)
      errs.push_back({"step", fmt::format("gives more than {} points per series; use a larger step",
                                          kMaxPointsPerSeries)});
  }
  if (auto agg = ctx.query("agg"); !agg.empty()) {
    if (agg != "avg" && agg != "min" && agg != "max" && agg != "sum" && agg != "count" &&
        agg != "last")
      errs.push_back({"agg", "must be one of avg, min, max, sum, count, last"});
    else
      q.agg = agg;
  }
  if (!errs.empty()) return bad_query(std::move(errs));
  return q;
}

double aggregate(const tsdb::Bucket& b, const std::string& agg) {
  if (agg == "min") return b.min;
  if (agg == "max") return b.max;
  if (agg == "sum") return b.sum;
  if (agg == "count") return b.count;
  if (agg == "last") return b.last;
  return b.sum / b.count;
}

// The rollup tier that serves a step: the coarsest one that divides it.
std::int64_t tier_for(std::int64_t step_ms) {
  if (step_ms % tsdb::kTier1h == 0) return tsdb::kTier1h;
  if (step_ms % tsdb::kTier1m == 0) return tsdb::kTier1m;
  return 0;
}

void query_range(http::Context& ctx, tsdb::Store& store) {
  auto q = range_query(ctx, true);
  if (!q.ok()) return ctx.error(q.error());
  nlohmann::json out = nlohmann::json::array();
  if (q->step_ms == 0) {
    auto series = store.select(q->matchers, q->from, q->to);
    if (!series.ok()) return ctx.error(series.error());
    std::size_t total = 0;
    for (const auto& s : series.value()) total += s.samples.size();
    if (total > kMaxRawSamples)
      return ctx.error(
          Error::make(ErrorKind::too_large, "QUERY_TOO_LARGE",
                      fmt::format("{} raw samples match; give a step to aggregate them", total)));
    for (const auto& s : series.value()) out.push_back(series_json(s.labels, s.samples));
    return ctx.ok({{"series", out}});
  }
  // Within raw retention the raw samples answer (decoding runs at tens of millions of samples a
  // second, and raw data is exact); beyond it, the rollup tier that divides the step.
  bool raw_covers = q->from >= SystemClock::instance().now_ms() - store.options().raw_retention_ms;
  std::int64_t tier = raw_covers ? 0 : tier_for(q->step_ms);
  std::vector<tsdb::Store::SeriesBuckets> bucketed;
  if (tier != 0) {
    auto r = store.select_buckets(q->matchers, q->from, q->to, tier);
    if (!r.ok()) return ctx.error(r.error());
    bucketed = std::move(r.value());
  }
  std::vector<query::SeriesData> raw;
  if (tier == 0 ||
      std::any_of(bucketed.begin(), bucketed.end(), [](const auto& b) { return !b.stored_tier; })) {
    auto r = store.select(q->matchers, q->from, q->to);
    if (!r.ok()) return ctx.error(r.error());
    raw = std::move(r.value());
  }
  auto emit = [&](const LabelSet& labels, const std::vector<tsdb::Bucket>& buckets) {
    std::vector<Sample> points;
    for (const auto& b : tsdb::coarsen(buckets, q->step_ms))
      if (b.start >= q->from - q->step_ms && b.count > 0)
        points.push_back({b.start, aggregate(b, q->agg)});
    if (!points.empty()) out.push_back(series_json(labels, points));
  };
  std::set<LabelSet> from_tier;
  for (const auto& b : bucketed) {
    if (!b.stored_tier) continue;
    emit(b.labels, b.buckets);
    from_tier.insert(b.labels);
  }
  for (const auto& s : raw)
    if (!from_tier.count(s.labels)) emit(s.labels, tsdb::make_buckets(s.samples, q->step_ms));
  ctx.ok({{"series", out},
          {"step", q->step_ms},
          {"tier", tier == 0               ? "raw"
                   : tier == tsdb::kTier1h ? "1h"
                                           : "1m"}});
}

}  // namespace

void register_series(http::Router& r, Services& s) {
  auto& store = s.store;
  const std::vector<std::string> text_types = {"text/plain", "application/octet-stream",
                                               "application/x-www-form-urlencoded", ""};
  r.add({"POST", "/api/v1/samples", http::Access::operate, [&store](http::Context& ctx) {
           store_parsed(ctx, store, ingest::parse_json_samples(ctx.req.body));
         }});
  r.add({"POST", "/api/v1/import/prometheus", http::Access::operate,
         [&store](http::Context& ctx) {
           store_parsed(
               ctx, store,
               ingest::parse_prometheus_text(ctx.req.body, SystemClock::instance().now_ms()));
         },
         text_types});
  r.add({"POST", "/api/v1/write", http::Access::operate,
         [&store](http::Context& ctx) {
           auto precision = ingest::parse_precision(
               ctx.req.has_param("precision") ? ctx.query("precision") : "ns");
           if (!precision.ok())
             return ctx.error(bad_query({{"precision", precision.error().message}}));
           store_parsed(ctx, store,
                        ingest::parse_influx_line(ctx.req.body, precision.value(),
                                                  SystemClock::instance().now_ms()));
         },
         text_types});
  r.add({"GET", "/api/v1/query_range", http::Access::read,
         [&store](http::Context& ctx) { query_range(ctx, store); }});
  r.add({"GET", "/api/v1/series", http::Access::read, [&store](http::Context& ctx) {
           auto q = range_query(ctx, true);
           if (!q.ok()) return ctx.error(q.error());
           nlohmann::json items = nlohmann::json::array();
           for (auto id : store.index().select(q->matchers))
             if (auto labels = store.index().labels_of(id))
               items.push_back(labels_json(*labels, true));
           ctx.ok(items);
         }});
  r.add({"GET", "/api/v1/labels", http::Access::read,
         [&store](http::Context& ctx) { ctx.ok(store.index().label_names()); }});
  r.add({"GET", "/api/v1/label/{name}/values", http::Access::read, [&store](http::Context& ctx) {
           ctx.ok(store.index().label_values(ctx.params.at("name")));
         }});
}

}  // namespace tt::api
