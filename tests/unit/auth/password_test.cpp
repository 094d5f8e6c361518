#include "auth/password.h"

#include <doctest/doctest.h>

#include <string>

using namespace tt;
using namespace tt::auth;

TEST_CASE("argon2id hash and verify") {
  auto h = hash_password("correct horse battery");
  REQUIRE(h.ok());
  CHECK(h->starts_with("$argon2id$"));
  CHECK(h->find("m=19456,t=2") != std::string::npos);
  CHECK(verify_password("correct horse battery", h.value()));
  CHECK_FALSE(verify_password("correct horse batterY", h.value()));
  CHECK_FALSE(verify_password("", h.value()));
  CHECK_FALSE(password_needs_rehash(h.value()));
  // Salted: the same password hashes differently.
  auto h2 = hash_password("correct horse battery");
  REQUIRE(h2.ok());
  CHECK(h.value() != h2.value());
  CHECK_FALSE(verify_password("x", "not a hash"));
  CHECK_FALSE(verify_password("x", ""));
}

TEST_CASE("password rules") {
  CHECK(validate_password("12345678").ok());
  CHECK(validate_password(std::string(1024, 'a')).ok());
  for (const std::string& bad : {std::string("1234567"), std::string(), std::string(1025, 'a')}) {
    auto r = validate_password(bad);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().kind == ErrorKind::validation);
    CHECK(r.error().code == "VALIDATION_FAILED");
    REQUIRE(r.error().fields.size() == 1);
    CHECK(r.error().fields[0].field == "password");
  }
}

TEST_CASE("user name rules") {
  for (const char* good : {"a", "alice", "Bob.Smith", "ops_team-1", "me@example.org"}) {
    CAPTURE(good);
    CHECK(validate_user_name(good).ok());
  }
  CHECK(validate_user_name(std::string(64, 'x')).ok());
  for (const std::string& bad :
       {std::string(), std::string(65, 'x'), std::string("with space"), std::string("semi;colon"),
        std::string("ünï"), std::string("a/b")}) {
    CAPTURE(bad);
    auto r = validate_user_name(bad);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == "VALIDATION_FAILED");
    REQUIRE(r.error().fields.size() == 1);
    CHECK(r.error().fields[0].field == "name");
  }
}

TEST_CASE("sha256 and constant-time compare") {
  auto d = sha256("abc");
  CHECK(d[0] == 0xba);
  CHECK(d[31] == 0xad);
  CHECK(constant_time_equal("abc", "abc"));
  CHECK_FALSE(constant_time_equal("abc", "abd"));
  CHECK_FALSE(constant_time_equal("abc", "abcd"));
  CHECK(constant_time_equal("", ""));
}
