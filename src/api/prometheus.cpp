// The Prometheus HTTP API under /prometheus/api/v1 (query, query_range, series, labels, label
// values, buildinfo), in Prometheus' own response format, so Grafana can use
// http://HOST:PORT/prometheus as a Prometheus data source.
#include <fmt/format.h>

#include <charconv>
#include <cmath>
#include <ctime>
#include <iterator>
#include <set>

#include "api/api.h"
#include "core/duration.h"
#include "query/query.h"

namespace tt::api {

namespace {

std::string prom_value(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  return fmt::format("{}", v);
}

nlohmann::json point(TimeMs t, double v) {
  return nlohmann::json::array({static_cast<double>(t) / 1000.0, prom_value(v)});
}

nlohmann::json metric_json(const LabelSet& ls) {
  nlohmann::json out = nlohmann::json::object();
  for (const auto& l : ls) out[l.name] = l.value;
  return out;
}

// Invalid UTF-8 (in a message that quotes the request, or a stored label) is answered as U+FFFD,
// as Prometheus does, rather than thrown out of dump() as a 500.
void reply(http::Context& ctx, int status, const nlohmann::json& body) {
  ctx.res.status = status;
  ctx.res.set_content(body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace),
                      "application/json");
}

void success(http::Context& ctx, const nlohmann::json& data) {
  reply(ctx, 200, {{"status", "success"}, {"data", data}});
}

void failure(http::Context& ctx, int status, const char* type, const std::string& message) {
  reply(ctx, status, {{"status", "error"}, {"errorType", type}, {"error", message}});
}

// Unix seconds with an optional fraction, or RFC 3339 (2026-11-22T20:00:00.5Z).
bool parse_time(const std::string& s, TimeMs& out) {
  double secs = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), secs);
  if (ec == std::errc() && p == s.data() + s.size() && std::isfinite(secs)) {
    out = static_cast<TimeMs>(std::llround(secs * 1000));
    return true;
  }
  std::tm tm{};
  int ms = 0;
  int n = std::sscanf(s.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                      &tm.tm_hour, &tm.tm_min, &tm.tm_sec);
  if (n != 6 || s.size() < 20) return false;
  std::string rest = s.substr(19);
  if (rest[0] == '.') {
    std::size_t i = 1, digits = 0;
    for (; i < rest.size() && std::isdigit(static_cast<unsigned char>(rest[i])); ++i)
      if (digits++ < 3) ms = ms * 10 + (rest[i] - '0');
    for (; digits < 3; ++digits) ms *= 10;
    rest = rest.substr(i);
  }
  if (rest != "Z") return false;
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  out = static_cast<TimeMs>(timegm(&tm)) * 1000 + ms;
  return true;
}

// A Prometheus duration ("5m") or float seconds ("15", "0.5").
bool parse_step(const std::string& s, std::int64_t& out) {
  double secs = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), secs);
  if (ec == std::errc() && p == s.data() + s.size())
    out = static_cast<std::int64_t>(std::llround(secs * 1000));
  else
    out = parse_duration_ms(s).value_or(-1);
  return out > 0;
}

// An instant result carries the evaluation time t on every value, as Prometheus answers.
// The answer to a query, written straight into its text. Built as a JSON tree first (a node per
// point and per value, an array per point, then copied into the envelope), a matrix of 1,000
// series of 120 points took 70 MB of the heap at its peak; the text itself is 4 MB.
void success(http::Context& ctx, const query::Value& v, TimeMs t = 0) {
  if (auto* s = std::get_if<query::Scalar>(&v))
    return success(ctx, {{"resultType", "scalar"}, {"result", point(t, s->value)}});
  if (auto* str = std::get_if<query::String>(&v))
    return success(
        ctx, {{"resultType", "string"}, {"result", {static_cast<double>(t) / 1000.0, str->value}}});
  std::string body;
  auto append_point = [&](TimeMs at, double value) {
    fmt::format_to(std::back_inserter(body), "[{},\"{}\"]", static_cast<double>(at) / 1000.0,
                   prom_value(value));
  };
  auto append_metric = [&](const LabelSet& labels) {
    body += "{\"metric\":";
    body += metric_json(labels).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  };
  if (auto* vec = std::get_if<query::Vector>(&v)) {
    body = R"({"status":"success","data":{"resultType":"vector","result":[)";
    for (std::size_t i = 0; i < vec->size(); ++i) {
      if (i) body += ',';
      append_metric((*vec)[i].labels);
      body += ",\"value\":";
      append_point(t, (*vec)[i].value);
      body += '}';
    }
  } else {
    const auto& m = std::get<query::Matrix>(v);
    body = R"({"status":"success","data":{"resultType":"matrix","result":[)";
    for (std::size_t i = 0; i < m.size(); ++i) {
      if (i) body += ',';
      append_metric(m[i].labels);
      body += ",\"values\":[";
      for (std::size_t j = 0; j < m[i].samples.size(); ++j) {
        if (j) body += ',';
        append_point(m[i].samples[j].t, m[i].samples[j].v);
      }
      body += "]}";
    }
  }
  body += "]}}";
  ctx.res.status = 200;
  ctx.res.set_content(std::move(body), "application/json");
}

