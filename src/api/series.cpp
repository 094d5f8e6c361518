// Time series: ingestion (JSON, Prometheus text, Influx line protocol) and the REST queries
// (planned and read by tsdb/range_query.h).
#include <fmt/format.h>

#include "api/api.h"
#include "core/series_json.h"
#include "ingest/ingest.h"
#include "tsdb/range_query.h"

namespace tt::api {

namespace {

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

// The range query's parameters as the client sent them, planned on the system clock.
Result<tsdb::RangePlan> range_plan(http::Context& ctx, const tsdb::Store& store) {
  auto given = [&](const char* name) {
    return ctx.req.has_param(name) ? std::optional(ctx.query(name)) : std::nullopt;
  };
  return tsdb::plan_range(
      {ctx.query("match"), given("from"), given("to"), ctx.query("step"), ctx.query("agg")},
      store.options().raw_retention_ms, SystemClock::instance());
}

void query_range(http::Context& ctx, tsdb::Store& store) {
  auto plan = range_plan(ctx, store);
  if (!plan.ok()) return ctx.error(plan.error());
  auto series = tsdb::read_range(store, plan.value());
  if (!series.ok()) return ctx.error(series.error());
  nlohmann::json out = nlohmann::json::array();
  for (const auto& s : series.value()) out.push_back(series_json(s.labels, s.points));
  if (plan->step_ms == 0) return ctx.ok({{"series", out}});
  ctx.ok({{"series", out},
          {"step", plan->step_ms},
          {"tier", std::string(tsdb::tier_name(plan->tier_ms))}});
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
           auto q = range_plan(ctx, store);
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
