#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <optional>

#include "../faulty_fs.h"
#include "tsdb/head.h"

using namespace tt;
using namespace tt::tsdb;

namespace {

bool same(const std::vector<Sample>& a, const std::vector<Sample>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (a[i].t != b[i].t || std::memcmp(&a[i].v, &b[i].v, sizeof(double)) != 0) return false;
  return true;
}

// A head whose full blocks go to a block file (on an in-memory file system) after each merge,
// as maintenance moves them, or without one stay in memory: the cases run both ways, as
// SUBCASEs of `on_disk`.
struct TestHead {
  explicit TestHead(bool on_disk) {
    if (!on_disk) return;
    disk.emplace("/tsdb/heads", fs);
    REQUIRE(disk->reset().ok());
  }
  void merge(std::span<const Sample> s, HeadSamples::Blocks b = HeadSamples::Blocks::encode) {
    h.merge(s, b);
    if (disk) h.spill(*disk);
  }
  std::vector<Sample> copy(TimeMs from = INT64_MIN, TimeMs to = INT64_MAX) const {
    auto r = h.copy(disk ? &*disk : nullptr, from, to);
    REQUIRE(r.ok());
    return std::move(r.value());
  }
  HeadSamples* operator->() { return &h; }

  test::FaultyFs fs;
  std::optional<BlockFile> disk;
  HeadSamples h;
};

#define BOTH_WAYS()              \
  bool on_disk = false;          \
  SUBCASE("blocks in memory") {} \
  SUBCASE("blocks in the block file") { on_disk = true; }

}  // namespace

TEST_CASE("head: samples past a block are held encoded and read back bit-exact") {
  BOTH_WAYS();
  TestHead h(on_disk);
  std::vector<Sample> in;
  const double odd[] = {0.0, -0.0, std::numeric_limits<double>::quiet_NaN(), 1e-310, 0.1 + 0.2};
  for (std::size_t i = 0; i < 3 * HeadSamples::kBlockSamples + 5; ++i)
    in.push_back(
        {1'000'000 + static_cast<TimeMs>(i) * 1000, i % 7 == 0 ? odd[i % 5] : 0.000123 * i});
  // In pieces, as appends arrive.
  for (std::size_t at = 0; at < in.size(); at += 50)
    h.merge(std::span<const Sample>(in).subspan(at, std::min<std::size_t>(50, in.size() - at)));
  CHECK(h->size() == in.size());
  CHECK(h->first_t() == in.front().t);
  CHECK(h->last_t() == in.back().t);
  CHECK(same(h.copy(), in));
  // A range that starts and ends inside blocks.
  const std::size_t lo = HeadSamples::kBlockSamples / 2, hi = 2 * HeadSamples::kBlockSamples + 3;
  auto part = h.copy(in[lo].t, in[hi].t);
  CHECK(same(part, std::vector<Sample>(in.begin() + lo, in.begin() + hi + 1)));
  CHECK(h.copy(in[5].t, in[5].t).size() == 1);  // the oldest block, found along the chain
  h->clear();
  CHECK(h->empty());
  CHECK(h.copy().empty());
}

