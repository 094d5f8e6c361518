// db/ — SQLite for everything Telltale keeps: connections with our pragmas, the embedded
// migrations, the single writer thread and a pool of read connections (WAL lets readers run
// beside the writer). SQLiteCpp throws; this layer turns exceptions into tt::Error values.
// Used by domain services (inventory/, auth/, ...); never by http/ or api/ directly.
#pragma once

#include <SQLiteCpp/SQLiteCpp.h>

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/result.h"
#include "db/migrations.h"

namespace tt::db {

enum class Access { read_write, read_only };

// Opens `path` (":memory:" allowed for read_write) and applies the connection pragmas:
// WAL, synchronous=NORMAL, foreign_keys=ON, busy_timeout, incremental auto-vacuum.
Result<std::unique_ptr<SQLite::Database>> open(const std::string& path, Access access);

// Brings the schema to the newest embedded version, one transaction per migration. Refuses a
// database whose user_version is newer than this binary knows (DB_TOO_NEW).
Result<int> migrate(SQLite::Database& db, std::span<const Migration> migrations);

// The newest schema version this binary knows.
int latest_schema_version();

// The database file of a data directory.
std::string database_path(const std::string& data_dir);

// Bytes SQLite holds across every connection of the process (page caches, statements, schema).
std::size_t memory_used();

// Runs fn and turns SQLite exceptions into errors: UNIQUE/constraint failures become
// ErrorKind::conflict (code DB_CONSTRAINT), the rest internal (DB_ERROR).
template <typename Fn>
auto guarded(Fn&& fn) -> decltype(fn());
Error error_from_exception(const std::exception& e);

// A bounded pool of read-only connections, handed out per call. Thread-safe.
class Readers {
 public:
  Readers(std::string path, std::size_t max_idle = 8)
      : m_path(std::move(path)), m_max_idle(max_idle) {}
  Readers(const Readers&) = delete;
  Readers& operator=(const Readers&) = delete;

  // Runs fn(SQLite::Database&) on a pooled read connection; exceptions become errors.
  template <typename Fn>
  auto with(Fn&& fn) -> decltype(fn(std::declval<SQLite::Database&>()));

 private:
  Result<std::unique_ptr<SQLite::Database>> acquire();
  void release(std::unique_ptr<SQLite::Database> db);

  std::string m_path;
  std::size_t m_max_idle;
  std::mutex m_mutex;
  std::vector<std::unique_ptr<SQLite::Database>> m_idle;
};

// ---- implementation of the templates ----

template <typename Fn>
auto guarded(Fn&& fn) -> decltype(fn()) {
  try {
    return fn();
  } catch (const std::exception& e) {
    return error_from_exception(e);
  }
}

template <typename Fn>
auto Readers::with(Fn&& fn) -> decltype(fn(std::declval<SQLite::Database&>())) {
  auto conn = acquire();
  if (!conn.ok()) return std::move(conn).error();
  auto db = std::move(conn.value());
  auto result = guarded([&] { return fn(*db); });
  release(std::move(db));
  return result;
}

}  // namespace tt::db
