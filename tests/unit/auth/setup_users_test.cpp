#include <doctest/doctest.h>

#include "fixture.h"

using namespace tt;
using namespace tt::auth;
using tt::auth::test::Fixture;

TEST_CASE("setup code: stable per process, one-time, wrong code rejected") {
  Fixture f;
  CHECK(f.auth->has_users().value() == false);
  auto code = f.auth->setup_code();
  REQUIRE(code.has_value());
  CHECK(code->size() == 14);
  CHECK((*code)[4] == '-');
  CHECK((*code)[9] == '-');
  CHECK(f.auth->setup_code() == code);  // the same code until used

  auto wrong = f.auth->complete_setup("AAAA-AAAA-AAAA", "root", "correct horse", "10.0.0.1");
  REQUIRE_FALSE(wrong.ok());
  CHECK(wrong.error().kind == ErrorKind::forbidden);
  CHECK(wrong.error().code == "SETUP_CODE_INVALID");
  CHECK(f.count("SELECT COUNT(*) FROM users") == 0);

  // Case and dashes do not matter; validation applies after the code is accepted.
  std::string typed;
  for (char c : *code) {
    if (c != '-') typed += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  auto bad_pw = f.auth->complete_setup(typed, "root", "short", "10.0.0.1");
  REQUIRE_FALSE(bad_pw.ok());
  CHECK(bad_pw.error().code == "VALIDATION_FAILED");

  auto u = f.auth->complete_setup(typed, "root", "correct horse", "10.0.0.1");
  REQUIRE(u.ok());
  CHECK(u->name == "root");
  CHECK(u->role == Role::admin);
  CHECK(f.auth->has_users().value());
  CHECK_FALSE(f.auth->setup_code().has_value());

  auto again = f.auth->complete_setup(*code, "root2", "correct horse", "10.0.0.1");
  REQUIRE_FALSE(again.ok());
  CHECK(again.error().kind == ErrorKind::conflict);
  CHECK(again.error().code == "SETUP_DONE");

  auto audit = f.auth->list_audit({}, std::nullopt, std::string("setup.complete"));
  REQUIRE(audit.ok());
  REQUIRE(audit->items.size() == 1);
  CHECK(audit->items[0].actor == "root");
  CHECK(audit->items[0].remote == "10.0.0.1");
}

TEST_CASE("setup: no code was ever shown, or users already exist") {
  Fixture f;
  auto r = f.auth->complete_setup("", "root", "correct horse", "");
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == "SETUP_CODE_INVALID");

  Fixture g;
  REQUIRE(g.auth->create_user("someone", Role::admin, "correct horse", "cli", "").ok());
  CHECK_FALSE(g.auth->setup_code().has_value());
  auto done = g.auth->complete_setup("ABCD-EFGH-JKLM", "root", "correct horse", "");
  REQUIRE_FALSE(done.ok());
  CHECK(done.error().code == "SETUP_DONE");
}