TEST_CASE(
    "head: older samples merge into encoded blocks, and a repeated timestamp keeps the last "
    "value") {
  BOTH_WAYS();
  TestHead h(on_disk);
  std::vector<Sample> even;
  for (int i = 0; i < 400; i += 2) even.push_back({i * 1000, 1.0});
  h.merge(even);
  std::vector<Sample> late{{3000, 2.0}, {4000, 5.0}, {500'000, 3.0}};
  h.merge(late);
  auto out = h.copy();
  REQUIRE(out.size() == even.size() + 2);
  CHECK(out[2].t == 3000);
  CHECK(out[2].v == 2.0);
  CHECK(out[3].t == 4000);
  CHECK(out[3].v == 5.0);  // replaced the 1.0 held at 4000
  CHECK(out.back().t == 500'000);
  CHECK(std::is_sorted(out.begin(), out.end(),
                       [](const Sample& a, const Sample& b) { return a.t < b.t; }));
}

TEST_CASE("head: a chunk's worth of a ping series takes a fraction of its plain size") {
  BOTH_WAYS();
  TestHead h(on_disk);
  std::uint64_t x = 42;
  for (int i = 0; i < 8192; ++i) {
    x = x * 6364136223846793005ull + 1442695040888963407ull;
    Sample s{1'800'000'000'000 + i * 1000,
             static_cast<double>(200 + (x >> 58)) / 1e6};  // RTTs in µs
    h.merge(std::span<const Sample>(&s, 1));
  }
  CHECK(h->size() == 8192);
  MESSAGE("bytes per sample in memory: " << static_cast<double>(h->memory_bytes()) / 8192);
  CHECK(h->memory_bytes() < 8192 * sizeof(Sample) / 4);
  // With the block file, memory is the head itself: every block is on disk.
  if (on_disk) {
    CHECK(h->memory_bytes() == sizeof(HeadSamples));
    CHECK(sizeof(HeadSamples) <= 88);  // every series has one (docs/architecture.md, Memory)
    MESSAGE("bytes per sample on disk: " << static_cast<double>(h.disk->bytes()) / 8192);
    CHECK(h.disk->bytes() < 8192 * sizeof(Sample) / 4);
  }
}

TEST_CASE(
    "head: samples kept plain (deferred) read back, and later samples encode them into blocks") {
  auto same = [](const std::vector<Sample>& a, const std::vector<Sample>& b) {
    return a.size() == b.size() &&
           std::equal(a.begin(), a.end(), b.begin(),
                      [](const Sample& x, const Sample& y) { return x.t == y.t && x.v == y.v; });
  };
  BOTH_WAYS();
  TestHead h(on_disk);
  std::vector<Sample> in;
  for (int i = 0; i < 1000; ++i) in.push_back({1'000'000 + i * 1000LL, i * 0.125});
  h.merge(std::span<const Sample>(in).first(100));
  CHECK_FALSE(h->has_deferred());
  h->clear();
  // Even a short deferred run makes the head due (the cut asks has_deferred, not a size).
  h.merge(std::span<const Sample>(in).first(3), HeadSamples::Blocks::defer);
  CHECK(h->has_deferred());
  h->clear();
  CHECK_FALSE(h->has_deferred());
  h.merge(std::span<const Sample>(in).first(700), HeadSamples::Blocks::defer);
  CHECK(h->plain_samples() == 700);
  h.merge(std::span<const Sample>(in).subspan(700, 200), HeadSamples::Blocks::defer);
  CHECK(h->size() == 900);
  CHECK(same(h.copy(), std::vector<Sample>(in.begin(), in.begin() + 900)));
  // Live samples after them stay plain too (blocks may not follow plain runs): the head is
  // due for a cut anyway.
  h.merge(std::span<const Sample>(in).subspan(900, 1));
  h.merge(std::span<const Sample>(in).subspan(901));
  CHECK(h->plain_samples() == 1000);
  CHECK(same(h.copy(), in));
  CHECK(h->first_t() == in.front().t);
  CHECK(h->last_t() == in.back().t);
  CHECK(h.copy(in[650].t, in[720].t).size() == 71);  // across two runs
  // Blocks before runs: a live head, then a deferred run.
  TestHead g(on_disk);
  g.merge(std::span<const Sample>(in).first(200));
  g.merge(std::span<const Sample>(in).subspan(200, 300), HeadSamples::Blocks::defer);
  g.merge(std::span<const Sample>(in).subspan(500));
  CHECK(g->plain_samples() == 1000 - 192);
  CHECK(same(g.copy(), in));
  // Out of order into a deferred head: rebuilt plain.
  std::vector<Sample> late{{1'000'000 + 500, 9.0}};
  h.merge(late, HeadSamples::Blocks::defer);
  CHECK(h->size() == 1001);
  CHECK(h->plain_samples() == 1001);
  CHECK(h.copy()[1].v == 9.0);
}

TEST_CASE("head: a backlog replayed behind live samples goes in between, each run as blocks") {
  std::vector<Sample> all;
  for (int i = 0; i < 2000; ++i) all.push_back({1'000'000 + i * 1000LL, i * 0.5});
  BOTH_WAYS();
  TestHead h(on_disk);
  // Live samples first: the newest 36, less than a block (a hub sends its newest collection
  // first).
  h.merge(std::span<const Sample>(all).subspan(1964));
  // Then the backlog, oldest first, a few samples an append (as a hub's rounds bring them).
  for (std::size_t at = 0; at < 1964; at += 3)
    h.merge(std::span<const Sample>(all).subspan(at, std::min<std::size_t>(3, 1964 - at)));
  CHECK(h->size() == all.size());
  CHECK(same(h.copy(), all));
  CHECK(h->plain_samples() < HeadSamples::kBlockSamples);  // held encoded, not rebuilt plain
  // In full blocks: a few bytes a sample, not a block's overhead for every few samples.
  CHECK(h->memory_bytes() < 6 * all.size());
  CHECK(h->backlog_front() == all[1964].t);
  CHECK(same(h.copy(all[1890].t, all[1910].t),
             std::vector<Sample>(all.begin() + 1890, all.begin() + 1911)));
  // Samples that overlap a block still merge (the rebuild), and live ones append after.
  std::vector<Sample> overlap{{all[10].t, 99.0}, {all[10].t + 1, 98.0}};
  h.merge(overlap);
  CHECK(h->size() == all.size() + 1);
  CHECK(h.copy(all[10].t, all[10].t).front().v == 99.0);
  std::vector<Sample> next{{all.back().t + 1000, 1.0}};
  h.merge(next);
  CHECK(h->last_t() == next.front().t);
}

TEST_CASE(
    "head: a backlog older than the blocks on disk is kept aside and read merged, and its cut "
    "leaves the live samples") {
  std::vector<Sample> all;
  for (int i = 0; i < 2000; ++i) all.push_back({1'000'000 + i * 1000LL, i * 0.5});
  TestHead h(true);
  // Live samples first, more than a block of them: that block is on disk.
  h.merge(std::span<const Sample>(all).subspan(1900));
  CHECK(h->memory_bytes() < sizeof(HeadSamples) + 36 * 16);
  for (std::size_t at = 0; at < 1900; at += 3)
    h.merge(std::span<const Sample>(all).subspan(at, std::min<std::size_t>(3, 1900 - at)));
  CHECK(h->size() == all.size());
  CHECK(same(h.copy(), all));
  CHECK(h->first_t() == all.front().t);
  CHECK(h->backlog_front() == all[1900].t);  // the cut keeps the live samples from there
  CHECK(same(h.copy(all[1890].t, all[1910].t),
             std::vector<Sample>(all.begin() + 1890, all.begin() + 1911)));
  // A repeated batch of samples on disk: the later values win when read.
  std::vector<Sample> again{{all[1901].t, -1.0}, {all[1902].t, -2.0}};
  h.merge(again);
  auto out = h.copy(all[1900].t, all[1903].t);
  REQUIRE(out.size() == 4);
  CHECK(out[1].v == -1.0);
  CHECK(out[2].v == -2.0);
  CHECK(out[3].v == all[1903].v);
}

TEST_CASE("head: the newest samples spill to the block file, and a failing one keeps them") {
  std::vector<Sample> all;
  std::uint64_t x = 7;
  for (int i = 0; i < 40'000; ++i) {
    x = x * 6364136223846793005ull + 1442695040888963407ull;
    all.push_back({1'000'000 + i * 1000LL, static_cast<double>(x >> 11)});  // incompressible
  }
  TestHead h(true);
  h.merge(std::span<const Sample>(all).first(100));
  const auto before = h->memory_bytes();
  CHECK_FALSE(h->spill(*h.disk));  // the full block went already
  REQUIRE(h->spill(*h.disk, true));
  CHECK(h->memory_bytes() < before);
  CHECK_FALSE(h->spill(*h.disk, true));  // nothing left to spill
  h.merge(std::span<const Sample>(all).subspan(100, 100));
  CHECK(same(h.copy(), std::vector<Sample>(all.begin(), all.begin() + 200)));
  CHECK(h->memory_bytes() <= before);  // the same 36 newest samples again
  // The disk is full when the write buffer is flushed: what it held is still read from it, and
  // the blocks after stay in memory.
  h.fs.set_free_bytes(0);
  for (std::size_t at = 200; at < all.size(); at += 1000)
    h.merge(std::span<const Sample>(all).subspan(at, std::min<std::size_t>(1000, all.size() - at)));
  CHECK(h->memory_bytes() > 100'000);
  CHECK(h.disk->bytes() > BlockFile::kFlushBytes);
  CHECK(same(h.copy(), all));
  CHECK(h->last_t() == all.back().t);
}

TEST_CASE("head: the tail codes each sample as it comes and reads back bit-exact") {
  SampleTail tail;
  std::vector<Sample> in;
  const double odd[] = {0.0,
                        -0.0,
                        std::numeric_limits<double>::quiet_NaN(),
                        1e-310,
                        -std::numeric_limits<double>::infinity(),
                        1e300};
  // Irregular times (negative, repeated and changing deltas), repeats, odd values, integers.
  TimeMs t = -5000;
  for (int i = 0; i < 200; ++i) {
    t += i % 9 == 0 ? 1 : i % 5 == 0 ? 7000 : 1000;
    const double v = i % 11 == 0 ? odd[i % 6] : i % 3 == 0 ? 42.0 : i < 50 ? 0.000123 * i : i;
    in.push_back({t, v});
    tail.push(in.back());
    CHECK(tail.front().t == in.front().t);
    CHECK(tail.back().t == t);
  }
  CHECK(tail.size() == in.size());
  CHECK(same(tail.samples(), in));
  tail.clear();
  CHECK(tail.empty());
  tail.push({INT64_MIN, 1.5});
  tail.push({INT64_MAX, 2.5});
  CHECK(same(tail.samples(), {{INT64_MIN, 1.5}, {INT64_MAX, 2.5}}));

  // A regular constant series costs a byte a sample; a regular RTT series under 8.
  SampleTail up, rtt;
  for (int i = 0; i < 64; ++i) {
    up.push({1'700'000'000'000 + i * 1000, 1.0});
    rtt.push({1'700'000'000'000 + i * 1000, 0.000187 + 0.000011 * ((i * 7919) % 13)});
  }
  CHECK(up.memory_bytes() <= 2 * 64);
  CHECK(rtt.memory_bytes() <= 8 * 64 * 2);  // the string's capacity doubles
}
