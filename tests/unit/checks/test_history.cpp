#include <doctest/doctest.h>

#include <vector>

#include "checks/history.h"

using namespace tt;
using namespace tt::checks;

namespace {

// A stretch of `runs` runs every `interval` ms from `first`.
Stretch stretch(TimeMs first, std::int64_t runs, bool up, std::int64_t interval = 10'000,
                double latency_s = 0.01) {
  Stretch s;
  s.check_id = 1;
  s.first_at = first;
  s.last_at = first + (runs - 1) * interval;
  s.runs = runs;
  s.up = up;
  s.timed = up;
  s.latency_sum = up ? latency_s * static_cast<double>(runs) : 0;
  s.interval_ms = interval;
  s.error = up ? "" : "timeout";
  return s;
}

}  // namespace

TEST_CASE("history: uptime counts runs, and a stretch across an edge counts its share inside") {
  // 90 up runs, then 10 down, every 10 s from t=0: the last run is at 990 s.
  const std::vector<Stretch> past{stretch(0, 90, true), stretch(900'000, 10, false)};
  Availability all;
  for (const auto& s : past) all.add(s, 0, 1'000'000);
  CHECK(all.runs == doctest::Approx(100));
  CHECK(*all.uptime() == doctest::Approx(0.9));
  CHECK(*all.latency_avg_s() == doctest::Approx(0.01));  // down runs have no latency

  // The second half: runs from 500 s to 890 s of the up stretch (390/890 of its 90), all down.
  Availability half;
  for (const auto& s : past) half.add(s, 500'000, 1'000'000);
  const double up = 90.0 * 390 / 890;
  CHECK(half.runs == doctest::Approx(up + 10));
  CHECK(*half.uptime() == doctest::Approx(up / (up + 10)));

  Availability none;
  for (const auto& s : past) none.add(s, 2'000'000, 3'000'000);
  CHECK_FALSE(none.uptime());
  CHECK_FALSE(none.latency_avg_s());
}

TEST_CASE("history: the heartbeat shows each run of a check once, in its slot") {
  // Runs every 10 s at 0..90 s: up, up, down, up... Slots of 10 s ending at 100 s.
  const std::vector<Stretch> past{stretch(0, 2, true), stretch(20'000, 1, false),
                                  stretch(30'000, 7, true)};
  CHECK(heartbeat(past, 100'000, 10'000, 10) == "uuduuuuuuu");
  CHECK(heartbeat(past, 100'000, 10'000, 12) == "--uuduuuuuuu");  // before the first run
  // Paused after 90 s: the slots after its last run's interval are empty.
  CHECK(heartbeat(past, 150'000, 10'000, 10) == "uuuuu-----");
  CHECK(heartbeat({}, 100'000, 10'000, 3) == "---");
}

TEST_CASE("history: a node's heartbeat is down where any of its checks was") {
  // One check every 10 s, all up; one every 25 s whose third run (at 50 s) failed.
  const std::vector<Stretch> node{stretch(0, 10, true), stretch(0, 2, true, 25'000),
                                  stretch(50'000, 1, false, 25'000),
                                  stretch(75'000, 1, true, 25'000)};
  CHECK(heartbeat(node, 100'000, 10'000, 10) == "uuuuudduuu");
}

TEST_CASE("history: outages merge down stretches until the next up run, newest first") {
  std::vector<Stretch> past{stretch(0, 5, true), stretch(50'000, 2, false),
                            stretch(70'000, 1, false), stretch(80'000, 3, true),
                            stretch(110'000, 4, false)};
  past[2].error = "refused";
  auto list = outages(past);
  REQUIRE(list.size() == 2);
  CHECK(list[0].from == 110'000);
  CHECK_FALSE(list[0].to);  // still down
  CHECK(list[0].runs == 4);
  CHECK(list[1].from == 50'000);
  CHECK(*list[1].to == 80'000);
  CHECK(list[1].runs == 3);
  CHECK(list[1].error == "timeout");  // the first stretch's
}
