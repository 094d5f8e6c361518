#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>

#include "fixture.h"
#include "tsdb/codec.h"

using namespace tt;
using namespace tt::tsdb;
using namespace tt::tsdb::test;

namespace {

bool same_bits(double a, double b) { return std::memcmp(&a, &b, 8) == 0; }

}  // namespace

TEST_CASE("store: appended samples read back, from the head and after a flush") {
  Fixture f;
  auto ls = Fixture::labels({{"__name__", "rtt"}, {"host", "a"}});
  std::vector<Sample> in;
  for (int i = 0; i < 100; ++i) in.push_back({1'800'000'000'000 + i * 1000, i * 0.5});
  auto r = f.store->append({{ls, in}});
  REQUIRE(r.ok());
  CHECK(r->samples == 100);
  CHECK(r->series_created == 1);
  CHECK(f.read("rtt").size() == 100);
  REQUIRE(f.store->flush_all().ok());
  auto out = f.read("rtt");
  REQUIRE(out.size() == 100);
  CHECK(out[42].v == 21.0);
  CHECK(f.read("rtt", in[10].t, in[19].t).size() == 10);
}

TEST_CASE("store: acknowledged samples survive a crash through the append log") {
  Fixture f;
  auto ls = Fixture::labels({{"__name__", "up"}});
  double weird[] = {0.0, -0.0, std::numeric_limits<double>::infinity(), 1e300, 12.345};
  std::vector<Sample> in;
  for (int i = 0; i < 5; ++i) in.push_back({1'800'000'000'000 + i, weird[i]});
  REQUIRE(f.store->append({{ls, in}}).ok());
  f.reopen(false);
  auto out = f.read("up");
  REQUIRE(out.size() == 5);
  for (int i = 0; i < 5; ++i) CHECK(same_bits(out[i].v, weird[i]));
}

TEST_CASE("store: appends of packed labels cache the id in them and group samples by series") {
  Fixture f;
  PackedLabels a(Fixture::labels({{"__name__", "probe_up"}, {"check", "a"}}));
  PackedLabels b(Fixture::labels({{"__name__", "probe_up"}, {"check", "b"}}));
  const TimeMs t0 = 1'800'000'000'000;
  // Out of order, interleaved, and a duplicate timestamp whose last value wins.
  std::vector<RefSample> batch{
      {a, {t0 + 2000, 1}}, {b, {t0, 0}}, {a, {t0, 1}}, {a, {t0 + 1000, 0}}, {a, {t0 + 1000, 1}}};
  auto r = f.store->append(std::span<const RefSample>(batch));
  REQUIRE(r.ok());
  CHECK(r->series_created == 2);
  CHECK(r->samples == 4);
  CHECK(a.cached_id() != 0);
  CHECK(b.cached_id() != a.cached_id());
  CHECK(PackedLabels(a).cached_id() == a.cached_id());  // copies share it
  // Labels built anew name the same series.
  REQUIRE(f.store->append({{a.unpack(), {{t0 + 3000, 0}}}}).ok());
  std::vector<RefSample> more{{a, {t0 + 4000, 1}}};
  r = f.store->append(std::span<const RefSample>(more));
  REQUIRE(r.ok());
  CHECK(r->series_created == 0);
  CHECK(f.store->index().size() == 2);
  f.reopen(false);  // a crash: the log brings the heads back
  auto out = f.store->select(
      {name_is("probe_up"), query::make_matcher("check", query::MatchOp::equal, "a").value()},
      INT64_MIN, INT64_MAX);
  REQUIRE(out.ok());
  REQUIRE(out->size() == 1);
  const auto& s = out->front().samples;
  REQUIRE(s.size() == 5);
  CHECK(s[0].t == t0);
  CHECK(s[1].v == 1);  // the later of the two values at t0 + 1000
  CHECK(s[4].t == t0 + 4000);
}

TEST_CASE("store: duplicates keep the last value; out-of-order and backfill are accepted") {
  Fixture f;
  auto ls = Fixture::labels({{"__name__", "g"}});
  REQUIRE(f.store->append({{ls, {{3000, 3}, {1000, 1}, {2000, 2}, {2000, 22}}}}).ok());
  REQUIRE(f.store->flush_all().ok());
  // Older than what is stored: written as a backfill chunk, and it wins for equal timestamps.
  REQUIRE(f.store->append({{ls, {{500, 0.5}, {1000, 10}}}}).ok());
  REQUIRE(f.store->append({{ls, {{4000, 4}}}}).ok());
  auto out = f.read("g");
  REQUIRE(out.size() == 5);
  CHECK(out[0].v == 0.5);
  CHECK(out[1].v == 10);
  CHECK(out[2].v == 22);
  CHECK(out[4].v == 4);
  f.reopen(false);
  CHECK(f.read("g").size() == 5);
}

