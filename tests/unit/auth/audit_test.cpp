#include <doctest/doctest.h>

#include "fixture.h"

using namespace tt;
using namespace tt::auth;
using tt::auth::test::Fixture;

TEST_CASE("record_audit commits with the writer job, and rolls back with it") {
  Fixture f;
  auto okr = f.writer->run<bool>([&](SQLite::Database& db) -> Result<bool> {
    AuthService::record_audit(
        db, AuditEntry{0, 1000, "cli", "node.create", "web-1", "", {{"type", "vm"}}});
    return true;
  });
  REQUIRE(okr.ok());
  auto failed = f.writer->run<bool>([&](SQLite::Database& db) -> Result<bool> {
    AuthService::record_audit(db, AuditEntry{0, 2000, "cli", "node.delete", "web-1", "", {}});
    return Error::make(ErrorKind::conflict, "NOPE", "the change failed");
  });
  REQUIRE_FALSE(failed.ok());
  auto page = f.auth->list_audit({});
  REQUIRE(page.ok());
  REQUIRE(page->total == 1);
  const auto& e = page->items[0];
  CHECK(e.at == 1000);
  CHECK(e.actor == "cli");
  CHECK(e.action == "node.create");
  CHECK(e.target == "web-1");
  CHECK(e.details["type"] == "vm");
}

TEST_CASE("list_audit: newest first, filters, paging") {
  Fixture f;
  REQUIRE(f.writer
              ->run<bool>([&](SQLite::Database& db) -> Result<bool> {
                for (int i = 0; i < 5; ++i) {
                  AuthService::record_audit(db, AuditEntry{0,
                                                           1000 + i,
                                                           i % 2 ? "alice" : "bob",
                                                           i < 3 ? "user.create" : "node.create",
                                                           "t" + std::to_string(i),
                                                           "",
                                                           {}});
                }
                return true;
              })
              .ok());
  auto all = f.auth->list_audit({1, 2});
  REQUIRE(all.ok());
  CHECK(all->total == 5);
  REQUIRE(all->items.size() == 2);
  CHECK(all->items[0].target == "t4");
  CHECK(all->items[1].target == "t3");
  CHECK(f.auth->list_audit({3, 2})->items.at(0).target == "t0");

  auto alice = f.auth->list_audit({}, std::string("alice"));
  REQUIRE(alice.ok());
  CHECK(alice->total == 2);
  auto users = f.auth->list_audit({}, std::nullopt, std::string("user.*"));
  REQUIRE(users.ok());
  CHECK(users->total == 3);
  auto bob_users = f.auth->list_audit({}, std::string("bob"), std::string("user.create"));
  REQUIRE(bob_users.ok());
  CHECK(bob_users->total == 2);
  CHECK(f.auth->list_audit({}, std::nullopt, std::string("user"))->total == 0);
}
