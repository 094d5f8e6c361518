// db/table.h — a stored resource's table described once, and the statements every service
// would otherwise write again for it: find by id, get or <RESOURCE>_NOT_FOUND, delete by id, a
// page in some order. Used inside reader and writer jobs, on the job's connection.
#pragma once

#include <SQLiteCpp/SQLiteCpp.h>
#include <fmt/format.h>

#include <cstdint>
#include <optional>
#include <string_view>

#include "core/page.h"
#include "core/result.h"

namespace tt::db {

template <typename T>
struct Table {
  std::string_view name;            // e.g. "channels"
  std::string_view columns;         // the SELECT list `read` decodes, in its order
  T (*read)(SQLite::Statement&);    // one row into a record
  std::string_view noun;            // as in "channel 7 does not exist"
  std::string_view not_found_code;  // e.g. CHANNEL_NOT_FOUND
  // What `read` cannot take from the row itself (e.g. the names of referenced rows); optional.
  void (*complete)(SQLite::Database&, T&) = nullptr;
  // A FROM clause with joins whose id column is `id` (e.g. "c.id"); by default the table alone.
  std::string_view from = {};
  std::string_view id = "id";

  std::optional<T> find(SQLite::Database& db, std::int64_t row_id) const {
    SQLite::Statement st(db, fmt::format("SELECT {} FROM {} WHERE {} = ?", columns, source(), id));
    st.bind(1, row_id);
    if (!st.executeStep()) return std::nullopt;
    return finish(db, st);
  }
  Error not_found(std::int64_t row_id) const {
    return Error::make(ErrorKind::not_found, std::string(not_found_code),
                       fmt::format("{} {} does not exist", noun, row_id));
  }
  Result<T> get(SQLite::Database& db, std::int64_t row_id) const {
    auto found = find(db, row_id);
    if (!found) return not_found(row_id);
    return std::move(*found);
  }
  void erase(SQLite::Database& db, std::int64_t row_id) const {
    SQLite::Statement st(db, fmt::format("DELETE FROM {} WHERE id = ?", name));
    st.bind(1, row_id);
    st.exec();
  }
  // The rows `where` selects (SQL without parameters; empty: all) in `order_by` (SQL).
  Page<T> page(SQLite::Database& db, const PageRequest& request, std::string_view order_by,
               std::string_view where = {}) const {
    const std::string filter = where.empty() ? "" : fmt::format(" WHERE {}", where);
    Page<T> out;
    out.request = request;
    out.total =
        db.execAndGet(fmt::format("SELECT count(*) FROM {}{}", source(), filter)).getInt64();
    SQLite::Statement st(
        db, fmt::format("SELECT {} FROM {}{} ORDER BY {} LIMIT {} OFFSET {}", columns, source(),
                        filter, order_by, request.per_page, request.offset()));
    while (st.executeStep()) out.items.push_back(finish(db, st));
    return out;
  }

 private:
  std::string_view source() const { return from.empty() ? name : from; }
  T finish(SQLite::Database& db, SQLite::Statement& st) const {
    T record = read(st);
    if (complete) complete(db, record);
    return record;
  }
};

}  // namespace tt::db