const char* error_type(const Error& e) {
  if (e.kind == ErrorKind::validation || e.kind == ErrorKind::invalid_input) return "bad_data";
  if (e.kind == ErrorKind::too_large) return "execution";
  return "internal";
}

int error_status(const Error& e) {
  if (e.kind == ErrorKind::validation || e.kind == ErrorKind::invalid_input) return 400;
  if (e.kind == ErrorKind::too_large) return 422;
  return 503;
}

}  // namespace

void register_prometheus(http::Router& r, Services& s) {
  auto& store = s.store;
  const std::vector<std::string> form = {"application/x-www-form-urlencoded"};
  auto query = [&store](http::Context& ctx) {
    auto expr = query::parse_expr(ctx.query("query"));
    if (!expr.ok()) return failure(ctx, 400, "bad_data", expr.error().message);
    TimeMs t = SystemClock::instance().now_ms();
    if (ctx.req.has_param("time") && !parse_time(ctx.query("time"), t))
      return failure(ctx, 400, "bad_data", "cannot parse \"time\"");
    query::Engine engine(store, {});
    auto v = engine.eval_instant(*expr.value(), t);
    if (!v.ok())
      return failure(ctx, error_status(v.error()), error_type(v.error()), v.error().message);
    success(ctx, v.value(), t);
  };
  auto query_range = [&store](http::Context& ctx) {
    auto expr = query::parse_expr(ctx.query("query"));
    if (!expr.ok()) return failure(ctx, 400, "bad_data", expr.error().message);
    TimeMs start = 0, end = 0;
    std::int64_t step = 0;
    if (!parse_time(ctx.query("start"), start))
      return failure(ctx, 400, "bad_data", "cannot parse \"start\"");
    if (!parse_time(ctx.query("end"), end))
      return failure(ctx, 400, "bad_data", "cannot parse \"end\"");
    if (!parse_step(ctx.query("step"), step))
      return failure(ctx, 400, "bad_data", "cannot parse \"step\"");
    if (end < start)
      return failure(ctx, 400, "bad_data", "end timestamp must not be before start time");
    query::Engine engine(store, {});
    auto m = engine.eval_range(*expr.value(), start, end, step);
    if (!m.ok())
      return failure(ctx, error_status(m.error()), error_type(m.error()), m.error().message);
    success(ctx, query::Value{std::move(m.value())});
  };
  auto series = [&store](http::Context& ctx) {
    nlohmann::json out = nlohmann::json::array();
    auto count = ctx.req.get_param_value_count("match[]");
    if (count == 0) return failure(ctx, 400, "bad_data", "no match[] parameter provided");
    std::set<tsdb::SeriesId> seen;
    for (std::size_t i = 0; i < count; ++i) {
      auto m = query::parse_selector(ctx.req.get_param_value("match[]", i));
      if (!m.ok()) return failure(ctx, 400, "bad_data", m.error().message);
      for (auto id : store.index().select(m.value()))
        if (seen.insert(id).second)
          out.push_back(metric_json(store.index().labels_of(id).value_or(LabelSet{})));
    }
    success(ctx, out);
  };
  auto labels = [&store](http::Context& ctx) { success(ctx, store.index().label_names()); };
  auto values = [&store](http::Context& ctx) {
    success(ctx, store.index().label_values(ctx.params.at("name")));
  };
  for (const char* method : {"GET", "POST"}) {
    r.add({method, "/prometheus/api/v1/query", http::Access::read, query, form});
    r.add({method, "/prometheus/api/v1/query_range", http::Access::read, query_range, form});
    r.add({method, "/prometheus/api/v1/series", http::Access::read, series, form});
    r.add({method, "/prometheus/api/v1/labels", http::Access::read, labels, form});
  }
  r.add({"GET", "/prometheus/api/v1/label/{name}/values", http::Access::read, values});
  r.add({"GET", "/prometheus/api/v1/status/buildinfo", http::Access::read, [](http::Context& ctx) {
           success(ctx, {{"version", "2.42.0"},
                         {"revision", "telltale-" TELLTALE_VERSION},
                         {"branch", ""},
                         {"buildUser", ""},
                         {"buildDate", ""},
                         {"goVersion", ""}});
         }});
}

}  // namespace tt::api
