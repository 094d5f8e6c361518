// The store on a disk that fails: full during an append or a cut, short and torn writes, a failed
// sync, crashes of the process and of the power (the guarantees are listed in tsdb/store.h).
#include <doctest/doctest.h>

#include "../faulty_fs.h"
#include "db/disk_health.h"
#include "fixture.h"

using namespace tt;
using namespace tt::tsdb;
using namespace tt::tsdb::test;
using namespace tt::test;

namespace {

constexpr TimeMs kT0 = 1'800'000'000'000;

Result<AppendResult> put(Fixture& f, const char* name, TimeMs t, double v) {
  return f.store->append({{Fixture::labels({{"__name__", name}}), {{t, v}}}});
}

std::vector<double> values(Fixture& f, const char* name) {
  std::vector<double> out;
  for (const auto& s : f.read(name)) out.push_back(s.v);
  return out;
}

std::int64_t chunk_count(Fixture& f) {
  return f.readers
      ->with([](SQLite::Database& db) -> Result<std::int64_t> {
        return db.execAndGet("SELECT count(*) FROM chunks").getInt64();
      })
      .value();
}

// SQLite refuses to grow the file past its size now (SQLITE_FULL), or grows it freely again.
void set_sqlite_full(Fixture& f, bool full) {
  REQUIRE(f.writer
              ->run<bool>([full](SQLite::Database& db) -> Result<bool> {
                auto pages = db.execAndGet("PRAGMA page_count").getInt64();
                db.exec("PRAGMA max_page_count = " + std::to_string(full ? pages : 1LL << 30));
                return true;
              })
              .ok());
}

// The store on a FaultyFs (`faulty`, a base so that it outlives the store), restarted after a
// crash of the process or of the power.
struct FaultyFsBase {
  FaultyFs faulty;
};
struct FaultyFixture : FaultyFsBase, Fixture {
  FaultyFixture() : Fixture(Schema::current, faulty) {}
  void restart_after(FaultyFs::Crash crash) {
    reopen(false, [this, crash] { faulty.crash(crash); });
  }
};

std::string segment(const Fixture& f, int n) {
  char name[32];
  std::snprintf(name, sizeof name, "/%010d.log", n);
  return f.options.log_dir + name;
}

}  // namespace

TEST_CASE(
    "store faults: a full disk during an append refuses it (503 DISK_FULL), keeps what was "
    "acknowledged, and appends resume once there is room, without a restart") {
  FaultyFixture f;
  auto& fs = f.faulty;
  REQUIRE(put(f, "up", kT0, 1).ok());
  const auto before = fs.contents(segment(f, 1))->size();
  fs.set_free_bytes(5);  // the record's first bytes fit, then the disk is full
  auto refused = put(f, "up", kT0 + 1000, 2);
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.error().code == "DISK_FULL");
  CHECK(refused.error().kind == ErrorKind::unavailable);
  CHECK(db::disk_health().full());
  CHECK(fs.contents(segment(f, 1))->size() == before);  // the torn start was cut back
  CHECK(values(f, "up") == std::vector<double>{1});
  fs.set_free_bytes(std::nullopt);
  REQUIRE(put(f, "up", kT0 + 2000, 3).ok());
  f.restart_after(FaultyFs::Crash::process);
  CHECK(values(f, "up") == std::vector<double>{1, 3});
}

TEST_CASE(
    "store faults: a torn record that cannot be cut back ends its segment; later appends "
    "go to a new one and survive a crash") {
  FaultyFixture f;
  auto& fs = f.faulty;
  REQUIRE(put(f, "up", kT0, 1).ok());
  fs.set_free_bytes(5);
  fs.set_truncate_fails(true);
  auto refused = put(f, "up", kT0 + 1000, 2);
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.error().code == "DISK_FULL");
  fs.set_free_bytes(std::nullopt);
  fs.set_truncate_fails(false);
  REQUIRE(put(f, "up", kT0 + 2000, 3).ok());
  REQUIRE(put(f, "up", kT0 + 3000, 4).ok());
  CHECK(fs.contents(segment(f, 2)).has_value());
  f.restart_after(FaultyFs::Crash::process);
  CHECK(values(f, "up") == std::vector<double>{1, 3, 4});
}

