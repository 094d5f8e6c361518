#include "auth/roles.h"

#include "core/options.h"

namespace tt::auth {

namespace {
constexpr EnumNames<Role, 4> kRoleNames{{"admin", "operator", "viewer", "api"}};
}  // namespace

std::string_view role_name(Role role) { return kRoleNames.name(role); }
std::optional<Role> parse_role(std::string_view text) { return kRoleNames.parse(text); }

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
