// http/router.h — our own route table on top of cpp-httplib, so every answer (404 for an
// unknown path, 405 for a known path with the wrong method, 415, 401, 403, 429) goes through
// the same middleware and carries the same envelope and headers.
#pragma once

#include <httplib.h>

#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "auth/auth.h"
#include "core/actor.h"
#include "core/page.h"
#include "core/result.h"
#include "http/forwarded.h"
#include "http/rate_limit.h"

namespace tt::http {

// One request as a handler sees it. Lives on the HTTP pool thread for the length of the call.
class Context {
 public:
  Context(const httplib::Request& req, httplib::Response& res, std::string request_id,
          ClientOrigin origin = {}, bool tls = false)
      : req(req),
        res(res),
        request_id(std::move(request_id)),
        origin(std::move(origin)),
        tls(tls) {}

  const httplib::Request& req;  // req.remote_addr is the peer's: a proxy's, when there is one
  httplib::Response& res;
  std::string request_id;
  ClientOrigin origin;  // who sent the request, through the trusted proxies (http/forwarded.h)
  bool tls;             // the connection to us is HTTPS
  std::map<std::string, std::string> params;  // from {name} segments of the route
  std::optional<auth::Principal> principal;   // set when the route needs authentication

  Actor actor() const;
  // The client's address: what rate limits, login throttling and the audit count by.
  const std::string& remote() const { return origin.address; }

  // The parsed JSON body (400 INVALID_JSON / JSON_TOO_DEEP on failure).
  Result<nlohmann::json> json_body() const;
  // A {name} path parameter that must be a positive integer (404 when it is not).
  Result<std::int64_t> id_param(const std::string& name, const char* not_found_code) const;
  // page and per_page query parameters (422 when out of range).
  Result<PageRequest> page_request() const;
  // An integer query parameter within [lo, hi]: absent leaves `out` as it is; anything else that
  // is not such an integer adds a field error (with `message`, or "must be an integer from lo to
  // hi").
  void int_query(const char* name, std::int64_t lo, std::int64_t hi, std::int64_t& out,
                 std::vector<FieldError>& errs, const char* message = nullptr) const;
  std::string query(const std::string& name) const { return req.get_param_value(name); }
  // Every value of a repeated query parameter, split at the first '=' only, so that
  // `label=site=lab` yields "site=lab" (cpp-httplib keeps only the text up to a second '=').
  std::vector<std::string> query_values(const std::string& name) const;

  void ok(const nlohmann::json& data, int status = 200);
  // `data` is JSON text (http::success_body_text).
  void ok_text(std::string_view data);
  void list(const nlohmann::json& items, std::int64_t total, const PageRequest& page);
  void error(const Error& e);
  void no_content() { res.status = 204; }
};

using Handler = std::function<void(Context&)>;

enum class Access {
  public_,        // no credentials needed
  authenticated,  // any signed-in principal
  read,           // auth::Permission::read
  operate,        // auth::Permission::operate
  admin,          // auth::Permission::admin
  // auth::Permission::read, and open to kiosk links too: the few reads the wall screen makes.
  // A kiosk link's request to any other route is refused (403 KIOSK_FORBIDDEN), so marking a
  // route kiosk is the one way to show it to whoever holds a link.
  kiosk,
};

struct Route {
  std::string method;
  std::string pattern;  // "/api/v1/nodes/{id}"
  Access access;
  Handler handler;
  // Body content types accepted on POST/PUT/PATCH; JSON unless a route says otherwise.
  std::vector<std::string> content_types = {"application/json"};
};

// How the router authenticates: resolves a session cookie, a bearer token or a kiosk link's
// token to a principal.
struct Authenticator {
  std::function<Result<auth::Principal>(const std::string& cookie_token)> session;
  std::function<Result<auth::Principal>(const std::string& bearer)> token;
  std::function<Result<auth::Principal>(const std::string& kiosk_token)> kiosk;  // null: none
};

constexpr const char* kSessionCookie = "tt_session";

// The token of an "Authorization: Bearer <token>" header (any case of "Bearer"); nullopt when the
// header is something else.
std::optional<std::string> bearer_token(const std::string& authorization);

// The token of an "Authorization: Kiosk <token>" header (any case of "Kiosk"): a kiosk link's,
// which only the router's kiosk routes take. nullopt when the header is something else.
std::optional<std::string> kiosk_token(const std::string& authorization);

// Who sent a request: the Bearer token of the Authorization header if there is one, else the
// session cookie. UNAUTHENTICATED when neither is present. Used by every route and by the
// WebSocket upgrade and the body gate alike; a kiosk link's header is refused here
// (403 KIOSK_FORBIDDEN): only Router::authorize takes it, for kiosk routes.
Result<auth::Principal> authenticate(const Authenticator& auth, const std::string& authorization,
                                     const std::string& cookie_header);

// Who may call a route declared with `access` (not public_): the principal, or the error to
// answer: 401 for missing or bad credentials, 403 CSRF_FAILED for a session's mutation without
// its CSRF token, 403 FORBIDDEN for a role below the route's, 403 KIOSK_FORBIDDEN for a kiosk
// link on a route not marked Access::kiosk. Kiosk requests are counted in
// telltale_kiosk_requests_total.
Result<auth::Principal> admit(const Authenticator& auth, Access access,
                              const httplib::Request& req);

struct RouterOptions {
  double api_rate_per_s = 100;  // per client address; 0 disables
  double api_burst = 200;
  TrustedProxies trusted_proxies;  // whose forwarding headers are believed
  bool tls = false;                // the server speaks HTTPS
};

// Who sent a request that came from `peer` with these headers (any case of the names).
ClientOrigin origin_of(const std::string& peer, const httplib::Headers& headers,
                       const TrustedProxies& trusted);

class Router {
 public:
  Router(Authenticator auth, RouterOptions options);
  void add(Route route);
  // Fallback for GETs that match no route outside /api/ (the embedded UI).
  void set_fallback(std::function<bool(Context&)> fallback) { m_fallback = std::move(fallback); }
  // Installs the catch-all handlers, error handler and default headers on the server.
  void install(httplib::Server& server);

 private:
  void dispatch(const httplib::Request& req, httplib::Response& res);
  bool authorize(Context& ctx, const Route& route);

  Authenticator m_auth;
  RouterOptions m_options;
  std::vector<Route> m_routes;
  std::function<bool(Context&)> m_fallback;
  RateLimiter m_limiter;
};

// Request id: the client's X-Request-ID when it is sane, else a new one.
std::string request_id_for(const httplib::Request& req);
// The value of one cookie in the Cookie header, or "".
std::string cookie_value(const httplib::Request& req, const std::string& name);
std::string cookie_value_from_header(const std::string& cookie_header, const std::string& name);

}  // namespace tt::http
