#include <doctest/doctest.h>
#include <zlib.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
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
  const double edge[] = {0.0,
                         -0.0,
                         1e300,
                         -1e-300,
                         std::numeric_limits<double>::infinity(),
                         -std::numeric_limits<double>::infinity(),
                         std::nan(""),
                         5e-324,
                         std::bit_cast<double>(0x7ff0000000000002ULL),
                         12.345,
                         12.345,
                         1.0};
  LogBatch in;
  in.entries.push_back({7, {}});
  std::int64_t t = -5000;
  for (double v : edge) in.entries[0].samples.push_back({t += 1000, v});
  std::mt19937_64 rng(42);
  in.entries.push_back({1'000'000'007, {}});
  for (int i = 0; i < 1000; ++i)
    in.entries[1].samples.push_back(
        {static_cast<TimeMs>(rng() >> 20), std::bit_cast<double>(rng())});
  // Timestamps at both ends of the range: deltas from the batch's base wrap and wrap back.
  in.entries.push_back(
      {1'000'000'008,
       {{std::numeric_limits<TimeMs>::min(), 1.0}, {std::numeric_limits<TimeMs>::max(), 2.0}}});
  for (auto format : {LogPayload::chained, LogPayload::deflated, LogPayload::plain}) {
    auto out = decode_log_batch(encode_log_batch(in, format), format);
    REQUIRE(out.ok());
    REQUIRE(out->entries.size() == 3);
    for (std::size_t e = 0; e < 3; ++e) {
      CHECK(out->entries[e].series_id == in.entries[e].series_id);
      REQUIRE(out->entries[e].samples.size() == in.entries[e].samples.size());
      for (std::size_t i = 0; i < in.entries[e].samples.size(); ++i) {
        CHECK(out->entries[e].samples[i].t == in.entries[e].samples[i].t);
        CHECK(bits(out->entries[e].samples[i].v) == bits(in.entries[e].samples[i].v));
      }
    }
  }
}

TEST_CASE("a truncated or damaged batch is an error, not a crash") {
  LogBatch in;
  in.entries.push_back({3, {{1000, 1.5}, {2000, 2.5}, {3000, 1e300}}});
  for (auto format : {LogPayload::chained, LogPayload::deflated, LogPayload::plain}) {
    auto blob = encode_log_batch(in, format);
    for (std::size_t n = 0; n < blob.size(); ++n)
      CHECK_FALSE(decode_log_batch(blob.substr(0, n), format).ok());
    CHECK_FALSE(decode_log_batch(blob + "x", format).ok());
  }
}

TEST_CASE("a tick of many series deflates to a few bytes a sample") {
  LogBatch in;
  std::mt19937_64 rng(7);
  for (int s = 0; s < 1000; ++s)
    in.entries.push_back(
        {s + 1, {{1'800'000'000'000 + static_cast<TimeMs>(rng() % 5), (rng() % 80'000) / 1000.0}}});
  CHECK(encode_log_batch(in).size() < 4.5 * 1000);
  CHECK(encode_log_batch(in, LogPayload::plain).size() > 6 * 1000);
}

TEST_CASE("checks' series sampled at their own moments cost under 2 bytes a sample chained") {
  // A second of 1,000 pings: nine series a check, sharing its moment within the second, four of
  // them constant, the round trip times in nanoseconds.
  LogBatch in;
  std::mt19937_64 rng(11);
  for (int c = 0; c < 1000; ++c) {
    const TimeMs t = 1'800'000'000'000 + static_cast<TimeMs>(rng() % 1000);
    const double rtt = static_cast<double>(15'000 + rng() % 25'000) / 1e9;
    const double took = rtt + static_cast<double>(2'000 + rng() % 7'000) / 1e9;
    int s = c * 9;
    for (double v : {1.0, 1.0, took, 0.0, 4.0, rtt, rtt, rtt, 0.0})
      in.entries.push_back({++s, {{t, v}}});
  }
  const auto chained = encode_log_batch(in).size();
  CHECK(chained < 2 * 9000);
  CHECK(chained * 4 < encode_log_batch(in, LogPayload::deflated).size() * 3);
  auto out = decode_log_batch(encode_log_batch(in));
  REQUIRE(out.ok());
  REQUIRE(out->entries.size() == in.entries.size());
  for (std::size_t e = 0; e < in.entries.size(); ++e)
    CHECK(out->entries[e].samples[0].t == in.entries[e].samples[0].t);
}

TEST_CASE("records of earlier releases (plain, deflated unchained) still replay") {
  auto dir = std::filesystem::temp_directory_path() / ("tt-log-" + random_hex(6));
  std::filesystem::create_directories(dir);
  {
    std::ofstream out((dir / "0000000001.log").string(), std::ios::binary);
    for (auto [format, flag] :
         {std::pair{LogPayload::plain, 0u}, std::pair{LogPayload::deflated, 0x80000000u}}) {
      LogBatch in;
      in.entries.push_back({4, {{1000, 2.5}}});
      in.entries.push_back({5, {{1500, 0.5}}});  // the second entry's time is the base's + 500
      auto payload = encode_log_batch(in, format);
      std::string record;
      for (std::uint32_t word :
           {static_cast<std::uint32_t>(payload.size()) | flag,
            static_cast<std::uint32_t>(crc32(0, reinterpret_cast<const Bytef*>(payload.data()),
                                             static_cast<uInt>(payload.size())))})
        for (int i = 0; i < 4; ++i) record += static_cast<char>((word >> (8 * i)) & 0xff);
      out << record << payload;
    }
  }
  AppendLog log(dir.string());
  std::vector<Sample> seen;
  auto collect = [&](const LogBatch& b, std::uint64_t) {
    for (const auto& e : b.entries) seen.push_back(e.samples[0]);
  };
  REQUIRE(log.replay(collect).ok());
  REQUIRE(seen.size() == 4);
  for (std::size_t i : {0, 2}) {
    CHECK(seen[i].t == 1000);
    CHECK(seen[i].v == 2.5);
    CHECK(seen[i + 1].t == 1500);
  }
  REQUIRE(log.rotate().ok());
  REQUIRE(log.append({{{4, {{2000, 3.5}}}, {5, {{2600, 4.5}}}}}).ok());
  AppendLog again(dir.string());
  seen.clear();
  REQUIRE(again.replay(collect).ok());
  REQUIRE(seen.size() == 6);
  CHECK(seen[4].t == 2000);
  CHECK(seen[5].t == 2600);
  CHECK(seen[5].v == 4.5);
  std::filesystem::remove_all(dir);
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