TEST_CASE("store faults: short writes still make whole records") {
  FaultyFixture f;
  auto& fs = f.faulty;
  fs.set_max_write(3);
  std::vector<double> want;
  for (int i = 0; i < 20; ++i) {
    REQUIRE(put(f, "up", kT0 + i * 1000, i * 1.5).ok());
    want.push_back(i * 1.5);
  }
  REQUIRE(f.store->maintain().ok());
  f.restart_after(FaultyFs::Crash::power);
  CHECK(values(f, "up") == want);
}

TEST_CASE(
    "store faults: a write torn by a power loss is dropped at replay, every record before "
    "it kept") {
  FaultyFixture f;
  auto& fs = f.faulty;
  REQUIRE(put(f, "up", kT0, 1).ok());
  REQUIRE(put(f, "up", kT0 + 1000, 2).ok());
  REQUIRE(f.store->maintain().ok());
  const auto whole = fs.contents(segment(f, 1))->size();
  fs.tear_next_write(6);
  CHECK_FALSE(put(f, "up", kT0 + 2000, 3).ok());  // never acknowledged
  CHECK(fs.contents(segment(f, 1))->size() == whole + 6);
  f.restart_after(FaultyFs::Crash::power);
  CHECK(values(f, "up") == std::vector<double>{1, 2});
  CHECK(fs.contents(segment(f, 1))->size() == whole);
  REQUIRE(put(f, "up", kT0 + 3000, 4).ok());
  f.restart_after(FaultyFs::Crash::process);
  CHECK(values(f, "up") == std::vector<double>{1, 2, 4});
}

TEST_CASE("store faults: a power loss keeps what the last maintenance pass synced") {
  FaultyFixture f;
  auto& fs = f.faulty;
  REQUIRE(put(f, "up", kT0, 1).ok());
  REQUIRE(put(f, "other", kT0, 2).ok());
  const auto syncs = fs.syncs();
  REQUIRE(f.store->maintain().ok());
  CHECK(fs.syncs() == syncs + 1);
  REQUIRE(put(f, "late", kT0 + 1000, 3).ok());  // after the pass: a power loss may take it
  f.restart_after(FaultyFs::Crash::power);
  CHECK(values(f, "up") == std::vector<double>{1});
  CHECK(values(f, "other") == std::vector<double>{2});
}

TEST_CASE(
    "store faults: a failed sync is reported, and the samples it leaves in doubt are cut "
    "into SQLite at once") {
  FaultyFixture f;
  auto& fs = f.faulty;
  REQUIRE(put(f, "up", kT0, 1).ok());
  fs.fail_next_sync();
  auto r = f.store->maintain();
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == "LOG_IO");
  CHECK(chunk_count(f) == 1);
  // The next records go to a new segment, not after the ones the failed sync lost.
  REQUIRE(put(f, "up", kT0 + 1000, 2).ok());
  REQUIRE(f.store->maintain().ok());
  f.restart_after(FaultyFs::Crash::power);
  CHECK(values(f, "up") == std::vector<double>{1, 2});
}

TEST_CASE("store faults: SQLite full during a cut keeps the heads, and a later cut stores them") {
  FaultyFixture f;
  std::vector<Sample> in;
  std::vector<double> want;
  for (int i = 0; i < 4000; ++i) {
    in.push_back({kT0 + i * 1000, (i * 7919 % 10007) / 7.0});
    want.push_back(in.back().v);
  }
  REQUIRE(f.store->append({{Fixture::labels({{"__name__", "up"}}), in}}).ok());
  set_sqlite_full(f, true);
  auto cut = f.store->flush_all();
  REQUIRE_FALSE(cut.ok());
  CHECK(cut.error().code == "DISK_FULL");
  CHECK(cut.error().kind == ErrorKind::unavailable);
  CHECK(chunk_count(f) == 0);
  CHECK(values(f, "up") == want);
  // Appends to known series need only the log meanwhile.
  REQUIRE(put(f, "up", kT0 + 4'000'000, 9).ok());
  want.push_back(9);
  SUBCASE("room comes back: the next cut stores everything") {
    set_sqlite_full(f, false);
    REQUIRE(f.store->flush_all().ok());
    CHECK(chunk_count(f) > 0);
    CHECK(values(f, "up") == want);
    f.restart_after(FaultyFs::Crash::process);
    CHECK(values(f, "up") == want);
  }
  SUBCASE("a crash first: the log brings the heads back") {
    f.restart_after(FaultyFs::Crash::process);
    CHECK(values(f, "up") == want);
  }
}

