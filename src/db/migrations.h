// db/migrations.h — the numbered SQL migrations compiled into the binary from migrations/*.sql.
#pragma once

#include <span>
#include <string_view>

namespace tt::db {

struct Migration {
  int version;            // the schema version this migration brings the database to
  std::string_view name;  // file name without .sql
  std::string_view sql;
};

// Sorted by version; generated at build time by cmake/embed_migrations.cmake.
std::span<const Migration> embedded_migrations();

}  // namespace tt::db
