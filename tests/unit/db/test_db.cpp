#include <doctest/doctest.h>

#include <filesystem>
#include <thread>

#include "core/random.h"
#include "db/database.h"
#include "db/writer.h"

using namespace tt;

namespace {
struct TempDb {
  std::string path =
      (std::filesystem::temp_directory_path() / ("tt-db-" + random_hex(6) + ".db")).string();
  ~TempDb() {
    for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path + suffix);
  }
};
const db::Migration kTwo[] = {
    {1, "0001_a", "CREATE TABLE a(x INTEGER NOT NULL UNIQUE);"},
    {2, "0002_b", "CREATE TABLE b(y TEXT);"},
};
}  // namespace

TEST_CASE("connections get WAL, foreign keys and NORMAL sync") {
  TempDb t;
  auto db = db::open(t.path, db::Access::read_write);
  REQUIRE(db.ok());
  CHECK(db.value()->execAndGet("PRAGMA journal_mode").getString() == "wal");
  CHECK(db.value()->execAndGet("PRAGMA foreign_keys").getInt() == 1);
  CHECK(db.value()->execAndGet("PRAGMA synchronous").getInt() == 1);
  CHECK(db.value()->execAndGet("PRAGMA auto_vacuum").getInt() == 2);
}

TEST_CASE("migrations apply in order, once, and a newer database is refused") {
  TempDb t;
  auto db = db::open(t.path, db::Access::read_write);
  REQUIRE(db.ok());
  auto v = db::migrate(*db.value(), kTwo);
  REQUIRE(v.ok());
  CHECK(v.value() == 2);
  CHECK(db::migrate(*db.value(), kTwo).value() == 2);  // idempotent
  db.value()->exec("PRAGMA user_version=7");
  auto refused = db::migrate(*db.value(), kTwo);
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.error().code == "DB_TOO_NEW");
  CHECK(refused.error().message.find("newer telltale") != std::string::npos);
}

TEST_CASE("a failing migration leaves the schema version where it was") {
  TempDb t;
  auto db = db::open(t.path, db::Access::read_write);
  const db::Migration broken[] = {{1, "0001_a", "CREATE TABLE a(x); CREATE TABLE a(x);"}};
  CHECK_FALSE(db::migrate(*db.value(), broken).ok());
  CHECK(db.value()->execAndGet("PRAGMA user_version").getInt() == 0);
  CHECK(db.value()->execAndGet("SELECT count(*) FROM sqlite_master WHERE name='a'").getInt() == 0);
}

TEST_CASE("the writer commits concurrent jobs and isolates a failing one") {
  TempDb t;
  auto rw = db::open(t.path, db::Access::read_write);
  REQUIRE(db::migrate(*rw.value(), kTwo).ok());
  db::Writer writer(std::move(rw.value()));
  db::Readers readers(t.path);
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&, i] {
      for (int j = 0; j < 50; ++j) {
        auto r = writer.run<bool>([&](SQLite::Database& db) -> Result<bool> {
          db.exec("INSERT INTO a(x) VALUES (" + std::to_string(i * 1000 + j) + ")");
          return true;
        });
        CHECK(r.ok());
      }
    });
  }
  for (auto& th : threads) th.join();
  // A job that inserts and then fails is rolled back alone.
  auto failed = writer.run<bool>([](SQLite::Database& db) -> Result<bool> {
    db.exec("INSERT INTO a(x) VALUES (-1)");
    return Error::make(ErrorKind::validation, "NOPE", "no");
  });
  CHECK(failed.error().code == "NOPE");
  // A constraint violation becomes a conflict, not an exception.
  auto dup = writer.run<bool>([](SQLite::Database& db) -> Result<bool> {
    db.exec("INSERT INTO a(x) VALUES (1)");
    return true;
  });
  CHECK(dup.error().kind == ErrorKind::conflict);
  auto count = readers.with([](SQLite::Database& db) -> Result<int> {
    return db.execAndGet("SELECT count(*) FROM a").getInt();
  });
  CHECK(count.value() == 400);
  writer.stop();
  auto late = writer.run<bool>([](SQLite::Database&) -> Result<bool> { return true; });
  CHECK(late.error().code == "WRITER_STOPPED");
}

TEST_CASE("lazy jobs wait for company but are flushed by stop") {
  TempDb t;
  auto rw = db::open(t.path, db::Access::read_write);
  REQUIRE(db::migrate(*rw.value(), kTwo).ok());
  db::Writer writer(std::move(rw.value()), {1024, 65536, 60'000});
  auto f = writer.submit<bool>(
      [](SQLite::Database& db) -> Result<bool> {
        db.exec("INSERT INTO b(y) VALUES ('lazy')");
        return true;
      },
      db::Urgency::lazy);
  CHECK(f.wait_for(std::chrono::milliseconds(200)) == std::future_status::timeout);
  writer.stop();
  CHECK(f.get().ok());
}

TEST_CASE("a job whose failure makes SQLite undo the transaction fails its batch with the cause") {
  TempDb t;
  auto rw = db::open(t.path, db::Access::read_write);
  REQUIRE(db::migrate(*rw.value(), kTwo).ok());
  db::Writer writer(std::move(rw.value()), {1024, 65536, 60'000});  // lazy jobs share a batch
  auto small = writer.submit<bool>(
      [](SQLite::Database& db) -> Result<bool> {
        db.exec("INSERT INTO b(y) VALUES ('small')");
        return true;
      },
      db::Urgency::lazy);
  // SQLITE_FULL in the middle of a statement: SQLite rolls back the whole transaction.
  auto big = writer.submit<bool>(
      [](SQLite::Database& db) -> Result<bool> {
        auto pages = db.execAndGet("PRAGMA page_count").getInt64();
        db.exec("PRAGMA max_page_count = " + std::to_string(pages));
        db.exec("INSERT INTO b(y) VALUES (zeroblob(100000))");
        return true;
      },
      db::Urgency::lazy);
  auto after = writer.submit<std::int64_t>(
      [](SQLite::Database& db) -> Result<std::int64_t> {
        db.exec("PRAGMA max_page_count = 1000000");
        return db.execAndGet("SELECT count(*) FROM b").getInt64();
      },
      db::Urgency::lazy);
  writer.stop();
  for (auto* f : {&small, &big}) {
    auto r = f->get();
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == "DISK_FULL");
  }
  // Not run in the undone transaction: the next batch runs it.
  auto rows = after.get();
  REQUIRE(rows.ok());
  CHECK(rows.value() == 0);
}
