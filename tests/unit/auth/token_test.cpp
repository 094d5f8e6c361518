#include <doctest/doctest.h>

#include "fixture.h"

using namespace tt;
using namespace tt::auth;
using tt::auth::test::Fixture;

TEST_CASE("tokens: create, authenticate, list; stored hashed") {
  Fixture f;
  f.setup_admin();
  auto bot = f.auth->create_user("ci-bot", Role::api, "", "admin", "");
  REQUIRE(bot.ok());
  auto t = f.auth->create_token("CI-BOT", "deploys", 0, "admin", "9.9.9.9");
  REQUIRE(t.ok());
  CHECK(t->token.starts_with("tt_"));
  CHECK(t->token.size() == 3 + 43);
  CHECK(t->info.prefix == t->token.substr(0, 10));
  CHECK(t->info.user == "ci-bot");
  CHECK(t->info.user_id == bot->id);
  CHECK_FALSE(t->info.expires_at.has_value());
  CHECK(t->id == t->info.id);
  CHECK(f.count("SELECT COUNT(*) FROM api_tokens WHERE token_hash = '" + t->token + "'") == 0);
  CHECK(f.count("SELECT length(token_hash) FROM api_tokens") == 32);

  auto p = f.auth->authenticate_token(t->token);
  REQUIRE(p.ok());
  CHECK(p->user == "ci-bot");
  CHECK(p->role == Role::api);
  CHECK(p->via == Principal::Via::token);
  CHECK(p->token_id == t->id);

  for (const std::string& bad :
       {std::string(""), std::string("tt_nope"), t->token.substr(3), t->token + "x"}) {
    auto r = f.auth->authenticate_token(bad);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().kind == ErrorKind::unauthenticated);
    CHECK(r.error().code == "TOKEN_INVALID");
  }

  REQUIRE(f.auth->create_token("admin", "laptop", 0, "admin", "").ok());
  auto all = f.auth->list_tokens(std::nullopt, {});
  REQUIRE(all.ok());
  CHECK(all->total == 2);
  CHECK(all->items[0].label == "laptop");  // newest first
  auto mine = f.auth->list_tokens(std::string("ci-bot"), {});
  REQUIRE(mine.ok());
  REQUIRE(mine->total == 1);
  CHECK(mine->items[0].label == "deploys");

  auto unknown = f.auth->create_token("nobody", "x", 0, "admin", "");
  REQUIRE_FALSE(unknown.ok());
  CHECK(unknown.error().kind == ErrorKind::not_found);
  CHECK(unknown.error().code == "USER_NOT_FOUND");
  CHECK(f.auth->create_token("admin", "", 0, "admin", "").error().fields.at(0).field == "label");
  CHECK(f.auth->create_token("admin", "x", -1, "admin", "").error().fields.at(0).field ==
        "expires_in_ms");

  auto audit = f.auth->list_audit({}, std::nullopt, std::string("token.*"));
  REQUIRE(audit.ok());
  CHECK(audit->total == 2);
  CHECK(audit->items[1].target == "ci-bot");
  CHECK(audit->items[1].remote == "9.9.9.9");
  CHECK(audit->items[1].details["prefix"] == t->info.prefix);
}

TEST_CASE("tokens: expiry") {
  Fixture f;
  f.setup_admin();
  auto t = f.auth->create_token("admin", "short-lived", 60'000, "admin", "");
  REQUIRE(t.ok());
  REQUIRE(t->info.expires_at.has_value());
  CHECK(*t->info.expires_at == f.clock.now_ms() + 60'000);
  f.clock.advance_ms(59'999);
  CHECK(f.auth->authenticate_token(t->token).ok());
  f.clock.advance_ms(1);
  CHECK(f.auth->authenticate_token(t->token).error().code == "TOKEN_INVALID");
}

TEST_CASE("tokens: a lifetime under a minute is refused, naming the field") {
  Fixture f;
  f.setup_admin();
  for (std::int64_t ms : {1, 1000, 59'999}) {
    auto t = f.auth->create_token("admin", "blink", ms, "admin", "");
    REQUIRE_FALSE(t.ok());
    CHECK(t.error().code == "VALIDATION_FAILED");
    CHECK(t.error().fields.at(0).field == "expires_in");
  }
  CHECK(f.auth->create_token("admin", "minute", 60'000, "admin", "").ok());
  CHECK(f.count("SELECT COUNT(*) FROM api_tokens") == 1);
}

TEST_CASE("tokens: revoke") {
  Fixture f;
  f.setup_admin();
  auto t = f.auth->create_token("admin", "ci", 0, "admin", "");
  REQUIRE(t.ok());
  CHECK(f.auth->authenticate_token(t->token).ok());
  REQUIRE(f.auth->revoke_token(t->id, "admin", "5.5.5.5").ok());
  CHECK(f.auth->authenticate_token(t->token).error().code == "TOKEN_INVALID");
  CHECK(f.auth->revoke_token(t->id, "admin", "").ok());  // already revoked: fine, not audited twice
  auto missing = f.auth->revoke_token(4242, "admin", "");
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.error().kind == ErrorKind::not_found);
  CHECK(missing.error().code == "TOKEN_NOT_FOUND");
  auto info = f.auth->get_token(t->id);
  REQUIRE(info.ok());
  CHECK(info->revoked_at == f.clock.now_ms());
  CHECK(f.count("SELECT COUNT(*) FROM audit_log WHERE action = 'token.revoke'") == 1);
}

TEST_CASE("tokens: last_used_at is recorded lazily, at most once a minute") {
  Fixture f;
  f.setup_admin();
  auto t = f.auth->create_token("admin", "ci", 0, "admin", "");
  REQUIRE(t.ok());
  const TimeMs t0 = f.clock.now_ms();
  REQUIRE(f.auth->authenticate_token(t->token).ok());
  f.flush();
  CHECK(f.auth->get_token(t->id)->last_used_at == t0);
  f.clock.advance_ms(30'000);
  REQUIRE(f.auth->authenticate_token(t->token).ok());
  f.flush();
  CHECK(f.auth->get_token(t->id)->last_used_at == t0);
  f.clock.advance_ms(30'000);
  REQUIRE(f.auth->authenticate_token(t->token).ok());
  f.flush();
  CHECK(f.auth->get_token(t->id)->last_used_at == t0 + 60'000);
}
