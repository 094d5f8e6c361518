#include <doctest/doctest.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "tsdb/codec.h"

using tt::Sample;
using tt::TimeMs;
using namespace tt::tsdb;

namespace {

// Bytes per sample of the class tests (one 4096-sample chunk per series, 20 series each), as
// measured when the codec was written: ping 1.354, counter 2.585, gauge 0.658. ~5% margin.
constexpr double kPingLimit = 1.42, kCounterLimit = 2.71, kGaugeLimit = 0.69;

std::uint64_t bits(double v) { return std::bit_cast<std::uint64_t>(v); }
double from_bits(std::uint64_t b) { return std::bit_cast<double>(b); }

class Rng {  // splitmix64, deterministic everywhere
 public:
  explicit Rng(std::uint64_t seed) : m_s(seed) {}
  std::uint64_t next() {
    std::uint64_t z = (m_s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
  double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
  double uniform(double a, double b) { return a + (b - a) * uniform(); }
  std::int64_t int_in(std::int64_t lo, std::int64_t hi) {
    return lo + static_cast<std::int64_t>(next() % static_cast<std::uint64_t>(hi - lo + 1));
  }
  double normal() {
    return std::sqrt(-2.0 * std::log(1.0 - uniform())) * std::cos(6.283185307179586 * uniform());
  }
  bool chance(double p) { return uniform() < p; }

 private:
  std::uint64_t m_s;
};

// Round trip; true when every timestamp and value bit pattern matches and chunk_info agrees.
bool round_trips(const std::vector<Sample>& s, std::size_t* size_bytes = nullptr) {
  const std::string blob = encode_chunk(s);
  if (size_bytes) *size_bytes = blob.size();
  auto r = decode_chunk(blob);
  if (!r.ok() || r->size() != s.size()) return false;
  for (std::size_t i = 0; i < s.size(); ++i)
    if ((*r)[i].t != s[i].t || bits((*r)[i].v) != bits(s[i].v)) return false;
  auto info = chunk_info(blob);
  if (!info.ok() || info->count != s.size()) return false;
  if (!s.empty() && (info->min_t != s.front().t || info->max_t != s.back().t)) return false;
  return true;
}

std::vector<Sample> regular(std::size_t n, TimeMs t0, TimeMs step, double v) {
  std::vector<Sample> s;
  for (std::size_t i = 0; i < n; ++i) s.push_back({t0 + static_cast<TimeMs>(i) * step, v});
  return s;
}

double round_to(double v, int decimals) {
  const double p = std::pow(10.0, decimals);
  return std::round(v * p) / p;
}

// The three synthetic classes of bench/tsdb/codec_size.cpp, one series each, one full chunk.
std::vector<Sample> ping_series(std::uint64_t seed, std::size_t n = 4096) {
  Rng r(seed);
  const double base = std::exp(r.uniform(std::log(0.3), std::log(80.0)));
  const double noise = r.uniform(0.01, 0.05);
  std::vector<Sample> s;
  for (std::size_t i = 0; i < n; ++i) {
    double v = base * (1 + noise * std::fabs(r.normal()));
    if (r.chance(0.01)) v += r.uniform(0, 3 * base);
    TimeMs j = r.int_in(0, 4) + (r.chance(0.01) ? r.int_in(0, 40) : 0);
    s.push_back({1'700'000'000'000 + static_cast<TimeMs>(i) * 1000 + j, round_to(v, 3)});
  }
  return s;
}

std::vector<Sample> counter_series(std::uint64_t seed, std::size_t n = 4096) {
  Rng r(seed);
  const double rate = std::exp(r.uniform(std::log(1e2), std::log(1e6)));
  const bool wraps32 = r.chance(0.5);
  double c = std::floor(wraps32 ? r.uniform(0, 4294967296.0) : r.uniform(0, 1e12));
  const std::int64_t reset_at = r.chance(0.3) ? r.int_in(0, static_cast<std::int64_t>(n) - 1) : -1;
  std::vector<Sample> s;
  for (std::size_t i = 0; i < n; ++i) {
    c += std::round(rate * 10 * std::exp(0.4 * r.normal()));
    if (wraps32 && c >= 4294967296.0) c -= 4294967296.0;
    if (static_cast<std::int64_t>(i) == reset_at) c = 0;
    TimeMs j = r.int_in(0, 9) + (r.chance(0.01) ? r.int_in(0, 200) : 0);
    s.push_back({1'700'000'000'000 + static_cast<TimeMs>(i) * 10'000 + j, c});
  }
  return s;
}

std::vector<Sample> gauge_series(std::uint64_t seed, int kind, std::size_t n = 4096) {
  Rng r(seed);
  double x = r.uniform(20, 70);
  const double target = x;
  double status = 1;
  std::vector<Sample> s;
  for (std::size_t i = 0; i < n; ++i) {
    double v;
    if (kind <= 2) {
      x += 0.03 * r.normal() + 0.002 * (target - x);
      v = round_to(x, 1);
    } else if (kind <= 4) {
      v = std::round(std::clamp(x + 4 * r.normal(), 0.0, 100.0));
    } else if (kind <= 6) {
      x = std::min(100.0, x + 0.0005 + 0.002 * r.normal());
      v = round_to(x, 2);
    } else if (kind <= 8) {
      v = kind == 7 ? 1e9 : 1;
    } else {
      if (r.chance(0.002)) status = status == 1 ? 2 : 1;
      v = status;
    }
    TimeMs j = r.int_in(0, 9) + (r.chance(0.01) ? r.int_in(0, 200) : 0);
    s.push_back({1'700'000'000'000 + static_cast<TimeMs>(i) * 15'000 + j, v});
  }
  return s;
}

const std::vector<double>& edge_values() {
  static const std::vector<double> v = {
      0.0,
      -0.0,
      std::numeric_limits<double>::infinity(),
      -std::numeric_limits<double>::infinity(),
      from_bits(0x7ff8000000000000ull),  // quiet NaN
      from_bits(0x7ff0000000000002ull),  // Prometheus stale marker
      from_bits(0xfff8000000000001ull),  // negative NaN with payload
      from_bits(0x7ff4000000abcdefull),  // signalling-style payload
      from_bits(0x7fffffffffffffffull),
      std::numeric_limits<double>::max(),
      -std::numeric_limits<double>::max(),
      std::numeric_limits<double>::min(),
      std::numeric_limits<double>::denorm_min(),
      -std::numeric_limits<double>::denorm_min(),
      from_bits(0x000fffffffffffffull),  // largest subnormal
      9007199254740993.0,                // rounds to 2^53
      9007199254740994.0,                // 2^53 + 2
      18446744073709551616.0,            // 2^64
      9.2233720368547758e18,             // about 2^63
      -9.2233720368547758e18,
      1e300,
      0.1 + 0.2,
      3.141592653589793,
      1.0 / 3.0,
      12.345,
      -12.345,
      1e-300,
      123456789.123456789,
      0.000001,
  };
  return v;
}

}  // namespace

TEST_CASE("every edge value round-trips bit-exactly: alone, constant, mixed into decimals") {
  for (double e : edge_values()) {
    CAPTURE(bits(e));
    CHECK(round_trips({{5, e}}));
    CHECK(round_trips(regular(100, -7, 1000, e)));  // constant chunk
    auto s = ping_series(1, 300);
    s[0].v = e;
    s[150].v = e;
    s[299].v = e;
    CHECK(round_trips(s));  // decimal chunk with exceptions
  }
  std::vector<Sample> all;  // all edge values in one chunk: raw mode
  for (std::size_t i = 0; i < edge_values().size(); ++i)
    all.push_back({static_cast<TimeMs>(i) * 3, edge_values()[i]});
  CHECK(round_trips(all));
  // Decimal at a small exponent, but the mantissa of a large value would overflow int64 there
  // (found by the fuzzer).
  CHECK(round_trips({{0, 0.001}, {1, 1.0319e16}, {2, 0.002}, {3, 9.2e18}, {4, -0.003}}));
  std::vector<Sample> stale = ping_series(2, 500);  // a series that ends with a stale marker
  stale.back().v = from_bits(0x7ff0000000000002ull);
  std::size_t with_marker = 0, without = 0;
  CHECK(round_trips(stale, &with_marker));
  stale.pop_back();
  CHECK(round_trips(stale, &without));
  CHECK(with_marker <= without + 16);  // one exception, not a fallback to raw
}

TEST_CASE("empty, single-sample and two-sample chunks") {
  CHECK(round_trips({}));
  auto info = chunk_info(encode_chunk({}));
  REQUIRE(info.ok());
  CHECK(info->count == 0);
  CHECK(round_trips({{0, 0.0}}));
  CHECK(round_trips({{-1, 1.5}}));
  CHECK(round_trips({{1'700'000'000'000, 42.0}, {1'700'000'000'001, -42.0}}));
  CHECK(round_trips({{-5, 1.0}, {5, 1.0}}));
  CHECK(round_trips({{0, 1.0}, {1, 2.0}, {2, 3.0}}));
}

TEST_CASE("negative timestamps and huge gaps, up to the whole int64 range") {
  constexpr TimeMs kMin = std::numeric_limits<TimeMs>::min();
  constexpr TimeMs kMax = std::numeric_limits<TimeMs>::max();
  CHECK(round_trips({{kMin, 1.0}, {kMax, 2.0}}));
  CHECK(round_trips({{kMin, 1.0}, {0, 2.0}, {kMax, 3.0}}));
  CHECK(round_trips({{kMin, 1.0}, {kMin + 1, 2.0}, {kMax - 1, 3.0}, {kMax, 4.0}}));
  CHECK(round_trips(regular(1000, -86'400'000, 1000, 7.5)));
  CHECK(round_trips(regular(1000, kMax - 999, 1, 7.5)));
  CHECK(round_trips(regular(1000, kMin, 1, 7.5)));
  Rng r(7);
  std::vector<Sample> s;
  TimeMs t = -4'000'000'000'000;
  for (int i = 0; i < 2000; ++i) {
    t += r.chance(0.05) ? r.int_in(1, 1'000'000'000'000) : r.int_in(1, 20);
    s.push_back({t, r.uniform(-1, 1)});
  }
  CHECK(round_trips(s));
}

TEST_CASE("random data round-trips: random bit patterns, decimals, integers, lengths") {
  Rng r(11);
  for (int round = 0; round < 200; ++round) {
    const std::size_t n = static_cast<std::size_t>(r.int_in(1, round % 10 == 0 ? 5000 : 300));
    const int kind = round % 5;
    std::vector<Sample> s;
    TimeMs t = r.int_in(-1'000'000'000, 1'000'000'000);
    for (std::size_t i = 0; i < n; ++i) {
      t += r.int_in(1, 100'000);
      double v = 0;
      switch (kind) {
        case 0:
          v = from_bits(r.next());
          break;
        case 1:
          v = round_to(r.uniform(-1000, 1000), static_cast<int>(r.int_in(0, 6)));
          break;
        case 2:
          v = static_cast<double>(static_cast<std::int64_t>(r.next()));
          break;
        case 3:
          v = r.chance(0.5) ? 1.0 : from_bits(r.next() | 0x7ff0000000000001ull);
          break;
        default:
          v = r.uniform(0, 1) * std::pow(10.0, static_cast<double>(r.int_in(-310, 308)));
      }
      s.push_back({t, v});
    }
    CAPTURE(round);
    CHECK(round_trips(s));
  }
}

TEST_CASE("the three synthetic classes round-trip and stay under their measured sizes") {
  std::size_t ping_bytes = 0, counter_bytes = 0, gauge_bytes = 0, n = 0;
  for (std::uint64_t seed = 1; seed <= 20; ++seed) {
    std::size_t b = 0;
    const auto p = ping_series(seed);
    CHECK(round_trips(p, &b));
    ping_bytes += b;
    const auto c = counter_series(seed);
    CHECK(round_trips(c, &b));
    counter_bytes += b;
    const auto g = gauge_series(seed, static_cast<int>(seed % 10));
    CHECK(round_trips(g, &b));
    gauge_bytes += b;
    n += p.size();
  }
  const double ping = static_cast<double>(ping_bytes) / n;
  const double counter = static_cast<double>(counter_bytes) / n;
  const double gauge = static_cast<double>(gauge_bytes) / n;
  MESSAGE("bytes/sample: ping " << ping << ", counter " << counter << ", gauge " << gauge);
  CHECK(ping < kPingLimit);
  CHECK(counter < kCounterLimit);
  CHECK(gauge < kGaugeLimit);
}

TEST_CASE("fast paths: constant and perfectly regular chunks take a few bytes") {
  const std::string blob = encode_chunk(regular(4096, 1'700'000'000'000, 15'000, 1.0));
  CHECK(blob.size() <= 24);
  CHECK(round_trips(regular(4096, 0, 1, -0.0)));
  std::vector<Sample> ramp;
  for (int i = 0; i < 4096; ++i) ramp.push_back({i * 10'000LL, i * 1000.0});
  std::size_t b = 0;
  CHECK(round_trips(ramp, &b));
  CHECK(b <= 48);  // second differences are all zero: one run token
}

TEST_CASE("every truncation and any trailing byte is rejected with CHUNK_CORRUPT") {
  std::vector<std::vector<Sample>> cases = {ping_series(3, 200), counter_series(4, 200),
                                            gauge_series(5, 9, 200), gauge_series(6, 0, 200),
                                            regular(50, 0, 1000, 2.5)};
  std::vector<Sample> raw;
  Rng r(9);
  for (int i = 0; i < 100; ++i) raw.push_back({i * 7LL, from_bits(r.next())});
  cases.push_back(raw);
  for (const auto& s : cases) {
    const std::string blob = encode_chunk(s);
    for (std::size_t len = 0; len < blob.size(); ++len) {
      auto d = decode_chunk(std::string_view(blob).substr(0, len));
      CAPTURE(len);
      REQUIRE_FALSE(d.ok());
      CHECK(d.error().code == "CHUNK_CORRUPT");
    }
    CHECK_FALSE(decode_chunk(blob + '\0').ok());
    CHECK_FALSE(decode_chunk(blob + 'x').ok());
  }
  CHECK_FALSE(chunk_info("").ok());
  CHECK_FALSE(chunk_info("\x01").ok());
  CHECK_FALSE(decode_chunk("\x02\x00\x00").ok());  // unknown version
}

TEST_CASE("a declared count above the cap is rejected before allocating") {
  std::string blob = "\x01\x00";
  std::uint64_t n = std::uint64_t{kMaxChunkSamples} + 1;
  while (n >= 0x80) {
    blob.push_back(static_cast<char>((n & 0x7f) | 0x80));
    n >>= 7;
  }
  blob.push_back(static_cast<char>(n));
  blob += std::string(16, '\0');
  CHECK_FALSE(decode_chunk(blob).ok());
  CHECK_FALSE(chunk_info(blob).ok());
}

TEST_CASE("random bit flips never crash and never yield an inconsistent chunk") {
  Rng r(13);
  const std::vector<std::vector<Sample>> cases = {ping_series(21, 500), counter_series(22, 500),
                                                  gauge_series(23, 0, 500),
                                                  gauge_series(24, 9, 500)};
  int rejected = 0, total = 0;
  for (const auto& s : cases) {
    const std::string blob = encode_chunk(s);
    for (int k = 0; k < 2000; ++k) {
      std::string bad = blob;
      const int flips = static_cast<int>(r.int_in(1, 3));
      for (int f = 0; f < flips; ++f) {
        const auto bit =
            static_cast<std::size_t>(r.int_in(0, static_cast<std::int64_t>(bad.size()) * 8 - 1));
        bad[bit / 8] = static_cast<char>(bad[bit / 8] ^ (1 << (bit % 8)));
      }
      ++total;
      auto d = decode_chunk(bad);
      if (!d.ok()) {
        ++rejected;
        CHECK(d.error().code == "CHUNK_CORRUPT");
        continue;
      }
      auto info = chunk_info(bad);
      REQUIRE(info.ok());
      REQUIRE(info->count == d->size());
      for (std::size_t i = 1; i < d->size(); ++i) REQUIRE((*d)[i].t > (*d)[i - 1].t);
      if (!d->empty()) {
        CHECK(d->front().t == info->min_t);
        CHECK(d->back().t == info->max_t);
      }
      CHECK(round_trips(*d));
    }
  }
  MESSAGE("bit flips rejected: " << rejected << " of " << total);
}

TEST_CASE(
    "fast effort (the heads' blocks) decodes the same samples, within 1 % of thorough's size") {
  std::size_t fast_bytes = 0, thorough_bytes = 0;
  for (std::uint64_t seed = 1; seed <= 20; ++seed) {
    for (const auto& series : {ping_series(seed), counter_series(seed),
                               gauge_series(seed, static_cast<int>(seed % 10))}) {
      for (std::size_t at = 0; at + 64 <= series.size(); at += 64 * 7) {
        std::span<const Sample> block(series.data() + at, 64);
        const std::string fast = encode_chunk(block, Effort::fast);
        auto back = decode_chunk(fast);
        REQUIRE(back.ok());
        REQUIRE(back->size() == block.size());
        for (std::size_t i = 0; i < block.size(); ++i) {
          CHECK((*back)[i].t == block[i].t);
          CHECK(std::bit_cast<std::uint64_t>((*back)[i].v) ==
                std::bit_cast<std::uint64_t>(block[i].v));
        }
        fast_bytes += fast.size();
        thorough_bytes += encode_chunk(block).size();
      }
    }
  }
  MESSAGE("64-sample blocks: fast " << fast_bytes << " B, thorough " << thorough_bytes << " B");
  CHECK(fast_bytes <= thorough_bytes * 101 / 100);
}
