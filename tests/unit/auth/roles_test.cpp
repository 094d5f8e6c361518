#include "auth/roles.h"

#include <doctest/doctest.h>

using namespace tt::auth;

TEST_CASE("role names round-trip") {
  for (Role r : {Role::admin, Role::operator_, Role::viewer, Role::api}) {
    auto parsed = parse_role(role_name(r));
    REQUIRE(parsed.has_value());
    CHECK(*parsed == r);
  }
  CHECK(role_name(Role::operator_) == "operator");
  CHECK_FALSE(parse_role("operator_").has_value());
  CHECK_FALSE(parse_role("Admin").has_value());
  CHECK_FALSE(parse_role("").has_value());
}

TEST_CASE("permission table") {
  struct Row {
    Role role;
    bool read, operate, admin;
  };
  const Row rows[] = {
      {Role::admin, true, true, true},
      {Role::operator_, true, true, false},
      {Role::viewer, true, false, false},
      {Role::api, true, true, false},
  };
  for (const auto& row : rows) {
    CAPTURE(role_name(row.role));
    CHECK(allows(row.role, Permission::read) == row.read);
    CHECK(allows(row.role, Permission::operate) == row.operate);
    CHECK(allows(row.role, Permission::admin) == row.admin);
  }
  Principal p;
  p.role = Role::viewer;
  CHECK(allows(p, Permission::read));
  CHECK_FALSE(allows(p, Permission::operate));
}

TEST_CASE("the CLI acts as an admin") {
  auto p = cli_principal();
  CHECK(p.user == "cli");
  CHECK(p.via == Principal::Via::cli);
  CHECK(allows(p, Permission::admin));
}
