// auth/detail.h — helpers shared by the AuthService implementation files. Internal to auth/.
#pragma once

#include <SQLiteCpp/SQLiteCpp.h>

#include <algorithm>
#include <optional>
#include <string>

#include "auth/password.h"
#include "auth/service.h"
#include "core/page.h"

namespace tt::auth::detail {

inline PageRequest clamp(PageRequest p) {
  p.page = std::max(1, p.page);
  p.per_page = std::clamp(p.per_page, 1, PageRequest::kMaxPerPage);
  return p;
}

inline void bind_hash(SQLite::Statement& q, int index, const Sha256& h) {
  q.bind(index, h.data(), static_cast<int>(h.size()));
}

inline std::optional<std::int64_t> opt_int64(const SQLite::Column& c) {
  if (c.isNull()) return std::nullopt;
  return c.getInt64();
}

inline void bind_opt(SQLite::Statement& q, int index, const std::optional<std::int64_t>& v) {
  if (v)
    q.bind(index, *v);
  else
    q.bind(index);
}

// Principal::session_id: half the cookie's SHA-256 in hex, enough to tell sessions apart and
// useless to log in with.
inline std::string session_id(const Sha256& token_hash) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (std::size_t i = 0; i < token_hash.size() / 2; ++i) {
    out += kHex[token_hash[i] >> 4];
    out += kHex[token_hash[i] & 0xF];
  }
  return out;
}

inline constexpr const char* kUserColumns = "id, name, role, created_at, updated_at";

// Reads kUserColumns starting at column `first`.
inline User user_from_row(SQLite::Statement& q, int first = 0) {
  User u;
  u.id = q.getColumn(first).getInt64();
  u.name = q.getColumn(first + 1).getString();
  u.role = parse_role(q.getColumn(first + 2).getString()).value_or(Role::viewer);
  u.created_at = q.getColumn(first + 3).getInt64();
  u.updated_at = q.getColumn(first + 4).getInt64();
  return u;
}

inline Error user_not_found(const std::string& what) {
  return Error::make(ErrorKind::not_found, "USER_NOT_FOUND", "no user " + what);
}

}  // namespace tt::auth::detail
