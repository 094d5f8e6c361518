// db/row.h — a result row read into variables in the order of its columns, each by its type,
// so a reader lists its fields once and counts no column indexes:
//
//   db::read_row(st, t.id, t.name, db::json_text(t.labels), t.expires_at);
//
// Integers, doubles, strings, bool (an integer, 0 or not), std::optional of those (NULL: empty)
// and db::json_text(x), a column of JSON text decoded into x (NULL: x left as it is).
#pragma once

#include <SQLiteCpp/SQLiteCpp.h>

#include <concepts>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

namespace tt::db {

template <typename T>
struct JsonText {
  T& out;
};
template <typename T>
JsonText<T> json_text(T& out) {
  return {out};
}

inline void read_column(const SQLite::Column& c, std::string& out) { out = c.getString(); }
inline void read_column(const SQLite::Column& c, double& out) { out = c.getDouble(); }
inline void read_column(const SQLite::Column& c, bool& out) { out = c.getInt64() != 0; }
template <std::integral T>
void read_column(const SQLite::Column& c, T& out) {
  out = static_cast<T>(c.getInt64());
}
template <typename T>
void read_column(const SQLite::Column& c, std::optional<T>& out) {
  if (c.isNull()) {
    out.reset();
    return;
  }
  read_column(c, out.emplace());
}
template <typename T>
void read_column(const SQLite::Column& c, JsonText<T> json) {
  if (c.isNull()) return;
  if constexpr (std::same_as<T, nlohmann::json>)
    json.out = nlohmann::json::parse(c.getString());
  else
    json.out = nlohmann::json::parse(c.getString()).template get<T>();
}

template <typename T>
void read_column(const SQLite::Column& c, JsonText<std::optional<T>> json) {
  if (c.isNull()) {
    json.out.reset();
    return;
  }
  read_column(c, json_text(json.out.emplace()));
}

template <typename... Out>
void read_row(SQLite::Statement& st, Out&&... out) {
  int i = 0;
  (read_column(st.getColumn(i++), out), ...);
}

}  // namespace tt::db
