// Engine behaviour beyond the Prometheus case table: range queries, result types, limits,
// storage errors, configurable lookback.
#include <doctest/doctest.h>

#include <cmath>

#include "query/ast.h"
#include "query/query.h"

using namespace tt;
using namespace tt::query;

namespace {

constexpr TimeMs kMin = 60'000;

LabelSet labels(std::initializer_list<Label> ls) {
  LabelSet out(ls);
  sort_labels(out);
  return out;
}

std::vector<Sample> ramp(int n, double start, double step, TimeMs interval = kMin) {
  std::vector<Sample> out;
  for (int i = 0; i < n; ++i) out.push_back(Sample{i * interval, start + step * i});
  return out;
}

MemoryStorage make_store() {
  MemoryStorage s;
  s.add(labels({{"__name__", "req"}, {"job", "a"}}), ramp(30, 0, 10));
  s.add(labels({{"__name__", "req"}, {"job", "b"}}), ramp(30, 5, 1));
  auto gap = ramp(30, 1, 0);
  gap[10].v = stale_nan();
  s.add(labels({{"__name__", "up"}, {"job", "a"}}), gap);
  return s;
}

ExprPtr parse(std::string_view q) {
  auto e = parse_expr(q);
  REQUIRE_MESSAGE(e.ok(), (e.ok() ? "" : e.error().message));
  return e.value();
}

class FailingStorage final : public Storage {
 public:
  Result<std::vector<SeriesData>> select(const std::vector<Matcher>&, TimeMs, TimeMs) override {
    return Error::make(ErrorKind::unavailable, "STORE_DOWN", "store unavailable");
  }
};

// Answers select_each alone: what an instant range function must get by with.
class StreamingStorage final : public Storage {
 public:
  explicit StreamingStorage(MemoryStorage& inner) : m_inner(inner) {}
  Result<std::vector<SeriesData>> select(const std::vector<Matcher>&, TimeMs, TimeMs) override {
    return Error::make(ErrorKind::unavailable, "WHOLE_SET", "asked for every series at once");
  }
  Result<void> select_each(const std::vector<Matcher>& matchers, TimeMs from, TimeMs to,
                           const EachSeries& each) override {
    ++walks;
    return m_inner.select_each(matchers, from, to, [&](SeriesData&& s) -> Result<void> {
      ++series;
      return each(std::move(s));
    });
  }
  int walks = 0, series = 0;

 private:
  MemoryStorage& m_inner;
};

}  // namespace

TEST_CASE("an instant range function reads its series one at a time") {
  auto store = make_store();
  StreamingStorage streaming(store);
  Engine engine(streaming);
  auto v = engine.eval_instant(*parse("avg_over_time(req[5m]) > 0"), 10 * kMin);
  REQUIRE(v.ok());
  CHECK(std::get<Vector>(v.value()).size() == 2);
  CHECK(streaming.walks == 1);
  CHECK(streaming.series == 2);
  // absent_over_time needs the whole set, a literal-less quantile its scalar first, and a range
  // query each step: they read the set whole.
  for (const char* q : {"absent_over_time(req[5m])", "quantile_over_time(scalar(up), req[5m])"}) {
    auto r = engine.eval_instant(*parse(q), 10 * kMin);
    REQUIRE(!r.ok());
    CHECK(r.error().code == "WHOLE_SET");
  }
  CHECK(engine.eval_range(*parse("rate(req[5m])"), 0, kMin, kMin).error().code == "WHOLE_SET");
  // A limit hit part-way through the walk stops it with QUERY_TOO_LARGE.
  EngineOptions one;
  one.limits.max_series = 1;
  Engine limited(streaming, one);
  auto r = limited.eval_instant(*parse("sum_over_time(req[5m])"), 10 * kMin);
  REQUIRE(!r.ok());
  CHECK(r.error().code == "QUERY_TOO_LARGE");
}