TEST_CASE("setup: wrong codes are rate-limited per remote") {
  Fixture f({.session_ttl_ms = 1000, .login_max_failures = 3, .login_window_ms = 60'000});
  auto code = f.auth->setup_code();
  REQUIRE(code);
  for (int i = 0; i < 3; ++i) {
    CHECK(f.auth->complete_setup("WRONG", "root", "correct horse", "10.0.0.9").error().code ==
          "SETUP_CODE_INVALID");
  }
  auto blocked = f.auth->complete_setup(*code, "root", "correct horse", "10.0.0.9");
  REQUIRE_FALSE(blocked.ok());
  CHECK(blocked.error().kind == ErrorKind::rate_limited);
  REQUIRE(blocked.error().retry_after_s.has_value());
  CHECK(*blocked.error().retry_after_s == 60);
  // Another address is not affected.
  CHECK(f.auth->complete_setup(*code, "root", "correct horse", "10.0.0.10").ok());
}

TEST_CASE("users: create, validation, case-insensitive uniqueness, list, get") {
  Fixture f;
  f.setup_admin();
  auto alice = f.auth->create_user("Alice", Role::operator_, "password1", "admin", "1.2.3.4");
  REQUIRE(alice.ok());
  CHECK(alice->role == Role::operator_);
  CHECK(alice->created_at == f.clock.now_ms());

  auto dup = f.auth->create_user("alice", Role::viewer, "password1", "admin", "");
  REQUIRE_FALSE(dup.ok());
  CHECK(dup.error().kind == ErrorKind::conflict);
  CHECK(dup.error().code == "USER_EXISTS");

  auto bad = f.auth->create_user("bad name", Role::viewer, "password1", "admin", "");
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().kind == ErrorKind::validation);
  CHECK(bad.error().fields.at(0).field == "name");

  auto short_pw = f.auth->create_user("bob", Role::viewer, "1234567", "admin", "");
  REQUIRE_FALSE(short_pw.ok());
  CHECK(short_pw.error().fields.at(0).field == "password");

  // An api account may have no password (tokens only); nobody else may.
  CHECK(f.auth->create_user("ci-bot", Role::api, "", "admin", "").ok());
  CHECK_FALSE(f.auth->create_user("viewer", Role::viewer, "", "admin", "").ok());

  auto got = f.auth->get_user("ALICE");
  REQUIRE(got.ok());
  CHECK(got->id == alice->id);
  CHECK(got->name == "Alice");
  auto missing = f.auth->get_user("nobody");
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.error().code == "USER_NOT_FOUND");

  auto page = f.auth->list_users({1, 2});
  REQUIRE(page.ok());
  CHECK(page->total == 3);
  REQUIRE(page->items.size() == 2);
  CHECK(page->items[0].name == "admin");
  auto page2 = f.auth->list_users({2, 2});
  REQUIRE(page2.ok());
  REQUIRE(page2->items.size() == 1);
  CHECK(page2->items[0].name == "ci-bot");
  auto clamped = f.auth->list_users({0, 100000});
  REQUIRE(clamped.ok());
  CHECK(clamped->request.page == 1);
  CHECK(clamped->request.per_page == PageRequest::kMaxPerPage);

  // The change and its audit row commit together.
  auto audit = f.auth->list_audit({}, std::string("admin"), std::string("user.create"));
  REQUIRE(audit.ok());
  CHECK(audit->total == 2);
  CHECK(audit->items[0].target == "ci-bot");
  CHECK(audit->items[1].target == "Alice");
  CHECK(audit->items[1].remote == "1.2.3.4");
  CHECK(audit->items[1].details["role"] == "operator");
  // A failed mutation leaves no audit row.
  CHECK(f.count("SELECT COUNT(*) FROM audit_log WHERE action = 'user.create'") == 2);
}

TEST_CASE("users: the last admin cannot be deleted; deleting cascades") {
  Fixture f;
  auto admin = f.setup_admin();
  auto last = f.auth->delete_user(admin.id, "admin", "");
  REQUIRE_FALSE(last.ok());
  CHECK(last.error().kind == ErrorKind::conflict);
  CHECK(last.error().code == "LAST_ADMIN");

  auto second = f.auth->create_user("second", Role::admin, "password2", "admin", "");
  REQUIRE(second.ok());
  auto viewer = f.auth->create_user("v", Role::viewer, "password3", "admin", "");
  REQUIRE(viewer.ok());
  REQUIRE(f.auth->login("v", "password3", "").ok());
  REQUIRE(f.auth->create_token("v", "t", 0, "admin", "").ok());

  CHECK(f.auth->delete_user(viewer->id, "admin", "").ok());
  CHECK(f.count("SELECT COUNT(*) FROM sessions") == 0);
  CHECK(f.count("SELECT COUNT(*) FROM api_tokens") == 0);
  CHECK(f.auth->delete_user(viewer->id, "admin", "").error().code == "USER_NOT_FOUND");

  CHECK(f.auth->delete_user(admin.id, "second", "").ok());
  CHECK(f.auth->delete_user(second->id, "second", "").error().code == "LAST_ADMIN");
  auto audit = f.auth->list_audit({}, std::nullopt, std::string("user.delete"));
  REQUIRE(audit.ok());
  CHECK(audit->total == 2);
}

TEST_CASE("set_password changes the password and ends other sessions") {
  Fixture f;
  auto admin = f.setup_admin("admin", "old password");
  auto s1 = f.auth->login("admin", "old password", "");
  auto s2 = f.auth->login("admin", "old password", "");
  REQUIRE(s1.ok());
  REQUIRE(s2.ok());
  REQUIRE(f.auth->set_password(admin.id, "new password", "admin", "", s1->cookie_token).ok());
  CHECK(f.auth->authenticate_session(s1->cookie_token).ok());
  CHECK_FALSE(f.auth->authenticate_session(s2->cookie_token).ok());
  CHECK(f.auth->login("admin", "old password", "").error().code == "INVALID_CREDENTIALS");
  CHECK(f.auth->login("admin", "new password", "").ok());
  CHECK(f.auth->set_password(admin.id, "short", "admin", "").error().code == "VALIDATION_FAILED");
  CHECK(f.auth->set_password(9999, "long enough", "admin", "").error().code == "USER_NOT_FOUND");
  CHECK(f.count("SELECT COUNT(*) FROM audit_log WHERE action = 'user.password'") == 1);
}
