#include <doctest/doctest.h>

#include <cmath>
#include <cstring>
#include <limits>

#include "tsdb/codec.h"
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

namespace {

// A blob as releases before the compact layout wrote it: a length-prefixed codec chunk per
// column (min, max, sum, count, last, last_t - start) over the bucket starts.
std::string version1_blob(const std::vector<Bucket>& buckets) {
  auto u32 = [](std::uint32_t v) { return std::string(reinterpret_cast<const char*>(&v), 4); };
  std::string out = u32(static_cast<std::uint32_t>(buckets.size()));
  for (int c = 0; c < 6; ++c) {
    std::vector<Sample> column;
    for (const auto& b : buckets) {
      const double v[] = {b.min, b.max, b.sum, b.count, b.last, double(b.last_t - b.start)};
      column.push_back({b.start, v[c]});
    }
    auto chunk = encode_chunk(column);
    out += u32(static_cast<std::uint32_t>(chunk.size())) + chunk;
  }
  return out;
}

void check_same(const std::vector<Bucket>& a, const std::vector<Bucket>& b) {
  REQUIRE(a.size() == b.size());
  for (std::size_t i = 0; i < a.size(); ++i) {
    CHECK(a[i].start == b[i].start);
    CHECK(std::memcmp(&a[i].min, &b[i].min, sizeof(double) * 5) == 0);  // min..last, bit-exact
    CHECK(a[i].last_t == b[i].last_t);
  }
}

}  // namespace

TEST_CASE("a rollup blob holds its buckets bit-exactly in a few bytes, and old blobs still read") {
  // An hour of 1 s RTTs, with a gap, a negative zero and an infinity among them.
  std::vector<Sample> s;
  for (int i = 0; i < 3600; ++i)
    if (i < 600 || i > 900) s.push_back({i * 1000LL, 0.000040 + (i * 7919 % 13) * 1e-6});
  s[5].v = -0.0;
  s[700].v = std::numeric_limits<double>::infinity();
  const auto minutes = make_buckets(s, kTier1m);
  const auto hour = make_buckets(s, kTier1h);
  REQUIRE(minutes.size() == 55);

  auto back = decode_buckets(encode_buckets(minutes));
  REQUIRE(back.ok());
  check_same(*back, minutes);
  auto old = decode_buckets(version1_blob(minutes));
  REQUIRE(old.ok());
  check_same(*old, minutes);

  // One partial hour, as each cut writes, where per-column headers and times cost the most;
  // and an hour of minutes, where each column's own coding matters more.
  CHECK(encode_buckets(hour).size() * 4 <= version1_blob(hour).size() * 3);
  CHECK(encode_buckets(minutes).size() * 10 <= version1_blob(minutes).size() * 7);
}

TEST_CASE("a rollup blob that lies about itself is refused") {
  const auto blob = encode_buckets(make_buckets(std::vector<Sample>{{0, 1}, {60'000, 2}}, kTier1m));
  for (std::size_t n = 0; n < blob.size(); ++n) CHECK_FALSE(decode_buckets(blob.substr(0, n)).ok());
  CHECK_FALSE(decode_buckets(blob + "x").ok());
  std::string too_many = blob;
  const std::uint32_t n = 0x8000'0000u | (kMaxBlobBuckets + 1);
  std::memcpy(too_many.data(), &n, 4);
  auto r = decode_buckets(too_many);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == "CHUNK_CORRUPT");
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