TEST_CASE("range query equals the instant query at every step") {
  auto store = make_store();
  Engine engine(store);
  // An instant range function streams the series (reduce_while_reading); a range query of
  // several steps reads them whole: the two must agree, stale markers included.
  for (const char* q : {"rate(req[5m])", "sum by (job) (req) * 2", "req > 100", "up",
                        "avg_over_time(req[3m]) - on(job) req", "time()", "absent(nope)",
                        "changes(up[5m])", "max_over_time(up[20m])", "count_over_time(up[15m])",
                        "quantile_over_time(0.9, req[5m])", "stddev_over_time(req[10m])",
                        "last_over_time(req[2m])", "irate(req[5m])", "absent_over_time(up[1m])"}) {
    INFO(q);
    auto e = parse(q);
    auto m = engine.eval_range(*e, 0, 29 * kMin, 90'000);
    REQUIRE(m.ok());
    for (TimeMs t = 0; t <= 29 * kMin; t += 90'000) {
      auto v = engine.eval_instant(*e, t);
      REQUIRE(v.ok());
      Vector at;
      if (auto* s = std::get_if<Scalar>(&v.value()))
        at.push_back(InstantSample{{}, s->value});
      else
        at = std::get<Vector>(v.value());
      std::size_t found = 0;
      for (const auto& series : m.value())
        for (const auto& p : series.samples)
          if (p.t == t) {
            ++found;
            bool match = false;
            for (const auto& x : at)
              if (x.labels == series.labels &&
                  (x.value == p.v || (std::isnan(x.value) && std::isnan(p.v))))
                match = true;
            CHECK(match);
          }
      CHECK(found == at.size());
    }
  }
}

TEST_CASE("range query: staleness ends a series until the next sample; scalars give one series") {
  auto store = make_store();
  Engine engine(store);
  auto m = engine.eval_range(*parse("up"), 8 * kMin, 12 * kMin, kMin);
  REQUIRE(m.ok());
  REQUIRE(m->size() == 1);
  std::vector<TimeMs> times;
  for (const auto& s : m->front().samples) times.push_back(s.t);
  CHECK(times == std::vector<TimeMs>{8 * kMin, 9 * kMin, 11 * kMin, 12 * kMin});
  auto sc = engine.eval_range(*parse("1 + 1"), 0, 2 * kMin, kMin);
  REQUIRE(sc.ok());
  REQUIRE(sc->size() == 1);
  CHECK(sc->front().labels.empty());
  CHECK(sc->front().samples.size() == 3);
}

TEST_CASE("instant results: matrix for a range selector, string literal, sorted vectors") {
  auto store = make_store();
  Engine engine(store);
  auto m = engine.eval_instant(*parse("req[2m]"), 10 * kMin);
  REQUIRE(m.ok());
  const auto& mat = std::get<Matrix>(m.value());
  REQUIRE(mat.size() == 2);
  CHECK(mat[0].samples.size() == 3);  // [8m, 10m], both ends included (Prometheus 2.x)
  CHECK(metric_name(mat[0].labels) == "req");
  auto s = engine.eval_instant(*parse("\"hello\""), 0);
  REQUIRE(s.ok());
  CHECK(std::get<String>(s.value()).value == "hello");
  auto v = engine.eval_instant(*parse("req"), 10 * kMin);
  REQUIRE(v.ok());
  const auto& vec = std::get<Vector>(v.value());
  REQUIRE(vec.size() == 2);
  CHECK(vec[0].labels < vec[1].labels);
}

TEST_CASE("range query rejects matrix and string expressions and bad steps") {
  auto store = make_store();
  Engine engine(store);
  CHECK(!engine.eval_range(*parse("req[5m]"), 0, kMin, 1000).ok());
  CHECK(!engine.eval_range(*parse("\"s\""), 0, kMin, 1000).ok());
  CHECK(!engine.eval_range(*parse("req"), 0, kMin, 0).ok());
  CHECK(!engine.eval_range(*parse("req"), kMin, 0, 1000).ok());
}

TEST_CASE("limits: steps, series and samples fail with QUERY_TOO_LARGE") {
  auto store = make_store();
  EngineOptions opts;
  opts.limits.max_steps = 100;
  opts.limits.max_series = 2;
  opts.limits.max_samples = 1000;
  Engine engine(store, opts);
  auto steps = engine.eval_range(*parse("req"), 0, 1000 * 1000, 1000);
  REQUIRE(!steps.ok());
  CHECK(steps.error().code == "QUERY_TOO_LARGE");
  CHECK(steps.error().kind == ErrorKind::too_large);
  auto series = engine.eval_instant(*parse("{__name__=~\".+\"}"), 0);
  REQUIRE(!series.ok());
  CHECK(series.error().code == "QUERY_TOO_LARGE");
  CHECK(engine.eval_instant(*parse("req"), 0).ok());
  auto samples = engine.eval_range(*parse("count_over_time(req[30m])"), 0, 29 * kMin, 1000);
  REQUIRE(!samples.ok());
  CHECK(samples.error().code == "QUERY_TOO_LARGE");
  Engine big(store);
  CHECK(big.eval_range(*parse("req"), 0, 10'999 * 1000LL, 1000).ok());
  CHECK(!big.eval_range(*parse("req"), 0, 11'000 * 1000LL, 1000).ok());
}

TEST_CASE("storage errors and evaluation errors are returned as values") {
  FailingStorage failing;
  Engine engine(failing);
  auto r = engine.eval_instant(*parse("sum(rate(x[5m]))"), 0);
  REQUIRE(!r.ok());
  CHECK(r.error().code == "STORE_DOWN");
  CHECK(engine.eval_instant(*parse("1 + 1"), 0).ok());
  auto store = make_store();
  Engine e2(store);
  auto dup = e2.eval_instant(*parse("req - on() req"), 10 * kMin);
  REQUIRE(!dup.ok());
  CHECK(dup.error().code == "BAD_QUERY");
  CHECK(dup.error().message.find("many-to-many") != std::string::npos);
}

TEST_CASE("lookback delta is configurable") {
  MemoryStorage store;
  store.add(labels({{"__name__", "x"}}), {Sample{0, 1}});
  EngineOptions opts;
  opts.lookback_ms = 60'000;
  Engine engine(store, opts);
  auto e = parse("x");
  CHECK(std::get<Vector>(engine.eval_instant(*e, 60'000).value()).size() == 1);
  CHECK(std::get<Vector>(engine.eval_instant(*e, 60'001).value()).empty());
  Engine dflt(store);
  CHECK(std::get<Vector>(dflt.eval_instant(*e, 300'000).value()).size() == 1);
  CHECK(std::get<Vector>(dflt.eval_instant(*e, 300'001).value()).empty());
}

TEST_CASE("group_right keeps the right side's labels and includes listed labels from the left") {
  MemoryStorage store;
  store.add(labels({{"__name__", "info"}, {"job", "a"}, {"version", "1.2"}}), {Sample{0, 1}});
  store.add(labels({{"__name__", "req"}, {"job", "a"}, {"path", "/x"}}), {Sample{0, 10}});
  store.add(labels({{"__name__", "req"}, {"job", "a"}, {"path", "/y"}}), {Sample{0, 20}});
  Engine engine(store);
  auto r = engine.eval_instant(*parse("info * on(job) group_right(version) req"), 0);
  REQUIRE(r.ok());
  const auto& v = std::get<Vector>(r.value());
  REQUIRE(v.size() == 2);
  CHECK(v[0].labels == labels({{"job", "a"}, {"path", "/x"}, {"version", "1.2"}}));
  CHECK(v[0].value == 10);
  CHECK(v[1].value == 20);
}

TEST_CASE("MemoryStorage: select filters by matchers and inclusive time bounds") {
  MemoryStorage store;
  store.add(labels({{"__name__", "m"}, {"k", "v"}}), {Sample{10, 1}, Sample{20, 2}, Sample{30, 3}});
  store.add(labels({{"__name__", "m"}, {"k", "v"}}), {Sample{20, 5}});  // replaces
  auto sel = parse_selector("m{k=\"v\"}");
  REQUIRE(sel.ok());
  auto r = store.select(sel.value(), 20, 30);
  REQUIRE(r.ok());
  REQUIRE(r->size() == 1);
  REQUIRE(r->front().samples.size() == 2);
  CHECK(r->front().samples[0].v == 5);
  auto none = store.select(parse_selector("m{k=\"w\"}").value(), 0, 100);
  CHECK(none->empty());
}
