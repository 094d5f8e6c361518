#include <doctest/doctest.h>

#include "tsdb/range_query.h"
#include "tsdb/rollup.h"

using namespace tt;
using namespace tt::tsdb;

namespace {

constexpr std::int64_t kRetentionMs = 30LL * 86'400'000;

std::vector<std::string> fields_of(const Result<RangePlan>& r) {
  std::vector<std::string> out;
  for (const auto& f : r.error().fields) out.push_back(f.field + ": " + f.message);
  return out;
}

}  // namespace

TEST_CASE("a range plan without from and to is the hour before the clock's now, raw") {
  ManualClock clock(1'700'000'000'000);
  auto plan = plan_range({"up", {}, {}, "", ""}, kRetentionMs, clock);
  REQUIRE(plan.ok());
  CHECK(plan->to == 1'700'000'000'000);
  CHECK(plan->from == 1'700'000'000'000 - kDefaultRangeMs);
  CHECK(plan->step_ms == 0);
  CHECK(plan->agg == "avg");
  CHECK(plan->tier_ms == 0);
  CHECK(plan->matchers.size() == 1);
}

TEST_CASE(
    "a range plan reads raw samples within raw retention, the tier dividing the step beyond") {
  ManualClock clock(1'700'000'000'000);
  const TimeMs now = clock.now_ms();
  auto recent =
      plan_range({"up", std::to_string(now - 86'400'000), {}, "1h", "max"}, kRetentionMs, clock);
  REQUIRE(recent.ok());
  CHECK(recent->tier_ms == 0);
  CHECK(recent->agg == "max");
  CHECK(tier_name(recent->tier_ms) == "raw");
  const auto old = std::to_string(now - 2 * kRetentionMs);
  const auto old_to = std::to_string(now - 2 * kRetentionMs + 86'400'000);
  auto hourly = plan_range({"up", old, old_to, "2h", ""}, kRetentionMs, clock);
  REQUIRE(hourly.ok());
  CHECK(hourly->tier_ms == kTier1h);
  CHECK(tier_name(hourly->tier_ms) == "1h");
  auto minutely = plan_range({"up", old, old_to, "90m", ""}, kRetentionMs, clock);
  REQUIRE(minutely.ok());
  CHECK(minutely->tier_ms == kTier1m);
  auto odd = plan_range({"up", old, old_to, "90s", ""}, kRetentionMs, clock);
  REQUIRE(odd.ok());
  CHECK(odd->step_ms == 90'000);
  CHECK(odd->tier_ms == 0);
  auto millis = plan_range({"up", old, old_to, "7200000", ""}, kRetentionMs, clock);
  REQUIRE(millis.ok());
  CHECK(millis->step_ms == 7'200'000);
}

TEST_CASE("a range plan names each bad parameter") {
  ManualClock clock;
  auto r = plan_range({"", "yesterday", "x", "0", "median"}, kRetentionMs, clock);
  REQUIRE(!r.ok());
  CHECK(r.error().code == "VALIDATION_FAILED");
  CHECK(fields_of(r) ==
        std::vector<std::string>{"match: is required: a selector such as up{job=\"node\"}",
                                 "to: must be milliseconds since the epoch",
                                 "from: must be milliseconds since the epoch",
                                 "step: must be a duration such as 30s or 5m, or milliseconds",
                                 "agg: must be one of avg, min, max, sum, count, last"});
  auto reversed = plan_range({"up", "2000", "1000", "", ""}, kRetentionMs, clock);
  REQUIRE(!reversed.ok());
  CHECK(fields_of(reversed) == std::vector<std::string>{"from: must not be after to"});
}

TEST_CASE("a range plan refuses a step that gives more points than a series may have") {
  ManualClock clock;
  const TimeMs now = clock.now_ms();
  auto from = std::to_string(now - (kMaxPointsPerSeries + 1) * 1000);
  CHECK(!plan_range({"up", from, {}, "1s", ""}, kRetentionMs, clock).ok());
  CHECK(plan_range({"up", from, {}, "2s", ""}, kRetentionMs, clock).ok());
}
