// db/table.h — a stored resource's table described once, and the statements every service
// would otherwise write again for it: find by id, get or <RESOURCE>_NOT_FOUND, insert and
// update from one list of written columns, delete by id, a page in some order and filtered by
// a db::Filter. Used inside reader and writer jobs, on the job's connection.
#pragma once

#include <SQLiteCpp/SQLiteCpp.h>
#include <fmt/format.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "core/page.h"
#include "core/result.h"

namespace tt::db {

// The conditions of a list query, each a piece of SQL with its `?` values, joined by AND, e.g.
//   db::Filter f;
//   if (q.state) f.add("state = ?", to_string(*q.state));
class Filter {
 public:
  using Value = std::variant<std::int64_t, std::string>;

  template <typename... V>
  Filter& add(std::string_view clause, V&&... values) {
    m_where += fmt::format("{}{}", m_where.empty() ? " WHERE " : " AND ", clause);
    (m_values.push_back(value(std::forward<V>(values))), ...);
    return *this;
  }
  // Each of `labels` (name, value) equals its member of `column`, a JSON object.
  Filter& labels(std::string_view column,
                 const std::vector<std::pair<std::string, std::string>>& labels) {
    for (const auto& [name, value] : labels)
      add(fmt::format("json_extract({}, ?) = ?", column), "$.\"" + name + "\"", value);
    return *this;
  }

  const std::string& where() const { return m_where; }  // "" or " WHERE ..."
  void bind(SQLite::Statement& st) const {
    int i = 0;
    for (const auto& v : m_values) std::visit([&](const auto& x) { st.bind(++i, x); }, v);
  }

 private:
  static Value value(std::int64_t v) { return v; }
  static Value value(std::string_view v) { return std::string(v); }

  std::string m_where;
  std::vector<Value> m_values;
};

// A list's `sort` parameter: a field, descending when it starts with '-' ("-name").
struct Sort {
  std::string field;
  bool descending = false;
  const char* dir() const { return descending ? "DESC" : "ASC"; }
};
inline Sort parse_sort(std::string_view text) {
  const bool descending = text.starts_with('-');
  return {std::string(descending ? text.substr(1) : text), descending};
}

// A page of the rows of `from` that `filter` selects, in `order_by` (SQL), each read by `read`.
template <typename T, typename Read>
Page<T> select_page(SQLite::Database& db, std::string_view columns, std::string_view from,
                    const PageRequest& request, std::string_view order_by, const Filter& filter,
                    Read read) {
  Page<T> out;
  out.request = request;
  SQLite::Statement count(db, fmt::format("SELECT count(*) FROM {}{}", from, filter.where()));
  filter.bind(count);
  count.executeStep();
  out.total = count.getColumn(0).getInt64();
  SQLite::Statement st(
      db, fmt::format("SELECT {} FROM {}{} ORDER BY {} LIMIT {} OFFSET {}", columns, from,
                      filter.where(), order_by, request.per_page, request.offset()));
  filter.bind(st);
  while (st.executeStep()) out.items.push_back(read(st));
  return out;
}

template <typename T>
struct Table {
  std::string_view name;            // e.g. "channels"
  std::string_view columns;         // the SELECT list `read` decodes, in its order
  T (*read)(SQLite::Statement&);    // one row into a record
  std::string_view noun;            // as in "channel 7 does not exist"
  std::string_view not_found_code;  // e.g. CHANNEL_NOT_FOUND
  // The columns that `insert` and `update` write, and those that only `insert` writes; the
  // caller's bind function binds each by name (":name").
  std::string_view fields = {};
  std::string_view created = "created_at";
  // What `read` cannot take from the row (e.g. what a list of ids refers to); optional. A single
  // referenced value is better a subquery in `columns`.
  void (*complete)(SQLite::Database&, T&) = nullptr;

  std::optional<T> find(SQLite::Database& db, std::int64_t row_id) const {
    SQLite::Statement st(db, fmt::format("SELECT {} FROM {} WHERE id = ?", columns, name));
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
  // Inserts a row of `fields` and `created`; returns its id.
  template <typename Bind>
  std::int64_t insert(SQLite::Database& db, const Bind& bind) const {
    SQLite::Statement st(
        db, fmt::format("INSERT INTO {}({}, {}) VALUES ({}, {})", name, fields, created,
                        parameters(fields, "{1}"), parameters(created, "{1}")));
    bind(st);
    st.exec();
    return db.getLastInsertRowid();
  }
  // Writes `fields` of the row.
  template <typename Bind>
  void update(SQLite::Database& db, std::int64_t row_id, const Bind& bind) const {
    SQLite::Statement st(
        db, fmt::format("UPDATE {} SET {} WHERE id = :id", name, parameters(fields, "{0} = {1}")));
    bind(st);
    st.bind(":id", row_id);
    st.exec();
  }
  // Whether a row other than `row_id` matches `where` (e.g. has the same name).
  template <typename... V>
  bool taken(SQLite::Database& db, std::int64_t row_id, std::string_view where,
             V&&... values) const {
    Filter filter;
    filter.add(where, std::forward<V>(values)...).add("id != ?", row_id);
    SQLite::Statement st(db, fmt::format("SELECT 1 FROM {}{}", name, filter.where()));
    filter.bind(st);
    return st.executeStep();
  }
  // Deletes the row and returns what it held, or <RESOURCE>_NOT_FOUND.
  Result<T> remove(SQLite::Database& db, std::int64_t row_id) const {
    auto found = find(db, row_id);
    if (!found) return not_found(row_id);
    erase(db, row_id);
    return std::move(*found);
  }
  // Every row `filter` selects, in `order_by` (SQL).
  std::vector<T> all(SQLite::Database& db, std::string_view order_by,
                     const Filter& filter = {}) const {
    SQLite::Statement st(db, fmt::format("SELECT {} FROM {}{} ORDER BY {}", columns, name,
                                         filter.where(), order_by));
    filter.bind(st);
    std::vector<T> out;
    while (st.executeStep()) out.push_back(finish(db, st));
    return out;
  }
  // The rows `filter` selects, in `order_by` (SQL).
  Page<T> page(SQLite::Database& db, const PageRequest& request, std::string_view order_by,
               const Filter& filter = {}) const {
    return select_page<T>(db, columns, name, request, order_by, filter,
                          [&](SQLite::Statement& st) { return finish(db, st); });
  }

 private:
  // The columns of a list ("a, b") each as `pattern` makes it of the column ({0}, "a") and its
  // parameter ({1}, ":a"), joined by commas.
  static std::string parameters(std::string_view columns, std::string_view pattern) {
    std::string out;
    while (!columns.empty()) {
      const auto comma = columns.find(',');
      const auto column = columns.substr(0, comma);
      if (!out.empty()) out += ", ";
      out += fmt::format(fmt::runtime(pattern), column, fmt::format(":{}", column));
      columns = comma == std::string_view::npos ? "" : columns.substr(comma + 1);
      while (columns.starts_with(' ')) columns.remove_prefix(1);
    }
    return out;
  }
  T finish(SQLite::Database& db, SQLite::Statement& st) const {
    T record = read(st);
    if (complete) complete(db, record);
    return record;
  }
};

}  // namespace tt::db
