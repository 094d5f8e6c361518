#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <thread>

#include "fixture.h"

using namespace tt;
using namespace tt::auth;
using tt::auth::test::Fixture;

TEST_CASE("login creates a session; only the cookie's hash is stored") {
  Fixture f({.session_ttl_ms = 60'000});
  auto admin = f.setup_admin();
  auto s = f.auth->login("ADMIN", "correct horse", "10.1.1.1");
  REQUIRE(s.ok());
  CHECK(s->cookie_token.size() == 43);
  CHECK_FALSE(s->csrf_token.empty());
  CHECK(s->expires_at == f.clock.now_ms() + 60'000);
  CHECK(s->principal.user_id == admin.id);
  CHECK(s->principal.user == "admin");
  CHECK(s->principal.role == Role::admin);
  CHECK(s->principal.via == Principal::Via::session);
  CHECK(s->principal.csrf_token == s->csrf_token);

  auto stored = f.readers->with([&](SQLite::Database& db) -> Result<std::string> {
    SQLite::Statement q(db, "SELECT token_hash FROM sessions");
    REQUIRE(q.executeStep());
    auto col = q.getColumn(0);
    return std::string(static_cast<const char*>(col.getBlob()),
                       static_cast<std::size_t>(col.getBytes()));
  });
  REQUIRE(stored.ok());
  auto expected = sha256(s->cookie_token);
  CHECK(stored.value() ==
        std::string(reinterpret_cast<const char*>(expected.data()), expected.size()));
  CHECK(stored.value().find(s->cookie_token) == std::string::npos);

  auto p = f.auth->authenticate_session(s->cookie_token);
  REQUIRE(p.ok());
  CHECK(p->user == "admin");
  CHECK(p->csrf_token == s->csrf_token);
  CHECK(f.count("SELECT COUNT(*) FROM audit_log WHERE action = 'user.login'") == 1);
}

TEST_CASE("wrong password and unknown user fail the same way") {
  Fixture f;
  f.setup_admin();
  auto wrong = f.auth->login("admin", "wrong password", "");
  auto unknown = f.auth->login("nobody", "correct horse", "");
  auto invalid = f.auth->login("bad name!", "correct horse", "");
  for (const auto* r : {&wrong, &unknown, &invalid}) {
    REQUIRE_FALSE(r->ok());
    CHECK(r->error().kind == ErrorKind::unauthenticated);
    CHECK(r->error().code == "INVALID_CREDENTIALS");
    CHECK(r->error().message == wrong.error().message);
  }
  CHECK(f.count("SELECT COUNT(*) FROM sessions") == 0);
}

TEST_CASE("an api account without a password cannot log in") {
  Fixture f;
  f.setup_admin();
  REQUIRE(f.auth->create_user("bot", Role::api, "", "admin", "").ok());
  CHECK(f.auth->login("bot", "", "").error().code == "INVALID_CREDENTIALS");
  CHECK(f.auth->login("bot", "anything long", "").error().code == "INVALID_CREDENTIALS");
}

TEST_CASE("sessions expire; logout ends them") {
  Fixture f({.session_ttl_ms = 60'000});
  f.setup_admin();
  auto s = f.auth->login("admin", "correct horse", "");
  REQUIRE(s.ok());
  f.clock.advance_ms(59'999);
  CHECK(f.auth->authenticate_session(s->cookie_token).ok());
  f.clock.advance_ms(1);
  auto expired = f.auth->authenticate_session(s->cookie_token);
  REQUIRE_FALSE(expired.ok());
  CHECK(expired.error().kind == ErrorKind::unauthenticated);
  CHECK(expired.error().code == "SESSION_INVALID");

  // A new login prunes the user's expired sessions.
  auto s2 = f.auth->login("admin", "correct horse", "");
  REQUIRE(s2.ok());
  CHECK(f.count("SELECT COUNT(*) FROM sessions") == 1);
  CHECK(f.auth->logout(s2->cookie_token).ok());
  CHECK(f.auth->authenticate_session(s2->cookie_token).error().code == "SESSION_INVALID");
  CHECK(f.auth->logout(s2->cookie_token).ok());  // idempotent
  CHECK(f.auth->authenticate_session("").error().code == "SESSION_INVALID");
  CHECK(f.auth->authenticate_session("garbage").error().code == "SESSION_INVALID");
  CHECK(f.count("SELECT COUNT(*) FROM audit_log WHERE action = 'user.logout'") == 1);
}

TEST_CASE("login lockout per address, for one user name and for any") {
  Fixture f({.session_ttl_ms = 60'000,
             .login_max_failures = 3,
             .login_window_ms = 10 * 60'000,
             .login_address_max_failures = 5});
  f.setup_admin();
  REQUIRE(f.auth->create_user("bob", Role::viewer, "bob password", "admin", "").ok());
  // Three failures for bob from one address lock that address out for bob only.
  for (int i = 0; i < 3; ++i)
    CHECK(f.auth->login("bob", "wrong one", "6.6.6.6").error().code == "INVALID_CREDENTIALS");
  f.clock.advance_ms(60'000);
  auto blocked = f.auth->login("bob", "bob password", "6.6.6.6");  // refused without being checked
  REQUIRE_FALSE(blocked.ok());
  CHECK(blocked.error().kind == ErrorKind::rate_limited);
  CHECK(blocked.error().code == "LOGIN_RATE_LIMITED");
  REQUIRE(blocked.error().retry_after_s.has_value());
  CHECK(*blocked.error().retry_after_s == 9 * 60);
  CHECK(f.auth->login("BOB", "bob password", "6.6.6.6").error().code == "LOGIN_RATE_LIMITED");
  CHECK(f.auth->login("admin", "correct horse", "6.6.6.6").ok());
  // Failures spread over names lock the address out for every name at the address limit.
  CHECK(f.auth->login("x1", "whatever1", "6.6.6.6").error().code == "INVALID_CREDENTIALS");
  CHECK(f.auth->login("x2", "whatever1", "6.6.6.6").error().code == "INVALID_CREDENTIALS");
  CHECK(f.auth->login("admin", "correct horse", "6.6.6.6").error().code == "LOGIN_RATE_LIMITED");
  // The window passes.
  f.clock.advance_ms(9 * 60'000);
  CHECK(f.auth->login("bob", "bob password", "6.6.6.6").ok());
}

TEST_CASE("failures for a user name from many addresses slow it down but never lock it") {
  std::vector<std::int64_t> pauses;
  Fixture f({.session_ttl_ms = 60'000,
             .login_max_failures = 3,
             .login_window_ms = 60'000,
             .pause = [&](std::int64_t ms) { pauses.push_back(ms); }});
  f.setup_admin();
  // Anyone guessing at the admin from many addresses...
  for (int i = 0; i < 10; ++i)
    CHECK(f.auth->login("admin", "wrong one", "2.0.0." + std::to_string(i)).error().code ==
          "INVALID_CREDENTIALS");
  // ...made each attempt after the third wait longer, up to the cap.
  CHECK(pauses == std::vector<std::int64_t>{500, 1000, 2000, 3000, 3000, 3000, 3000});
  // The right password from a fresh address still gets in, after the capped wait.
  pauses.clear();
  CHECK(f.auth->login("Admin", "correct horse", "3.0.0.1").ok());
  CHECK(pauses == std::vector<std::int64_t>{3000});
  // Which ends the slowdown.
  pauses.clear();
  CHECK(f.auth->login("admin", "correct horse", "3.0.0.2").ok());
  CHECK(pauses.empty());
  // Failures leave the window.
  for (int i = 0; i < 4; ++i)
    CHECK_FALSE(f.auth->login("admin", "wrong one", "4.0.0." + std::to_string(i)).ok());
  CHECK(pauses == std::vector<std::int64_t>{500});
  f.clock.advance_ms(60'000);
  pauses.clear();
  CHECK(f.auth->login("admin", "correct horse", "4.0.0.9").ok());
  CHECK(pauses.empty());
}

TEST_CASE("slowed logins hold few threads: one waits per name, login_max_waiting in all") {
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  std::atomic<int> waiting{0};
  Fixture f({.login_max_failures = 1,
             .login_window_ms = 60'000,
             .login_max_waiting = 2,
             .pause = [&](std::int64_t) {
               ++waiting;
               released.wait();
             }});
  f.setup_admin();
  int address = 0;
  auto from = [&] { return "2.0.0." + std::to_string(++address); };
  for (const char* name : {"admin", "ghost", "nobody"})
    CHECK(f.auth->login(name, "wrong one", from()).error().code == "INVALID_CREDENTIALS");
  auto waits_for = [&](int n) {
    for (int i = 0; i < 500 && waiting < n; ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    return waiting == n;
  };

  auto admin = std::async(std::launch::async,
                          [&] { return f.auth->login("admin", "correct horse", from()); });
  REQUIRE(waits_for(1));
  // A second login for the same name does not wait beside it: it is told when to come back.
  auto again = f.auth->login("admin", "correct horse", from());
  REQUIRE_FALSE(again.ok());
  CHECK(again.error().code == "LOGIN_RATE_LIMITED");
  CHECK(again.error().retry_after_s == 1);
  auto ghost =
      std::async(std::launch::async, [&] { return f.auth->login("ghost", "wrong one", from()); });
  REQUIRE(waits_for(2));
  // Two wait: a third name is turned away too.
  CHECK(f.auth->login("nobody", "wrong one", from()).error().code == "LOGIN_RATE_LIMITED");

  release.set_value();
  CHECK(admin.get().ok());
  CHECK(ghost.get().error().code == "INVALID_CREDENTIALS");
  CHECK(f.auth->login("nobody", "wrong one", from()).error().code == "INVALID_CREDENTIALS");
  CHECK(waiting == 3);
}
