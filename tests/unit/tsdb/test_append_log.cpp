#include <doctest/doctest.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <limits>
#include <random>

#include "core/random.h"
#include "tsdb/append_log.h"

using namespace tt;
using namespace tt::tsdb;

namespace {
std::uint64_t bits(double v) {
  std::uint64_t b;
  std::memcpy(&b, &v, 8);
  return b;
}
}  // namespace

TEST_CASE("log batches round-trip every float64 bit-exactly") {
  const double edge[] = {0.0, -0.0, 1e300, -1e-300, std::numeric_limits<double>::infinity(),
                         -std::numeric_limits<double>::infinity(), std::nan(""), 5e-324,
                         std::bit_cast<double>(0x7ff0000000000002ULL), 12.345, 12.345, 1.0};
  LogBatch in;
  in.entries.push_back({7, {}});
  std::int64_t t = -5000;
  for (double v : edge) in.entries[0].samples.push_back({t += 1000, v});
  std::mt19937_64 rng(42);
  in.entries.push_back({1'000'000'007, {}});
  for (int i = 0; i < 1000; ++i) in.entries[1].samples.push_back({static_cast<TimeMs>(rng() >> 20), std::bit_cast<double>(rng())});
  auto out = decode_log_batch(encode_log_batch(in));
  REQUIRE(out.ok());
  REQUIRE(out->entries.size() == 2);
  for (std::size_t e = 0; e < 2; ++e) {
    CHECK(out->entries[e].series_id == in.entries[e].series_id);
    REQUIRE(out->entries[e].samples.size() == in.entries[e].samples.size());
    for (std::size_t i = 0; i < in.entries[e].samples.size(); ++i) {
      CHECK(out->entries[e].samples[i].t == in.entries[e].samples[i].t);
      CHECK(bits(out->entries[e].samples[i].v) == bits(in.entries[e].samples[i].v));
    }
  }
}

TEST_CASE("a truncated or damaged batch is an error, not a crash") {
  LogBatch in;
  in.entries.push_back({3, {{1000, 1.5}, {2000, 2.5}, {3000, 1e300}}});
  auto blob = encode_log_batch(in);
  for (std::size_t n = 0; n < blob.size(); ++n) CHECK_FALSE(decode_log_batch(blob.substr(0, n)).ok());
  CHECK_FALSE(decode_log_batch(blob + "x").ok());
}

TEST_CASE("the log replays what was appended and cuts a torn tail") {
  auto dir = std::filesystem::temp_directory_path() / ("tt-log-" + random_hex(6));
  {
    AppendLog log(dir.string());
    REQUIRE(log.replay([](const LogBatch&, std::uint64_t) {}).ok());
    REQUIRE(log.rotate().ok());
    for (int i = 0; i < 3; ++i) REQUIRE(log.append({{{1, {{i * 1000, i * 1.0}}}}}).ok());
  }
  // A crash in the middle of a write leaves half a record at the end.
  auto seg = (dir / "0000000001.log").string();
  auto size = std::filesystem::file_size(seg);
  std::filesystem::resize_file(seg, size - 3);
  std::vector<double> seen;
  AppendLog log(dir.string());
  auto n = log.replay([&](const LogBatch& b, std::uint64_t seg) {
    CHECK(seg == 1);
    seen.push_back(b.entries[0].samples[0].v);
  });
  REQUIRE(n.ok());
  CHECK(n.value() == 2);
  CHECK(seen == std::vector<double>{0.0, 1.0});
  CHECK(std::filesystem::file_size(seg) < size - 3);  // the torn record is gone
  REQUIRE(log.rotate().ok());
  log.remove_before(2);
  CHECK_FALSE(std::filesystem::exists(seg));
  std::filesystem::remove_all(dir);
}
