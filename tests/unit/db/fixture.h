// tests/unit/db/fixture.h — what the unit tests of the services build again and again: a
// database file of the project's schema in the temp directory, its writer and read pool, a
// running bus whose events are noted, and an events log over them, on a manual clock. A test's
// own fixture derives from it and adds its services as members (destroyed before the writer and
// the loop stop).
#pragma once

#include <doctest/doctest.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "bus/bus.h"
#include "core/actor.h"
#include "core/clock.h"
#include "core/random.h"
#include "db/database.h"
#include "db/migrations.h"
#include "db/writer.h"
#include "events/change.h"

namespace tt::test {

struct DbFixture {
  std::string path =
      (std::filesystem::temp_directory_path() / ("tt-test-" + random_hex(6) + ".db")).string();
  ManualClock clock;
  std::unique_ptr<db::Writer> writer;
  std::unique_ptr<db::Readers> readers;
  bus::CoreLoop loop;
  bus::Bus bus{loop};
  std::unique_ptr<events::Log> log;
  Actor actor{"alice", "127.0.0.1"};

  explicit DbFixture(TimeMs start = 1'700'000'000'000) : clock(start) {
    auto rw = db::open(path, db::Access::read_write).value();
    REQUIRE(db::migrate(*rw, db::embedded_migrations()).ok());
    writer = std::make_unique<db::Writer>(std::move(rw));
    readers = std::make_unique<db::Readers>(path);
    log = std::make_unique<events::Log>(*writer, &bus, clock);
    bus.events.subscribe([this](const bus::Event& e) {
      const bool stored = count("SELECT count(*) FROM events WHERE id = " + std::to_string(e.id));
      std::lock_guard lock(m_mutex);
      m_seen.push_back({e, stored});
    });
    loop.start();
  }
  ~DbFixture() {
    loop.stop();
    writer->stop();
    for (const char* s : {"", "-wal", "-shm"}) std::filesystem::remove(path + s);
  }
  DbFixture(const DbFixture&) = delete;
  DbFixture& operator=(const DbFixture&) = delete;

  std::int64_t count(const std::string& sql) {
    return readers
        ->with([&](SQLite::Database& db) -> Result<std::int64_t> {
          return db.execAndGet(sql).getInt64();
        })
        .value();
  }
  void exec(const std::string& sql) {
    REQUIRE(writer
                ->run<bool>([&](SQLite::Database& db) -> Result<bool> {
                  db.exec(sql);
                  return true;
                })
                .ok());
  }

  // An event the bus delivered, and whether its row was committed (visible to readers) then.
  using Seen = std::pair<bus::Event, bool>;
  // The events delivered so far, after waiting up to a second for `want` of them (the bus
  // delivers on the loop thread).
  std::vector<Seen> seen(std::size_t want) {
    for (int i = 0; i < 200; ++i) {
      {
        std::lock_guard lock(m_mutex);
        if (m_seen.size() >= want) return m_seen;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    std::lock_guard lock(m_mutex);
    return m_seen;
  }
  std::vector<bus::Event> published(std::size_t want) {
    std::vector<bus::Event> out;
    for (auto& s : seen(want)) out.push_back(std::move(s.first));
    return out;
  }

 private:
  std::mutex m_mutex;
  std::vector<Seen> m_seen;
};

}  // namespace tt::test
