#include "auth/roles.h"

namespace tt::auth {

std::string_view role_name(Role role) {
  switch (role) {
    case Role::admin:
      return "admin";
    case Role::operator_:
      return "operator";
    case Role::viewer:
      return "viewer";
    case Role::api:
      return "api";
  }
  return "viewer";
}

std::optional<Role> parse_role(std::string_view text) {
  for (Role r : {Role::admin, Role::operator_, Role::viewer, Role::api}) {
    if (role_name(r) == text) return r;
  }
  return std::nullopt;
}

bool allows(Role role, Permission permission) {
  switch (role) {
    case Role::admin:
      return true;
    case Role::operator_:
    case Role::api:
      return permission != Permission::admin;
    case Role::viewer:
      return permission == Permission::read;
  }
  return false;
}

}  // namespace tt::auth
