#include <doctest/doctest.h>

#include "fixture.h"

using namespace tt;
using namespace tt::auth;
using tt::auth::test::Fixture;

namespace {

struct Watch {
  std::vector<Revocation> seen;
  explicit Watch(AuthService& auth) {
    auth.on_revoked([this](const Revocation& r) { seen.push_back(r); });
  }
};

}  // namespace

TEST_CASE("revocations: principals carry what names and ends their credential") {
  Fixture f({.session_ttl_ms = 60'000});
  f.setup_admin();
  auto s = f.auth->login("admin", "correct horse", "");
  REQUIRE(s.ok());
  CHECK(s->principal.session_id.size() == 32);
  CHECK(s->principal.session_id.find(s->cookie_token) == std::string::npos);
  CHECK(s->principal.expires_at == s->expires_at);
  auto p = f.auth->authenticate_session(s->cookie_token);
  REQUIRE(p.ok());
  CHECK(p->session_id == s->principal.session_id);
  CHECK(p->expires_at == s->expires_at);

  auto t = f.auth->create_token("admin", "ci", 120'000, "admin", "");
  REQUIRE(t.ok());
  auto tp = f.auth->authenticate_token(t->token);
  REQUIRE(tp.ok());
  CHECK(tp->token_id == t->id);
  CHECK(tp->expires_at == *t->info.expires_at);
  auto forever = f.auth->create_token("admin", "forever", 0, "admin", "");
  CHECK(f.auth->authenticate_token(forever->token)->expires_at == 0);
}

TEST_CASE(
    "revocations: logout, token revoke, user delete and password change are told after commit") {
  Fixture f;
  auto admin = f.setup_admin();
  auto bob = f.auth->create_user("bob", Role::viewer, "bob password", "admin", "");
  REQUIRE(bob.ok());
  Watch w(*f.auth);
  auto s1 = f.auth->login("bob", "bob password", "");
  auto s2 = f.auth->login("bob", "bob password", "");
  auto t = f.auth->create_token("bob", "ci", 0, "admin", "");
  REQUIRE((s1.ok() && s2.ok() && t.ok()));
  const Principal p1 = s1->principal, p2 = s2->principal,
                  pt = f.auth->authenticate_token(t->token).value();
  CHECK(w.seen.empty());

  REQUIRE(f.auth->logout(s1->cookie_token).ok());
  REQUIRE(w.seen.size() == 1);
  CHECK(w.seen[0].covers(p1));
  CHECK_FALSE(w.seen[0].covers(p2));
  CHECK_FALSE(w.seen[0].covers(pt));
  REQUIRE(f.auth->logout(s1->cookie_token).ok());  // nothing ended: nothing told
  CHECK(w.seen.size() == 1);

  REQUIRE(f.auth->revoke_token(t->id, "admin", "").ok());
  REQUIRE(w.seen.size() == 2);
  CHECK(w.seen[1].covers(pt));
  CHECK_FALSE(w.seen[1].covers(p2));

  // A password change ends the other sessions, not the one kept, nor tokens.
  auto s3 = f.auth->login("bob", "bob password", "");
  REQUIRE(f.auth->set_password(bob->id, "new bob password", "bob", "", s3->cookie_token).ok());
  REQUIRE(w.seen.size() == 3);
  CHECK(w.seen[2].covers(p2));
  CHECK_FALSE(w.seen[2].covers(s3->principal));
  Principal other_token = pt;
  other_token.token_id = 999;
  CHECK_FALSE(w.seen[2].covers(other_token));
  CHECK_FALSE(w.seen[2].covers(f.auth->login("admin", "correct horse", "")->principal));

  // Deleting the user ends everything of theirs.
  REQUIRE(f.auth->delete_user(bob->id, "admin", "").ok());
  REQUIRE(w.seen.size() == 4);
  for (const Principal& p : {p2, pt, s3->principal}) CHECK(w.seen[3].covers(p));
  CHECK_FALSE(w.seen[3].covers(f.auth->login("admin", "correct horse", "")->principal));
  // Failed changes tell nothing.
  CHECK_FALSE(f.auth->delete_user(admin.id, "admin", "").ok());
  CHECK(w.seen.size() == 4);
}
