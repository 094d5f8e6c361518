#include <doctest/doctest.h>

#include "fixture.h"
#include "http/router.h"

using namespace tt;
using namespace tt::auth;
using tt::auth::test::Fixture;

namespace {

std::optional<TimeMs> last_used(Fixture& f, std::int64_t id) {
  f.flush();
  const auto links = f.auth->list_kiosk_links({});
  REQUIRE(links.ok());
  for (const auto& l : links->items)
    if (l.id == id) return l.last_used_at;
  return std::nullopt;
}

httplib::Request request(const std::string& method, const std::string& authorization) {
  httplib::Request req;
  req.method = method;
  if (!authorization.empty()) req.set_header("Authorization", authorization);
  return req;
}

}  // namespace

TEST_CASE("kiosk links: made, stored hashed, authenticated, revoked at once") {
  Fixture f;
  f.setup_admin();
  auto made = f.auth->create_kiosk_link("lobby screen", "admin", "9.9.9.9");
  REQUIRE(made.ok());
  CHECK(made->token.starts_with("ttk_"));
  CHECK(made->token.size() == 4 + 43);
  CHECK(made->info.prefix == made->token.substr(0, 12));
  CHECK(made->info.created_by == "admin");
  CHECK(f.count("SELECT COUNT(*) FROM kiosk_links WHERE token_hash = '" + made->token + "'") == 0);
  CHECK(f.count("SELECT length(token_hash) FROM kiosk_links") == 32);

  auto p = f.auth->authenticate_kiosk(made->token);
  REQUIRE(p.ok());
  CHECK(p->via == Principal::Via::kiosk);
  CHECK(p->user == "kiosk:lobby screen");
  CHECK(p->user_id == 0);
  CHECK(p->token_id == made->info.id);

  // An API token is no kiosk link, and a kiosk link no API token.
  auto api = f.auth->create_token("admin", "ci", 0, "admin", "");
  REQUIRE(api.ok());
  for (const std::string& bad : {std::string(""), std::string("ttk_nope"), made->token + "x",
                                 made->token.substr(0, made->token.size() - 1), api->token,
                                 "ttk_" + std::string(200, 'a')}) {
    auto r = f.auth->authenticate_kiosk(bad);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().kind == ErrorKind::unauthenticated);
    CHECK(r.error().code == "KIOSK_LINK_INVALID");
  }
  CHECK(f.auth->authenticate_token(made->token).error().code == "TOKEN_INVALID");

  CHECK(f.auth->create_kiosk_link("", "admin", "").error().fields.at(0).field == "name");
  CHECK(f.auth->create_kiosk_link("a\nb", "admin", "").error().fields.at(0).field == "name");
  auto second = f.auth->create_kiosk_link("office", "admin", "");
  REQUIRE(second.ok());
  auto all = f.auth->list_kiosk_links({});
  REQUIRE(all.ok());
  CHECK(all->total == 2);
  CHECK(all->items[0].name == "office");  // newest first

  REQUIRE(f.auth->revoke_kiosk_link(made->info.id, "admin", "").ok());
  CHECK(f.auth->authenticate_kiosk(made->token).error().code == "KIOSK_LINK_INVALID");
  CHECK(f.auth->authenticate_kiosk(second->token).ok());
  REQUIRE(f.auth->revoke_kiosk_link(made->info.id, "admin", "").ok());  // again: no change
  CHECK(f.auth->revoke_kiosk_link(999, "admin", "").error().code == "KIOSK_LINK_NOT_FOUND");
  CHECK(f.count("SELECT COUNT(*) FROM audit_log WHERE action = 'kiosk_link.create'") == 2);
  CHECK(f.count("SELECT COUNT(*) FROM audit_log WHERE action = 'kiosk_link.revoke'") == 1);
}

