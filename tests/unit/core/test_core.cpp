#include <doctest/doctest.h>

#include "core/clock.h"
#include "core/duration.h"
#include "core/json.h"
#include "core/metrics.h"
#include "core/random.h"

using namespace tt;

TEST_CASE("durations parse with units and reject garbage") {
  CHECK(parse_duration_ms("90s") == 90'000);
  CHECK(parse_duration_ms("15m") == 900'000);
  CHECK(parse_duration_ms("1h30m") == 5'400'000);
  CHECK(parse_duration_ms("30d") == 30LL * 86'400'000);
  CHECK(parse_duration_ms("250ms") == 250);
  CHECK(parse_duration_ms("1w2d3h4m5s6ms") ==
        604'800'000 + 2 * 86'400'000 + 3 * 3'600'000 + 4 * 60'000 + 5'006);
  CHECK(parse_duration_ms("0") == 0);
  for (const char* bad : {"", "10", "h", "5x", "1s1h", "1m1m", "-1s", "1.5s", "1 s",
                          "99999999999999999999s", "9999999999999999w"})
    CHECK_MESSAGE(!parse_duration_ms(bad), bad);
}

TEST_CASE("durations format to their shortest spelling and parse back") {
  CHECK(format_duration_ms(0) == "0s");
  CHECK(format_duration_ms(900) == "900ms");
  CHECK(format_duration_ms(1500) == "1s500ms");
  CHECK(format_duration_ms(300'000) == "5m");
  CHECK(format_duration_ms(90'061'001) == "1d1h1m1s1ms");
  CHECK(format_duration_ms(30 * 86'400'000LL) == "30d");
  for (std::int64_t ms : {1LL, 999LL, 60'000LL, 604'800'000LL, 123'456'789LL})
    CHECK(parse_duration_ms(format_duration_ms(ms)) == ms);
}

TEST_CASE("RFC 3339 formatting is UTC with milliseconds, also before 1970") {
  CHECK(format_rfc3339(0) == "1970-01-01T00:00:00.000Z");
  CHECK(format_rfc3339(1'700'000'000'123) == "2023-11-14T22:13:20.123Z");
  CHECK(format_rfc3339(-1) == "1969-12-31T23:59:59.999Z");
}

TEST_CASE("JSON from outside: depth limit, precise errors") {
  CHECK(parse_json(R"({"a":[1,2,{"b":null}]})").ok());
  auto bad = parse_json("{\"a\":");
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().code == "INVALID_JSON");
  CHECK(bad.error().kind == ErrorKind::invalid_input);
  std::string deep(100000, '[');
  auto too_deep = parse_json(deep);
  REQUIRE_FALSE(too_deep.ok());
  CHECK(too_deep.error().code == "JSON_TOO_DEEP");
  // Brackets inside strings do not count.
  CHECK(parse_json("\"" + std::string(1000, '[') + "\"").ok());
  CHECK_FALSE(parse_json("\"\xff\"").ok());
  // Found by fuzzing: a number too large for a double is an error, not an exception.
  auto huge = parse_json("777777777777777e7777");
  REQUIRE_FALSE(huge.ok());
  CHECK(huge.error().code == "INVALID_JSON");
}

TEST_CASE("random tokens have the requested size and differ") {
  CHECK(random_hex(8).size() == 16);
  CHECK(random_token(32).size() == 43);
  CHECK(random_token(32) != random_token(32));
}

TEST_CASE("metrics render in the Prometheus text format") {
  metrics::Registry r;
  r.family("t_requests_total", "Requests.", metrics::Type::counter)
      .counter({{"route", "/a\"b"}})
      .inc(2);
  r.family("t_depth", "Depth.", metrics::Type::gauge).gauge().set(3);
  auto& h =
      r.family("t_latency_seconds", "Latency.", metrics::Type::histogram, {0.1, 1}).histogram();
  h.observe(0.05);
  h.observe(0.5);
  h.observe(5);
  auto text = r.render();
  CHECK(text.find("# TYPE t_requests_total counter\nt_requests_total{route=\"/a\\\"b\"} 2\n") !=
        std::string::npos);
  CHECK(text.find("t_depth 3\n") != std::string::npos);
  CHECK(text.find("t_latency_seconds_bucket{le=\"0.10000000000000001\"} 1\n") != std::string::npos);
  CHECK(text.find("t_latency_seconds_bucket{le=\"+Inf\"} 3\n") != std::string::npos);
  CHECK(text.find("t_latency_seconds_count 3\n") != std::string::npos);
}
