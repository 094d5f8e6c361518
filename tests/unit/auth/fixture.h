// Shared by the auth unit tests: a fresh migrated SQLite file with a writer, readers, a manual
// clock and an AuthService.
#pragma once

#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "auth/auth.h"
#include "core/clock.h"
#include "db/database.h"
#include "db/writer.h"

#ifndef TELLTALE_SOURCE_DIR
#define TELLTALE_SOURCE_DIR "/work/main"
#endif

namespace tt::auth::test {

inline std::string read_text(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

struct TempDb {
  std::string path;
  TempDb() {
    static std::atomic<int> n{0};
    path =
        (std::filesystem::temp_directory_path() /
         ("telltale_auth_test_" + std::to_string(::getpid()) + "_" + std::to_string(n++) + ".db"))
            .string();
    remove_files();
  }
  ~TempDb() { remove_files(); }
  void remove_files() {
    for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path + suffix);
  }
};

struct Fixture {
  TempDb tmp;
  ManualClock clock;
  std::unique_ptr<db::Writer> writer;
  std::unique_ptr<db::Readers> readers;
  std::unique_ptr<AuthService> auth;

  explicit Fixture(AuthOptions options = {}) {
    auto conn = db::open(tmp.path, db::Access::read_write);
    if (!conn.ok()) throw std::runtime_error(conn.error().message);
    auto sql = read_text(std::string(TELLTALE_SOURCE_DIR) + "/migrations/0001_initial.sql");
    if (sql.empty()) throw std::runtime_error("cannot read migrations/0001_initial.sql");
    conn.value()->exec(sql);
    writer = std::make_unique<db::Writer>(std::move(conn.value()));
    readers = std::make_unique<db::Readers>(tmp.path);
    auth = std::make_unique<AuthService>(*writer, *readers, clock, options);
  }
  ~Fixture() {
    auth.reset();
    writer->stop();
  }

  // Runs an urgent no-op writer job, which also flushes any queued lazy jobs.
  void flush() {
    (void)writer->run<bool>([](SQLite::Database&) -> Result<bool> { return true; });
  }

  // Creates the first admin through setup.
  User setup_admin(const std::string& name = "admin",
                   const std::string& password = "correct horse") {
    auto code = auth->setup_code();
    if (!code) throw std::runtime_error("no setup code");
    auto u = auth->complete_setup(*code, name, password, "127.0.0.1");
    if (!u.ok()) throw std::runtime_error(u.error().message);
    return u.value();
  }

  std::int64_t count(const std::string& sql) {
    auto r = readers->with([&](SQLite::Database& db) -> Result<std::int64_t> {
      return db.execAndGet(sql).getInt64();
    });
    return r.ok() ? r.value() : -1;
  }
};

}  // namespace tt::auth::test
