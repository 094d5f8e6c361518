#include <fmt/format.h>

#include "api/api.h"

namespace tt::api {

namespace {

// Required string fields of a small JSON form; every missing or mistyped one is reported.
Result<std::vector<std::string>> string_fields(const nlohmann::json& body,
                                               std::initializer_list<const char*> names) {
  if (!body.is_object())
    return Error::make(ErrorKind::validation, "VALIDATION_FAILED",
                       "the body must be a JSON object");
  std::vector<std::string> out;
  std::vector<FieldError> errs;
  for (const char* n : names) {
    auto it = body.find(n);
    if (it == body.end())
      errs.push_back({n, "is required"});
    else if (!it->is_string())
      errs.push_back({n, "must be a string"});
    else
      out.push_back(it->get<std::string>());
  }
  if (!errs.empty())
    return Error{ErrorKind::validation, "VALIDATION_FAILED", "some fields are not valid", errs, {}};
  return out;
}

bool is_loopback(const std::string& address) {
  return address.starts_with("127.") || address == "::1" || address.starts_with("::ffff:127.");
}

// The browser used https: to us, or to a trusted reverse proxy that says so, or to a reverse
// proxy on this host that says so in X-Forwarded-Proto (a header from anyone else proves nothing).
bool browser_used_https(const http::Context& ctx) {
  if (ctx.tls || ctx.origin.scheme == "https") return true;
  return !ctx.origin.proxied && is_loopback(ctx.req.remote_addr) &&
         ctx.req.get_header_value("X-Forwarded-Proto") == "https";
}

std::string session_cookie(const http::Context& ctx, const std::string& value,
                           std::int64_t max_age_s) {
  return fmt::format("{}={}; Path=/; Max-Age={}; HttpOnly; SameSite=Strict{}", http::kSessionCookie,
                     value, max_age_s, browser_used_https(ctx) ? "; Secure" : "");
}

}  // namespace

nlohmann::json to_json(const auth::User& u) {
  return {{"id", u.id},
          {"name", u.name},
          {"role", auth::role_name(u.role)},
          {"created_at", format_rfc3339(u.created_at)},
          {"updated_at", format_rfc3339(u.updated_at)}};
}

void register_auth(http::Router& r, Services& s) {
  auto& auth = s.auth;
  r.add({"GET", "/api/v1/setup", http::Access::public_, [&auth](http::Context& ctx) {
           auto has = auth.has_users();
           if (!has.ok()) return ctx.error(has.error());
           ctx.ok({{"needs_setup", !has.value()}});
         }});
  r.add({"POST", "/api/v1/setup", http::Access::public_, [&auth](http::Context& ctx) {
           auto body = ctx.json_body();
           if (!body.ok()) return ctx.error(body.error());
           auto f = string_fields(body.value(), {"setup_code", "username", "password"});
           if (!f.ok()) return ctx.error(f.error());
           auto user = auth.complete_setup(f->at(0), f->at(1), f->at(2), ctx.remote());
           if (!user.ok()) return ctx.error(user.error());
           ctx.ok(to_json(user.value()), 201);
         }});
  r.add({"POST", "/api/v1/auth/login", http::Access::public_, [&auth](http::Context& ctx) {
           auto body = ctx.json_body();
           if (!body.ok()) return ctx.error(body.error());
           auto f = string_fields(body.value(), {"username", "password"});
           if (!f.ok()) return ctx.error(f.error());
           auto session = auth.login(f->at(0), f->at(1), ctx.remote());
           if (!session.ok()) return ctx.error(session.error());
           auto now = SystemClock::instance().now_ms();
           ctx.res.set_header("Set-Cookie", session_cookie(ctx, session->cookie_token,
                                                           (session->expires_at - now) / 1000));
           ctx.ok({{"user", session->principal.user},
                   {"role", auth::role_name(session->principal.role)},
                   {"csrf_token", session->csrf_token},
                   {"expires_at", format_rfc3339(session->expires_at)}});
         }});
  r.add({"POST", "/api/v1/auth/logout", http::Access::authenticated, [&auth](http::Context& ctx) {
           if (auto cookie = http::cookie_value(ctx.req, http::kSessionCookie); !cookie.empty()) {
             auto done = auth.logout(cookie);
             if (!done.ok()) return ctx.error(done.error());
           }
           ctx.res.set_header("Set-Cookie", session_cookie(ctx, "", 0));
           ctx.no_content();
         }});
  // One's own password, with the current one; the session it is changed from stays open, the
  // user's other sessions end.
  r.add({"POST", "/api/v1/auth/password", http::Access::authenticated, [&auth](http::Context& ctx) {
           auto body = ctx.json_body();
           if (!body.ok()) return ctx.error(body.error());
           auto f = string_fields(body.value(), {"current_password", "new_password"});
           if (!f.ok()) return ctx.error(f.error());
           const auto& p = *ctx.principal;
           auto done =
               auth.change_own_password(p.user_id, f->at(0), f->at(1), ctx.remote(),
                                        p.via == auth::Principal::Via::session
                                            ? http::cookie_value(ctx.req, http::kSessionCookie)
                                            : std::string());
           if (!done.ok()) return ctx.error(done.error());
           ctx.no_content();
         }});
  r.add({"GET", "/api/v1/auth/me", http::Access::authenticated, [](http::Context& ctx) {
           const auto& p = *ctx.principal;
           nlohmann::json me = {
               {"user", p.user},
               {"role", auth::role_name(p.role)},
               {"via", p.via == auth::Principal::Via::session ? "session" : "token"}};
           if (p.via == auth::Principal::Via::session) me["csrf_token"] = p.csrf_token;
           ctx.ok(me);
         }});
}

}  // namespace tt::api
