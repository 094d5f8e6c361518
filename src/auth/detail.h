// auth/detail.h — helpers shared by the AuthService implementation files. Internal to auth/.
#pragma once

#include <SQLiteCpp/SQLiteCpp.h>

#include <algorithm>
#include <optional>
#include <string>

#include "auth/password.h"
#include "auth/service.h"
#include "core/page.h"
#include "core/random.h"

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

// A new bearer secret: `prefix` (which says what it is: "tt_", "ttk_") and 32 random bytes from
// the OS's CSPRNG (getrandom), base64url. Only its sha256() is stored.
inline std::string new_secret(std::string_view prefix) {
  return std::string(prefix) + random_token(32);
}
// Whether `text` can be a secret new_secret(prefix) made: worth hashing and looking up. The
// lookup is by the hash's equality in SQL, so a guess learns nothing from the time it takes.
inline bool may_be_secret(std::string_view text, std::string_view prefix) {
  constexpr std::size_t kMaxSecretChars = 128;
  return text.size() <= kMaxSecretChars && text.starts_with(prefix);
}

// A credential's label (an API token's, a kiosk link's name): 1 to 100 bytes, no control
// characters. `field` names it in the error.
inline Result<void> validate_label(const std::string& label, const char* field) {
  if (label.empty() || label.size() > 100) return field_error(field, "must be 1 to 100 bytes long");
  for (unsigned char c : label)
    if (c < 0x20 || c == 0x7f) return field_error(field, "must not contain control characters");
  return ok();
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