TEST_CASE(
    "store faults: the log's disk full during a cut: the cut stands, the log waits for room") {
  FaultyFixture f;
  auto& fs = f.faulty;
  REQUIRE(put(f, "up", kT0, 1).ok());
  fs.set_free_bytes(0);
  // The heads went into SQLite; the log could not start its next segment.
  auto cut = f.store->flush_all();
  REQUIRE_FALSE(cut.ok());
  CHECK(cut.error().code == "DISK_FULL");
  CHECK(chunk_count(f) == 1);
  auto refused = put(f, "up", kT0 + 1000, 2);
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.error().code == "DISK_FULL");
  fs.set_free_bytes(std::nullopt);
  REQUIRE(put(f, "up", kT0 + 2000, 3).ok());
  f.restart_after(FaultyFs::Crash::process);
  CHECK(values(f, "up") == std::vector<double>{1, 3});
}

TEST_CASE(
    "store faults: a logged series whose row never committed (a kill in between) does not "
    "lend its samples to the next new series") {
  FaultyFixture f;
  auto& fs = f.faulty;
  // As if killed after the log record of a new series (id 1) but before its commit.
  f.reopen(false, [&] {
    AppendLog log(f.options.log_dir, fs);
    REQUIRE(log.replay([](const LogBatch&, std::uint64_t) {}).ok());
    REQUIRE(log.rotate().ok());
    REQUIRE(log.append({{{1, {{kT0, 666}}}}}).ok());
  });
  REQUIRE(put(f, "fresh", kT0 + 1000, 1).ok());
  f.restart_after(FaultyFs::Crash::process);
  CHECK(values(f, "fresh") == std::vector<double>{1});
}

TEST_CASE(
    "store faults: heads whose block file cannot be read answer HEAD_BLOCK_IO, stay uncut with "
    "their log, and come back whole after a restart") {
  FaultyFixture f;
  f.options.max_chunk_samples = 1 << 15;  // the head is not due at the next pass
  f.reopen(true);
  // Noise fills blocks of about 8 bytes a sample: more than the block file buffers (64 KiB).
  std::vector<Sample> noise;
  std::uint64_t x = 9;
  for (int i = 0; i < 20'000; ++i) {
    x = x * 6364136223846793005ull + 1442695040888963407ull;
    noise.push_back({f.clock.now_ms() - 20'000'000 + i * 1000LL, static_cast<double>(x >> 11)});
  }
  REQUIRE(f.store->append({{Fixture::labels({{"__name__", "noise"}}), noise}}).ok());
  // Younger than a minute, the head keeps its blocks in memory: the file is not read.
  REQUIRE(f.store->maintain().ok());
  f.faulty.set_read_at_fails(true);
  CHECK(f.read("noise").size() == noise.size());
  f.faulty.set_read_at_fails(false);
  f.clock.advance_ms(60'000);
  REQUIRE(f.store->maintain().ok());  // the head, a minute old, moves its blocks to the file
  REQUIRE(f.read("noise").size() == noise.size());
  f.faulty.set_read_at_fails(true);
  auto r = f.store->select({name_is("noise")}, INT64_MIN, INT64_MAX);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == "HEAD_BLOCK_IO");
  // The cut leaves the head, and the log it needs, as they are.
  CHECK(f.store->flush_all().ok());
  CHECK(chunk_count(f) == 0);
  f.faulty.set_read_at_fails(false);
  f.restart_after(FaultyFs::Crash::process);
  CHECK(f.read("noise").size() == noise.size());
  REQUIRE(f.store->flush_all().ok());
  CHECK(chunk_count(f) == 1);
  CHECK(f.read("noise").size() == noise.size());
}
