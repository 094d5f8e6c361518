// auth/roles.h — who may do what: roles, permissions and the authenticated principal.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace tt::auth {

enum class Role { admin, operator_, viewer, api };

// "admin", "operator", "viewer", "api": the spelling stored in users.role and used on the wire.
std::string_view role_name(Role role);
std::optional<Role> parse_role(std::string_view text);

enum class Permission {
  read,     // see anything except users, tokens of others, settings and the audit log
  operate,  // change monitoring objects: nodes, checks, ...
  admin,    // users, anyone's tokens, settings, the audit log
};

// viewer: read; operator and api: read + operate; admin: everything.
bool allows(Role role, Permission permission);

// The caller of a request, as established by a session cookie, an API token, a kiosk link or the
// local CLI. A kiosk principal is no user (user_id 0, role viewer for display): the router lets
// it reach only the routes marked http::Access::kiosk, whatever its role says.
struct Principal {
  std::int64_t user_id = 0;
  std::string user;
  Role role = Role::viewer;
  enum class Via { session, token, cli, kiosk } via = Via::session;
  std::string csrf_token;     // session only
  std::int64_t token_id = 0;  // token only; kiosk: the link's id
  std::string session_id;  // session only: names it (hex of part of the cookie's hash), not secret
  std::int64_t expires_at = 0;  // wall ms when the session or token ends; 0: never
};

inline bool allows(const Principal& p, Permission permission) { return allows(p.role, permission); }

// The local command line: whoever can run it owns the database file, so it acts as an admin.
inline Principal cli_principal() {
  return Principal{0, "cli", Role::admin, Principal::Via::cli, {}, 0};
}

}  // namespace tt::auth
