#include <doctest/doctest.h>

#include <thread>
#include <vector>

#include "fixture.h"

using namespace tt;
using namespace tt::auth;
using tt::auth::test::Fixture;

TEST_CASE("concurrent callers: users, logins, tokens") {
  Fixture f;
  f.setup_admin();
  constexpr int kThreads = 4;
  std::vector<std::thread> threads;
  std::vector<int> failures(kThreads, 0);
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      const std::string name = "user" + std::to_string(i);
      if (!f.auth->create_user(name, Role::operator_, "password " + name, "admin", "").ok())
        ++failures[i];
      // Everyone also races to create the same name: exactly one wins overall.
      (void)f.auth->create_user("shared", Role::viewer, "shared password", "admin", "");
      auto s = f.auth->login(name, "password " + name, "10.0.0." + std::to_string(i));
      if (!s.ok() || !f.auth->authenticate_session(s->cookie_token).ok()) ++failures[i];
      auto t = f.auth->create_token(name, "t", 0, "admin", "");
      for (int k = 0; k < 20 && t.ok(); ++k) {
        if (!f.auth->authenticate_token(t->token).ok()) ++failures[i];
      }
      if (!t.ok()) ++failures[i];
    });
  }
  for (auto& t : threads) t.join();
  for (int i = 0; i < kThreads; ++i) CHECK(failures[i] == 0);
  CHECK(f.count("SELECT COUNT(*) FROM users WHERE name = 'shared'") == 1);
  CHECK(f.count("SELECT COUNT(*) FROM users") == kThreads + 2);
  CHECK(f.count("SELECT COUNT(*) FROM audit_log WHERE action = 'user.create'") == kThreads + 1);
}
