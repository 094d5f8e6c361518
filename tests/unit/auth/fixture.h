// Shared by the auth unit tests: the services' database fixture (tests/unit/db/fixture.h) with an
// AuthService over it.
#pragma once

#include <stdexcept>

#include "../db/fixture.h"
#include "auth/auth.h"

namespace tt::auth::test {

struct Fixture : tt::test::DbFixture {
  std::unique_ptr<AuthService> auth;

  explicit Fixture(AuthOptions options = {}) {
    auth = std::make_unique<AuthService>(*writer, *readers, clock, options);
  }
  ~Fixture() { auth.reset(); }

  // Runs an urgent no-op writer job, which also flushes any queued lazy jobs.
  void flush() {
    (void)writer->run<bool>([](SQLite::Database&) -> Result<bool> { return true; });
  }

  // Creates the first admin through setup.
  User setup_admin(const std::string& name = "admin",
                   const std::string& password = "correct horse") {
    auto code = auth->setup_code();
    if (!code) throw std::runtime_error("no setup code");
    auto u = auth->complete_setup(*code, name, password, "127.0.0.1");
    if (!u.ok()) throw std::runtime_error(u.error().message);
    return u.value();
  }
};

}  // namespace tt::auth::test