TEST_CASE("kiosk links: last_used_at is stamped lazily, at most once a minute") {
  Fixture f;
  f.setup_admin();
  auto made = f.auth->create_kiosk_link("wall", "admin", "");
  REQUIRE(made.ok());
  const TimeMs t0 = f.clock.now_ms();
  CHECK(last_used(f, made->info.id) == std::nullopt);
  REQUIRE(f.auth->authenticate_kiosk(made->token).ok());
  CHECK(last_used(f, made->info.id) == t0);
  f.clock.advance_ms(30'000);
  REQUIRE(f.auth->authenticate_kiosk(made->token).ok());
  CHECK(last_used(f, made->info.id) == t0);
  f.clock.advance_ms(30'000);
  REQUIRE(f.auth->authenticate_kiosk(made->token).ok());
  CHECK(last_used(f, made->info.id) == t0 + 60'000);
}

TEST_CASE("kiosk links: the route gate lets a link read kiosk routes only") {
  Fixture f;
  f.setup_admin();
  auto made = f.auth->create_kiosk_link("wall", "admin", "");
  REQUIRE(made.ok());
  auto api = f.auth->create_token("admin", "ci", 0, "admin", "");
  REQUIRE(api.ok());
  http::Authenticator auth{[&f](const std::string& c) { return f.auth->authenticate_session(c); },
                           [&f](const std::string& b) { return f.auth->authenticate_token(b); },
                           [&f](const std::string& k) { return f.auth->authenticate_kiosk(k); }};
  const std::string kiosk = "Kiosk " + made->token;

  auto ok = http::admit(auth, http::Access::kiosk, request("GET", kiosk));
  REQUIRE(ok.ok());
  CHECK(ok->via == Principal::Via::kiosk);
  CHECK(http::admit(auth, http::Access::kiosk, request("GET", "kiosk " + made->token)).ok());
  for (auto access : {http::Access::authenticated, http::Access::read, http::Access::operate,
                      http::Access::admin}) {
    for (const char* method : {"GET", "POST", "PATCH", "DELETE"}) {
      auto r = http::admit(auth, access, request(method, kiosk));
      REQUIRE_FALSE(r.ok());
      CHECK(r.error().kind == ErrorKind::forbidden);
      CHECK(r.error().code == "KIOSK_FORBIDDEN");
    }
  }
  // Kiosk routes are reads for everyone else: any reader's credentials pass.
  CHECK(http::admit(auth, http::Access::kiosk, request("GET", "Bearer " + api->token)).ok());
  CHECK(http::admit(auth, http::Access::kiosk, request("GET", "")).error().code ==
        "UNAUTHENTICATED");
  // The link as a Bearer token, or a token as a kiosk link, is nobody.
  CHECK(http::admit(auth, http::Access::kiosk, request("GET", "Bearer " + made->token))
            .error()
            .code == "TOKEN_INVALID");
  CHECK(
      http::admit(auth, http::Access::kiosk, request("GET", "Kiosk " + api->token)).error().code ==
      "KIOSK_LINK_INVALID");
  CHECK(http::admit(auth, http::Access::read, request("GET", "Kioskttk_x")).error().code ==
        "TOKEN_INVALID");
  // authenticate() serves the WebSocket upgrade and the body gate: a link opens neither.
  auto ws = http::authenticate(auth, kiosk, "");
  REQUIRE_FALSE(ws.ok());
  CHECK(ws.error().code == "KIOSK_FORBIDDEN");

  REQUIRE(f.auth->revoke_kiosk_link(made->info.id, "admin", "").ok());
  auto revoked = http::admit(auth, http::Access::kiosk, request("GET", kiosk));
  REQUIRE_FALSE(revoked.ok());
  CHECK(revoked.error().kind == ErrorKind::unauthenticated);
  CHECK(revoked.error().code == "KIOSK_LINK_INVALID");

  http::Authenticator without{auth.session, auth.token, nullptr};
  CHECK(http::admit(without, http::Access::kiosk, request("GET", kiosk)).error().code ==
        "KIOSK_LINK_INVALID");
}
