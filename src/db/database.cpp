#include "db/database.h"

#include <sqlite3.h>

#include "core/log.h"
#include "core/redact.h"
#include "db/disk_health.h"

namespace tt::db {

namespace {
constexpr int kBusyTimeoutMs = 5000;

// redact_url(text) in SQL: a search over URLs must match what people are shown, or a viewer could
// find a masked token one character at a time.
void redact_url_sql(sqlite3_context* ctx, int, sqlite3_value** argv) {
  const auto* text = reinterpret_cast<const char*>(sqlite3_value_text(argv[0]));
  if (!text) return sqlite3_result_null(ctx);
  auto masked =
      redact::url(std::string_view(text, static_cast<std::size_t>(sqlite3_value_bytes(argv[0]))));
  sqlite3_result_text(ctx, masked.data(), static_cast<int>(masked.size()), SQLITE_TRANSIENT);
}
}  // namespace

Error error_from_exception(const std::exception& e) {
  if (auto* se = dynamic_cast<const SQLite::Exception*>(&e)) {
    if (se->getErrorCode() == SQLITE_CONSTRAINT) {
      return Error::make(ErrorKind::conflict, "DB_CONSTRAINT", se->what());
    }
    if ((se->getErrorCode() & 0xff) == SQLITE_FULL) {
      disk_health().failed(WriteFailure::disk_full);
      return Error::make(ErrorKind::unavailable, "DISK_FULL",
                         "the disk is full; the change was not saved");
    }
  }
  log::error("database: {}", e.what());
  return Error::make(ErrorKind::internal, "DB_ERROR", "database error");
}

Result<std::unique_ptr<SQLite::Database>> open(const std::string& path, Access access) {
  return guarded([&]() -> Result<std::unique_ptr<SQLite::Database>> {
    int flags = access == Access::read_only ? SQLite::OPEN_READONLY
                                            : (SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
    flags |= SQLITE_OPEN_NOMUTEX;  // each connection is used by one thread at a time
    auto db = std::make_unique<SQLite::Database>(path, flags, kBusyTimeoutMs);
    if (access == Access::read_write) {
      // auto_vacuum must be chosen before the first table exists. Setting it again writes the
      // header, which a full disk refuses: only when it is not set yet.
      if (db->execAndGet("PRAGMA auto_vacuum").getInt() != 2)
        db->exec("PRAGMA auto_vacuum=INCREMENTAL");
      db->exec("PRAGMA journal_mode=WAL");
    }
    // A pooled reader keeps a small page cache: up to 8 of them each filling SQLite's default
    // 2 MiB would hold 16 MiB of pages the kernel's page cache holds anyway.
    if (access == Access::read_only) db->exec("PRAGMA cache_size=-256");
    db->exec("PRAGMA synchronous=NORMAL");
    db->exec("PRAGMA foreign_keys=ON");
    sqlite3_create_function(db->getHandle(), "redact_url", 1, SQLITE_UTF8 | SQLITE_DETERMINISTIC,
                            nullptr, &redact_url_sql, nullptr, nullptr);
    return db;
  });
}

std::string database_path(const std::string& data_dir) { return data_dir + "/telltale.db"; }

std::size_t memory_used() { return static_cast<std::size_t>(sqlite3_memory_used()); }

int latest_schema_version() {
  auto all = embedded_migrations();
  return all.empty() ? 0 : all.back().version;
}

Result<int> migrate(SQLite::Database& db, std::span<const Migration> migrations) {
  return guarded([&]() -> Result<int> {
    int current = db.execAndGet("PRAGMA user_version").getInt();
    int latest = migrations.empty() ? 0 : migrations.back().version;
    if (current > latest) {
      return Error::make(ErrorKind::unavailable, "DB_TOO_NEW",
                         fmt::format("the database has schema version {}, but this telltale only "
                                     "knows up to {}: it was written by a newer telltale; run that "
                                     "version or restore a backup",
                                     current, latest));
    }
    for (const auto& m : migrations) {
      if (m.version <= current) continue;
      SQLite::Transaction tx(db, SQLite::TransactionBehavior::IMMEDIATE);
      db.exec(std::string(m.sql));
      db.exec(fmt::format("PRAGMA user_version={}", m.version));
      tx.commit();
      log::info("database: applied migration {}", m.name);
      current = m.version;
    }
    return current;
  });
}

Result<std::unique_ptr<SQLite::Database>> Readers::acquire() {
  {
    std::lock_guard lock(m_mutex);
    if (!m_idle.empty()) {
      auto db = std::move(m_idle.back());
      m_idle.pop_back();
      return db;
    }
  }
  return open(m_path, Access::read_only);
}

void Readers::release(std::unique_ptr<SQLite::Database> db) {
  std::lock_guard lock(m_mutex);
  if (m_idle.size() < m_max_idle) m_idle.push_back(std::move(db));
}

}  // namespace tt::db
