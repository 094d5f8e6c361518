#include <doctest/doctest.h>

#include <cmath>
#include <limits>

#include "tsdb/rollup.h"

using namespace tt;
using namespace tt::tsdb;

TEST_CASE("buckets aggregate, skip NaN, and survive encoding") {
  std::vector<Sample> s = {
      {0, 1}, {30'000, 3}, {45'000, std::nan("")}, {60'000, 10}, {119'999, -2}};
  auto b = make_buckets(s, kTier1m);
  REQUIRE(b.size() == 2);
  CHECK(b[0].count == 2);
  CHECK(b[0].sum == 4);
  CHECK(b[0].last == 3);
  CHECK(b[0].last_t == 30'000);
  CHECK(b[1].min == -2);
  CHECK(b[1].max == 10);
  auto back = decode_buckets(encode_buckets(b));
  REQUIRE(back.ok());
  REQUIRE(back->size() == 2);
  CHECK(back.value()[1].last == -2);
  CHECK(back.value()[1].last_t == 119'999);
  CHECK_FALSE(decode_buckets("xx").ok());
}

TEST_CASE("partial buckets merge exactly and keep the newest last value") {
  // A backfill into an hour that already has newer data must not take over `last`.
  auto newer = make_buckets(std::vector<Sample>{{3'000'000, 7}, {3'500'000, 9}}, kTier1h);
  auto older = make_buckets(std::vector<Sample>{{1'000, 0.5}}, kTier1h);
  merge_buckets(newer, older);
  REQUIRE(newer.size() == 1);
  CHECK(newer[0].count == 3);
  CHECK(newer[0].min == 0.5);
  CHECK(newer[0].sum == 16.5);
  CHECK(newer[0].last == 9);
}

TEST_CASE("minute buckets coarsen into five-minute steps") {
  std::vector<Sample> s;
  for (int i = 0; i < 600; ++i) s.push_back({i * 1000LL, 1.0});
  auto five = coarsen(make_buckets(s, kTier1m), 5 * kTier1m);
  REQUIRE(five.size() == 2);
  CHECK(five[0].count == 300);
  CHECK(five[1].count == 300);
}

TEST_CASE("only fast series get the minute tier") {
  std::vector<Sample> fast, slow;
  for (int i = 0; i < 10; ++i) {
    fast.push_back({i * 1000LL, 1});
    slow.push_back({i * 30'000LL, 1});
  }
  CHECK(wants_minute_tier(fast));
  CHECK_FALSE(wants_minute_tier(slow));
  CHECK_FALSE(wants_minute_tier(std::vector<Sample>{{0, 1}}));
}

TEST_CASE("bucket sums are rounded once, and infinities stay infinite") {
  std::vector<Sample> tenths;
  for (int i = 0; i < 10; ++i) tenths.push_back({i * 1000, 0.1});
  CHECK(make_buckets(tenths, kTier1m)[0].sum == 1.0);  // a running sum gives 0.9999999999999999
  std::vector<Sample> mixed = {{0, 1e100}, {1, 1.0}, {2, -1e100}};
  CHECK(make_buckets(mixed, kTier1m)[0].sum == 1.0);
  std::vector<Sample> inf = {{0, 0.5}, {1, std::numeric_limits<double>::infinity()}, {2, 0.25}};
  CHECK(make_buckets(inf, kTier1m)[0].sum == std::numeric_limits<double>::infinity());
}