TEST_CASE("store: rollups per hour, and per minute only for fast series") {
  Fixture f;
  auto fast = Fixture::labels({{"__name__", "fast"}});
  auto slow = Fixture::labels({{"__name__", "slow"}});
  std::vector<Sample> a, b;
  TimeMs t0 = 1'800'000'000'000 - (1'800'000'000'000 % kTier1h);
  for (int i = 0; i < 7200; ++i) a.push_back({t0 + i * 1000, static_cast<double>(i % 10)});
  for (int i = 0; i < 240; ++i) b.push_back({t0 + i * 30'000, 1.0});
  REQUIRE(f.store->append({{fast, a}, {slow, b}}).ok());
  REQUIRE(f.store->flush_all().ok());
  auto m = name_is;
  auto hours = f.store->select_buckets({m("fast")}, t0, t0 + 2 * kTier1h, kTier1h).value();
  REQUIRE(hours.size() == 1);
  REQUIRE(hours[0].buckets.size() == 2);
  CHECK(hours[0].buckets[0].count == 3600);
  CHECK(hours[0].buckets[0].min == 0);
  CHECK(hours[0].buckets[0].max == 9);
  CHECK(hours[0].buckets[0].sum == 360 * 45);
  CHECK(hours[0].stored_tier);
  CHECK(f.store->select_buckets({m("fast")}, t0, t0 + kTier1h, kTier1m).value()[0].stored_tier);
  CHECK_FALSE(
      f.store->select_buckets({m("slow")}, t0, t0 + kTier1h, kTier1m).value()[0].stored_tier);
}

TEST_CASE("store: retention deletes what is older than each tier keeps") {
  Fixture f;
  f.options.raw_retention_ms = 86'400'000;
  f.reopen(true);
  auto ls = Fixture::labels({{"__name__", "old"}});
  TimeMs now = f.clock.now_ms();
  REQUIRE(f.store->append({{ls, {{now - 3 * 86'400'000LL, 1}, {now - 1000, 2}}}}).ok());
  REQUIRE(f.store->flush_all().ok());
  // Both samples went into one chunk, which is still within retention by its newest sample.
  CHECK(f.read("old").size() == 2);
  f.clock.advance_ms(2 * 86'400'000LL);
  REQUIRE(f.store->apply_retention().ok());
  CHECK(f.read("old").empty());
}

TEST_CASE("store: the append log keeps only what heads still need") {
  Fixture f;
  f.options.max_head_age_ms = 60'000;
  f.options.log_segment_bytes = 1;  // a new segment at every pass
  f.reopen(true);
  auto logs = [&] {
    std::size_t n = 0;
    for (const auto& e : std::filesystem::directory_iterator(f.options.log_dir))
      n += e.path().extension() == ".log";
    return n;
  };
  auto busy = Fixture::labels({{"__name__", "busy"}});
  auto quiet = Fixture::labels({{"__name__", "quiet"}});
  REQUIRE(f.store->append({{quiet, {{1000, 1}}}}).ok());
  for (int i = 0; i < 3; ++i) {
    REQUIRE(f.store->append({{busy, {{2000 + i * 1000LL, 2}}}}).ok());
    REQUIRE(f.store->maintain().ok());
  }
  // Both heads still hold samples logged in the first segment: nothing may go yet.
  CHECK(logs() >= 3);
  // A series that went quiet is cut once its oldest sample has waited max_head_age_ms, and then
  // the segments behind it are deleted.
  f.clock.advance_ms(61'000);
  REQUIRE(f.store->maintain().ok());
  CHECK(logs() == 1);
  f.reopen(false);
  CHECK(f.read("quiet").size() == 1);
  CHECK(f.read("busy").size() == 3);
}

TEST_CASE("store: chunks and rollups of one cut share packs, which retention drops whole") {
  Fixture f;
  f.options.raw_retention_ms = 86'400'000;
  f.reopen(true);
  TimeMs t0 = f.clock.now_ms() - 3 * kTier1h;
  std::vector<SeriesSamples> batch;
  for (int s = 0; s < 50; ++s) {
    std::vector<Sample> in;
    for (int i = 0; i < 600; ++i) in.push_back({t0 + i * 1000, s + (i % 7) * 0.25});
    batch.push_back({Fixture::labels({{"__name__", "p"}, {"s", std::to_string(s)}}), in});
  }
  REQUIRE(f.store->append(batch).ok());
  REQUIRE(f.store->flush_all().ok());
  auto packs_of = [&](const char* where) {
    db::Readers r(f.db_path);
    return r
        .with([&](SQLite::Database& db) -> Result<std::int64_t> {
          return db.execAndGet(std::string("SELECT count(*) FROM packs WHERE ") + where).getInt64();
        })
        .value();
  };
  CHECK(packs_of("tier = 0") == 1);      // 50 chunks
  CHECK(packs_of("tier = 60000") == 1);  // 50 minute rollups
  auto all = f.store->select({name_is("p")}, INT64_MIN, INT64_MAX).value();
  REQUIRE(all.size() == 50);
  for (int s = 0; s < 50; ++s) {
    REQUIRE(all[s].samples.size() == 600);
    CHECK(all[s].samples[5].v == std::stoi(all[s].labels.back().value) + 1.25);
  }
  auto hours = f.store->select_buckets({name_is("p")}, t0, t0 + kTier1h, kTier1h).value();
  REQUIRE(hours.size() == 50);
  CHECK(hours[0].stored_tier);
  f.clock.advance_ms(2 * 86'400'000LL);
  REQUIRE(f.store->apply_retention().ok());
  CHECK(packs_of("tier = 0") == 0);
  CHECK(packs_of("tier = 3600000") == 1);
  CHECK(f.read("p").empty());
}

TEST_CASE("store: series that repeat each other store their chunks and rollups once") {
  Fixture f;
  TimeMs t0 = f.clock.now_ms() - 3 * kTier1h;
  // A ping of one packet: its round-trip time's minimum, average and maximum are equal.
  std::vector<Sample> rtt, other;
  for (int i = 0; i < 600; ++i) {
    rtt.push_back({t0 + i * 1000, 0.0001 * ((i * 7919) % 97)});
    other.push_back({t0 + i * 1000, 0.0001 * ((i * 104729) % 89)});
  }
  std::vector<SeriesSamples> batch;
  for (const char* stat : {"min", "avg", "max"})
    batch.push_back({Fixture::labels({{"__name__", "rtt"}, {"stat", stat}}), rtt});
  batch.push_back({Fixture::labels({{"__name__", "rtt"}, {"stat", "other"}}), other});
  REQUIRE(f.store->append(batch).ok());
  REQUIRE(f.store->flush_all().ok());
  auto one = [&](const std::string& sql) {
    db::Readers r(f.db_path);
    return r
        .with([&](SQLite::Database& db) -> Result<std::int64_t> {
          return db.execAndGet(sql).getInt64();
        })
        .value();
  };
  CHECK(one("SELECT count(*) FROM chunks") == 4);
  CHECK(one("SELECT count(DISTINCT pack_offset) FROM chunks") == 2);
  CHECK(one("SELECT count(DISTINCT pack_offset) FROM rollups WHERE tier = 60000") == 2);
  CHECK(one("SELECT sum(length(data)) FROM packs WHERE tier = 0") ==
        one("SELECT sum(pack_bytes) FROM chunks WHERE series_id IN (SELECT min(series_id) FROM "
            "chunks GROUP BY pack_offset)"));
  auto all = f.store->select({name_is("rtt")}, INT64_MIN, INT64_MAX).value();
  REQUIRE(all.size() == 4);
  for (const auto& s : all) {
    const auto& want = s.labels.back().value == "other" ? other : rtt;
    REQUIRE(s.samples.size() == want.size());
    for (std::size_t i = 0; i < want.size(); ++i) CHECK(same_bits(s.samples[i].v, want[i].v));
  }
}

TEST_CASE("store: a database of the previous release upgrades, its chunks and rollups readable") {
  Fixture f(Fixture::Schema::previous_release);
  TimeMs t0 = 1'800'000'000'000 - (1'800'000'000'000 % kTier1h);
  std::vector<Sample> old;
  for (int i = 0; i < 100; ++i) old.push_back({t0 + i * 1000, i * 0.1});
  {
    auto rw = db::open(f.db_path, db::Access::read_write).value();
    rw->exec("INSERT INTO series(id, labels, created_at) VALUES (7, '__name__=\"old\"', 0)");
    auto chunk = encode_chunk(old);
    SQLite::Statement c(
        *rw, "INSERT INTO chunks(series_id, min_t, max_t, seq, data) VALUES (7, ?, ?, 1, ?)");
    c.bind(1, static_cast<std::int64_t>(old.front().t));
    c.bind(2, static_cast<std::int64_t>(old.back().t));
    c.bind(3, chunk.data(), static_cast<int>(chunk.size()));
    c.exec();
    auto rollup = encode_buckets(make_buckets(old, kTier1h));
    SQLite::Statement r(
        *rw,
        "INSERT INTO rollups(tier, series_id, min_t, max_t, seq, data) VALUES (?, 7, ?, ?, 2, ?)");
    r.bind(1, kTier1h);
    r.bind(2, static_cast<std::int64_t>(t0));
    r.bind(3, static_cast<std::int64_t>(t0 + kTier1h - 1));
    r.bind(4, rollup.data(), static_cast<int>(rollup.size()));
    r.exec();
  }
  f.migrate("0004_tsdb_packs");
  f.migrate("0023_chunks_pack");
  f.reopen(true);
  auto out = f.read("old");
  REQUIRE(out.size() == 100);
  for (int i = 0; i < 100; ++i) CHECK(same_bits(out[i].v, old[i].v));
  auto hours = f.store->select_buckets({name_is("old")}, t0, t0, kTier1h).value();
  REQUIRE(hours.size() == 1);
  CHECK(hours[0].stored_tier);
  CHECK(hours[0].buckets.at(0).count == 100);
  // New samples after the old chunk go to packs beside it.
  REQUIRE(f.store->append({{Fixture::labels({{"__name__", "old"}}), {{t0 + 200'000, 5}}}}).ok());
  REQUIRE(f.store->flush_all().ok());
  CHECK(f.read("old").size() == 101);
}

namespace {

// Chunk index rows of a series named `name`, and the oldest timestamp they cover.
struct ChunkRows {
  std::int64_t count = 0;
  std::int64_t min_t = 0;
};
ChunkRows chunk_rows(Fixture& f, const char* name) {
  db::Readers r(f.db_path);
  return r
      .with([&](SQLite::Database& db) -> Result<ChunkRows> {
        SQLite::Statement q(db,
                            "SELECT count(*), coalesce(min(min_t), 0) FROM chunks JOIN series s ON "
                            "s.id = series_id "
                            "WHERE s.labels = ?");
        q.bind(1, canonical_labels(Fixture::labels({{"__name__", name}})));
        q.executeStep();
        return ChunkRows{q.getColumn(0).getInt64(), q.getColumn(1).getInt64()};
      })
      .value();
}

// A ping-like series: 1 s apart with jitter, 3-decimal values, and the odd special value.
std::vector<Sample> past_samples(TimeMs t0, int n, int seed) {
  std::vector<Sample> out;
  for (int i = 0; i < n; ++i) {
    double v =
        std::round((20 + 5 * std::sin(i * 0.01 + seed) + (i * 7919 % 13) * 0.1) * 1000) / 1000;
    if (i % 997 == 5) v = std::numeric_limits<double>::quiet_NaN();
    if (i % 1499 == 7) v = -0.0;
    out.push_back({t0 + i * 1000LL + (i * 31 % 5), v});
  }
  return out;
}

void check_same(const std::vector<Sample>& got, const std::vector<Sample>& want) {
  REQUIRE(got.size() == want.size());
  for (std::size_t i = 0; i < want.size(); ++i) {
    CHECK(got[i].t == want[i].t);
    CHECK(same_bits(got[i].v, want[i].v));
  }
}

}  // namespace

TEST_CASE("store: a run of past samples waits plain in the head for the next pass, which cuts it") {
  Fixture f;
  const TimeMs t0 = f.clock.now_ms() - 2 * 86'400'000LL;
  auto in = past_samples(t0, 20'000, 1);
  auto r = f.store->append({{Fixture::labels({{"__name__", "past"}}), in}});
  REQUIRE(r.ok());
  CHECK(r->samples == 20'000);
  CHECK(chunk_rows(f, "past").count == 0);
  check_same(f.read("past"), in);
  // Logged like any head sample: a crash before the cut loses nothing.
  f.reopen(false);
  check_same(f.read("past"), in);
  REQUIRE(f.store
              ->append({{Fixture::labels({{"__name__", "past"}}),
                         past_samples(t0 + 20'000'000, 5000, 8)}})
              .ok());
  in = f.read("past");
  REQUIRE(in.size() == 25'000);
  // A short run of the past and recent samples are live ones: not due at the next pass.
  REQUIRE(
      f.store->append({{Fixture::labels({{"__name__", "few"}}), past_samples(t0, 100, 2)}}).ok());
  REQUIRE(f.store
              ->append({{Fixture::labels({{"__name__", "recent"}}),
                         past_samples(f.clock.now_ms() - 3'600'000, 2000, 3)}})
              .ok());
  REQUIRE(f.store->maintain().ok());
  CHECK(chunk_rows(f, "past").count == 4);  // 25,000 samples, max_chunk_samples apiece
  CHECK(chunk_rows(f, "few").count == 0);
  CHECK(chunk_rows(f, "recent").count == 0);
  check_same(f.read("past"), in);
  f.reopen(false);
  check_same(f.read("past"), in);
  auto hours = f.store->select_buckets({name_is("past")}, t0, t0 + 86'400'000, kTier1h).value();
  REQUIRE(hours.size() == 1);
  CHECK(hours[0].stored_tier);
}

TEST_CASE(
    "store: a run of past samples joins the head's live samples, in time order, and they are cut "
    "together") {
  Fixture f;
  const TimeMs now = f.clock.now_ms();
  auto ls = Fixture::labels({{"__name__", "mix"}});
  auto early = past_samples(now - 86'400'000, 50, 4);
  std::vector<Sample> recent{{now - 60'000, 1.5}};
  REQUIRE(f.store->append({{ls, early}, {ls, recent}}).ok());
  // Older than the head's newest: the head is rebuilt, plain.
  auto bulk = past_samples(early.back().t + 1000, 3000, 5);
  REQUIRE(f.store->append({{ls, bulk}}).ok());
  std::vector<Sample> want = early;
  want.insert(want.end(), bulk.begin(), bulk.end());
  want.push_back(recent[0]);
  check_same(f.read("mix"), want);
  REQUIRE(f.store->maintain().ok());
  auto rows = chunk_rows(f, "mix");
  CHECK(rows.count == 1);
  CHECK(rows.min_t == early.front().t);
  check_same(f.read("mix"), want);
  // Cut samples are not replayed a second time after a crash.
  REQUIRE(f.store->append({{ls, {{now, 2.5}}}}).ok());
  want.push_back({now, 2.5});
  f.reopen(false);
  check_same(f.read("mix"), want);
}

TEST_CASE(
    "store: runs of past samples: out of order, repeated timestamps, a series twice in a batch, "
    "backfill") {
  Fixture f;
  const TimeMs t0 = f.clock.now_ms() - 3 * 86'400'000LL;
  auto ls = Fixture::labels({{"__name__", "ooo"}});
  auto in = past_samples(t0, 4000, 6);
  auto shuffled = in;
  for (std::size_t i = 0; i + 7 < shuffled.size(); i += 7) std::swap(shuffled[i], shuffled[i + 5]);
  // The batch names the series twice (as a parser does for interleaved lines); a timestamp of the
  // first entry repeated in the second takes the second's value, as does one repeated in an entry.
  std::vector<Sample> first(shuffled.begin(), shuffled.begin() + 2500),
      second(shuffled.begin() + 2500, shuffled.end());
  first.push_back({in[10].t, 111.0});
  first.push_back({in[10].t, 222.0});
  second.push_back({in[20].t, 333.0});
  REQUIRE(
      f.store
          ->append(
              {{ls, first}, {Fixture::labels({{"__name__", "other"}}), {{t0, 1}}}, {ls, second}})
          .ok());
  auto want = in;
  want[10].v = 222.0;
  want[20].v = 333.0;
  check_same(f.read("ooo"), want);
  REQUIRE(f.store->maintain().ok());
  CHECK(chunk_rows(f, "ooo").count == 1);
  check_same(f.read("ooo"), want);
  // Samples older than what is now in chunks are backfill and win their timestamps; newer past
  // samples wait for the next pass.
  auto later = past_samples(in.back().t + 1000, 1500, 7);
  std::vector<Sample> back{{in[30].t, -1.0}, {t0 - 1000, -2.0}};
  auto batch = later;
  batch.insert(batch.end(), back.begin(), back.end());
  REQUIRE(f.store->append({{ls, batch}}).ok());
  want[30].v = -1.0;
  want.insert(want.begin(), Sample{t0 - 1000, -2.0});
  want.insert(want.end(), later.begin(), later.end());
  check_same(f.read("ooo"), want);
  f.reopen(false);
  check_same(f.read("ooo"), want);
  f.reopen(true);
  check_same(f.read("ooo"), want);
}

TEST_CASE("store: a backlog replayed behind live samples is cut in long chunks, not per append") {
  Fixture f;
  const TimeMs now = f.clock.now_ms();
  auto ls = Fixture::labels({{"__name__", "replayed"}});
  // Two days of a 1 s series come back after an outage, a window (64) at a time, while the
  // host's live samples keep arriving ahead of them; maintenance passes run in between.
  auto backlog = past_samples(now - 2 * 86'400'000LL, 172'000, 9);
  std::vector<Sample> live;
  std::vector<Sample> want = backlog;
  for (std::size_t at = 0, n = 0; at < backlog.size(); at += 64, ++n) {
    if (n % 200 == 0) {
      live.push_back({now + static_cast<TimeMs>(n) * 10, 1.0 * static_cast<double>(n)});
      REQUIRE(f.store->append({{ls, {live.back()}}}).ok());
    }
    auto part = std::span<const Sample>(backlog).subspan(
        at, std::min<std::size_t>(64, backlog.size() - at));
    REQUIRE(f.store->append({{ls, std::vector<Sample>(part.begin(), part.end())}}).ok());
    if (n % 500 == 499) REQUIRE(f.store->maintain().ok());
  }
  want.insert(want.end(), live.begin(), live.end());
  check_same(f.read("replayed"), want);
  REQUIRE(f.store->maintain().ok());
  // Each pass cut what came since the last one (32,000 samples: chunks of max_chunk_samples);
  // cut whole, the first pass would have left every later append to chunks of its own (2,600).
  MESSAGE("chunks of the replayed series: " << chunk_rows(f, "replayed").count);
  CHECK(chunk_rows(f, "replayed").count <= 40);
  check_same(f.read("replayed"), want);
  f.reopen(false);  // a crash: what stayed in the head comes back from the log, once
  check_same(f.read("replayed"), want);
}

TEST_CASE("store: heads past their memory budget are cut, the largest first, and nothing is lost") {
  Fixture f;
  f.options.max_head_bytes = 48 << 10;
  // Heads holding their blocks in memory, as behind a replayed backlog: they cannot spill.
  f.options.head_block_dir.clear();
  f.reopen(true);
  // 40 series of 1 s noise, series i holding 20 * (i + 1) samples: about 80 KiB in all.
  std::vector<SeriesSamples> batch;
  std::uint64_t x = 7;
  for (int i = 0; i < 40; ++i) {
    SeriesSamples s{Fixture::labels({{"__name__", "noise"}, {"i", std::to_string(i)}}), {}};
    for (int k = 0; k < 20 * (i + 1); ++k) {
      x = x * 6364136223846793005ull + 1442695040888963407ull;
      s.samples.push_back(
          {f.clock.now_ms() - 3'600'000 + k * 1000LL, static_cast<double>(x >> 11)});
    }
    batch.push_back(std::move(s));
  }
  auto stored = batch;
  REQUIRE(f.store->append(std::move(batch)).ok());
  REQUIRE(f.store->maintain().ok());
  std::vector<std::int64_t> cut;
  REQUIRE(db::Readers(f.db_path)
              .with([&](SQLite::Database& db) -> Result<bool> {
                SQLite::Statement q(db, "SELECT DISTINCT series_id FROM chunks ORDER BY 1");
                while (q.executeStep()) cut.push_back(q.getColumn(0).getInt64());
                return true;
              })
              .ok());
  // The largest heads went (ids follow the batch's order), the smallest stay in memory.
  auto was_cut = [&](std::int64_t id) { return std::ranges::find(cut, id) != cut.end(); };
  CHECK(cut.size() > 3);
  CHECK(cut.size() < 37);
  CHECK((was_cut(40) && was_cut(39) && was_cut(38)));
  CHECK_FALSE((was_cut(1) || was_cut(2) || was_cut(3)));
  // Every sample reads back, before and after a kill -9.
  auto check_all = [&] {
    auto r = f.store->select({name_is("noise")}, INT64_MIN, INT64_MAX);
    REQUIRE(r.ok());
    REQUIRE(r->size() == 40);
    for (const auto& sd : *r) {
      const auto i = std::stoi(sd.labels.back().value);
      CHECK(sd.samples.size() == stored[static_cast<std::size_t>(i)].samples.size());
    }
  };
  check_all();
  f.reopen(false);
  check_all();
}

namespace {

// The first column of the first row of `sql`, read from the store's database.
std::int64_t count_rows(Fixture& f, const std::string& sql) {
  return db::Readers(f.db_path)
      .with([&](SQLite::Database& db) -> Result<std::int64_t> {
        return db.execAndGet(sql).getInt64();
      })
      .value();
}

// A minute of 1 s noise from `start` for each of `series` series (noise{i="0"}...).
std::vector<SeriesSamples> noise_minute(int series, TimeMs start, std::uint64_t& x) {
  std::vector<SeriesSamples> batch;
  for (int i = 0; i < series; ++i) {
    SeriesSamples s{Fixture::labels({{"__name__", "noise"}, {"i", std::to_string(i)}}), {}};
    for (int k = 0; k < 60; ++k) {
      x = x * 6364136223846793005ull + 1442695040888963407ull;
      s.samples.push_back({start + k * 1000LL, static_cast<double>(x >> 40) / 8});
    }
    batch.push_back(std::move(s));
  }
  return batch;
}

// `series` series of 1 s noise from now, appended a minute at a time for `minutes` minutes, with
// a maintenance pass after each; returns what each series was given.
std::vector<std::vector<Sample>> append_noise_minutes(Fixture& f, int series, int minutes,
                                                      std::uint64_t x) {
  std::vector<std::vector<Sample>> stored(static_cast<std::size_t>(series));
  for (int minute = 0; minute < minutes; ++minute) {
    auto batch = noise_minute(series, f.clock.now_ms(), x);
    for (std::size_t i = 0; i < batch.size(); ++i)
      stored[i].insert(stored[i].end(), batch[i].samples.begin(), batch[i].samples.end());
    REQUIRE(f.store->append(std::move(batch)).ok());
    f.clock.advance_ms(60'000);
    REQUIRE(f.store->maintain().ok());
  }
  return stored;
}

// Every noise{i} series reads back bit-exact as `stored[i]`.
void check_noise(Fixture& f, const std::vector<std::vector<Sample>>& stored) {
  auto r = f.store->select({name_is("noise")}, INT64_MIN, INT64_MAX);
  REQUIRE(r.ok());
  REQUIRE(r->size() == stored.size());
  for (const auto& sd : *r) {
    const auto& want = stored[static_cast<std::size_t>(std::stoi(sd.labels.back().value))];
    REQUIRE(sd.samples.size() == want.size());
    for (std::size_t k = 0; k < want.size(); ++k) {
      CHECK(sd.samples[k].t == want[k].t);
      CHECK(same_bits(sd.samples[k].v, want[k].v));
    }
  }
}

}  // namespace

TEST_CASE("store: heads cut for memory are merged an hour later, reading the same throughout") {
  Fixture f;
  f.options.max_head_bytes = 16 << 10;
  f.options.head_block_dir.clear();  // blocks in memory: the budget cuts heads early
  f.reopen(true);
  auto count = [&](const std::string& sql) { return count_rows(f, sql); };
  // 20 series of 1 s noise, appended a minute at a time for 20 minutes: the budget cuts some
  // heads at every pass, into short unmerged chunks.
  const TimeMs t0 = f.clock.now_ms();
  auto stored = append_noise_minutes(f, 20, 20, 11);
  // A backfill overwrites a sample an unmerged chunk holds: it must still win after the merge.
  const Sample overwrite{t0 + 30'000, -1};
  REQUIRE(
      f.store->append({{Fixture::labels({{"__name__", "noise"}, {"i", "0"}}), {overwrite}}}).ok());
  stored[0][30] = overwrite;
  const auto unmerged = count("SELECT count(*) FROM packs WHERE tier = -1");
  REQUIRE(unmerged > 0);

  auto check_all = [&] {
    check_noise(f, stored);
    // Minute buckets as the raw samples make them: from rollups, unmerged chunks and heads.
    auto minutes = f.store->select_buckets({name_is("noise")}, t0, t0 + 20 * 60'000, kTier1m);
    REQUIRE(minutes.ok());
    for (const auto& sb : *minutes) {
      auto want = make_buckets(stored[static_cast<std::size_t>(std::stoi(sb.labels.back().value))],
                               kTier1m);
      want.erase(want.begin());  // the backfill counted its minute twice (rollup.h)
      auto got = sb.buckets;
      got.erase(got.begin());
      REQUIRE(got.size() == want.size());
      for (std::size_t k = 0; k < want.size(); ++k) {
        CHECK(got[k].count == want[k].count);
        CHECK(got[k].sum == want[k].sum);
        CHECK(got[k].max == want[k].max);
        CHECK(got[k].last == want[k].last);
      }
    }
  };
  check_all();
  // An hour after the oldest unmerged chunk, one pass merges them all, and the packs go.
  f.clock.advance_ms(3'600'000);
  REQUIRE(f.store->maintain().ok());
  CHECK(count("SELECT count(*) FROM packs WHERE tier = -1") == 0);
  CHECK(count("SELECT count(*) FROM chunks c LEFT JOIN packs p ON p.id = c.pack_id "
              "WHERE p.id IS NULL") == 0);
  // Each series' early cuts became one chunk (the heads' own, cut later, may add one more).
  CHECK(count("SELECT max(n) FROM (SELECT count(*) AS n FROM chunks GROUP BY series_id)") <= 3);
  CHECK(count("SELECT count(DISTINCT series_id) FROM rollups WHERE tier = 60000") == 20);
  check_all();
  f.reopen(false);
  check_all();
}

TEST_CASE("store: an unreadable unmerged chunk is left as it is, and the rest merge") {
  Fixture f;
  f.options.max_head_bytes = 8 << 10;
  f.options.head_block_dir.clear();
  f.reopen(true);
  auto count = [&](const std::string& sql) { return count_rows(f, sql); };
  std::uint64_t x = 5;
  for (int minute = 0; minute < 10; ++minute) {
    REQUIRE(f.store->append(noise_minute(10, f.clock.now_ms(), x)).ok());
    f.clock.advance_ms(60'000);
    REQUIRE(f.store->maintain().ok());
  }
  const auto bad = count("SELECT min(id) FROM packs WHERE tier = -1");
  REQUIRE(bad > 0);
  const auto bad_rows = count(fmt::format("SELECT count(*) FROM chunks WHERE pack_id = {}", bad));
  REQUIRE(bad_rows > 0);
  {
    auto rw = db::open(f.db_path, db::Access::read_write).value();
    rw->exec(fmt::format("UPDATE packs SET data = zeroblob(length(data)) WHERE id = {}", bad));
  }
  f.clock.advance_ms(3'600'000);
  CHECK(f.store->maintain().ok());
  CHECK(count(fmt::format("SELECT count(*) FROM chunks WHERE pack_id = {}", bad)) == bad_rows);
  CHECK(count("SELECT count(*) FROM chunks c LEFT JOIN packs p ON p.id = c.pack_id "
              "WHERE p.id IS NULL") == 0);
  CHECK(count("SELECT count(DISTINCT series_id) FROM rollups WHERE tier = 60000") > 0);
}

TEST_CASE(
    "store: full head blocks wait in the head block file, each head is cut once, whole, and a "
    "crash rebuilds them from the log") {
  Fixture f;
  f.options.max_head_bytes = 4 << 10;  // less than 20 heads' newest samples: they spill too
  f.reopen(true);
  auto count = [&](const std::string& sql) { return count_rows(f, sql); };
  auto block_files = [&] {
    std::uintmax_t bytes = 0;
    for (const auto& e : std::filesystem::directory_iterator(f.options.head_block_dir))
      bytes += e.file_size();
    return bytes;
  };
  const TimeMs t0 = f.clock.now_ms();
  const auto stored = append_noise_minutes(f, 20, 20, 3);
  auto check_all = [&] {
    check_noise(f, stored);
    auto last_minute =
        f.store->select({name_is("noise")}, t0 + 19 * 60'000LL, t0 + 19 * 60'000LL + 59'000);
    REQUIRE(last_minute.ok());
    for (const auto& sd : *last_minute) CHECK(sd.samples.size() == 60);
  };
  // Nothing in SQLite yet, however small the budget: blocks and spilled samples are on disk.
  CHECK(count("SELECT count(*) FROM chunks") == 0);
  CHECK(block_files() > 0);
  check_all();
  // A kill -9: the block file is not trusted, the heads come back from the log.
  f.reopen(false);
  check_all();
  CHECK(count("SELECT count(*) FROM chunks") == 0);
  // Cut: one chunk a series, and the block files go with the log that brought their samples.
  REQUIRE(f.store->flush_all().ok());
  CHECK(count("SELECT count(*) FROM chunks") == 20);
  CHECK(count("SELECT count(*) FROM packs WHERE tier = -1") == 0);
  CHECK(block_files() == 0);
  check_all();
}
