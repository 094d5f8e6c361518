#include "http/router.h"

#include <fmt/format.h>

#include <charconv>

#include "core/json.h"
#include "core/log.h"
#include "core/metrics.h"
#include "core/random.h"
#include "core/text.h"
#include "http/envelope.h"
#include "http/request_metrics.h"

namespace tt::http {

namespace {

metrics::Family& latency_family() {
  static auto& f = metrics::registry().family("telltale_http_request_duration_seconds",
                                              "Time to handle an HTTP request, by route.",
                                              metrics::Type::histogram, metrics::latency_buckets());
  return f;
}

// Splits "/a/b/c" into {"a","b","c"}.
std::vector<std::string_view> segments(std::string_view path) {
  std::vector<std::string_view> out;
  std::size_t i = 0;
  while (i < path.size()) {
    while (i < path.size() && path[i] == '/') ++i;
    std::size_t j = path.find('/', i);
    if (j == std::string_view::npos) j = path.size();
    if (j > i) out.push_back(path.substr(i, j - i));
    i = j;
  }
  return out;
}

bool match(const std::string& pattern, std::string_view path,
           std::map<std::string, std::string>& params) {
  auto ps = segments(pattern), xs = segments(path);
  if (ps.size() != xs.size()) return false;
  std::map<std::string, std::string> found;
  for (std::size_t i = 0; i < ps.size(); ++i) {
    if (ps[i].size() > 2 && ps[i].front() == '{' && ps[i].back() == '}') {
      found[std::string(ps[i].substr(1, ps[i].size() - 2))] = std::string(xs[i]);
    } else if (ps[i] != xs[i]) {
      return false;
    }
  }
  params = std::move(found);
  return true;
}

bool constant_time_equal(const std::string& a, const std::string& b) {
  if (a.size() != b.size()) return false;
  unsigned char diff = 0;
  for (std::size_t i = 0; i < a.size(); ++i) diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  return diff == 0;
}

bool is_mutation(const std::string& method) {
  return method == "POST" || method == "PUT" || method == "PATCH" || method == "DELETE";
}

}  // namespace

std::string request_id_for(const httplib::Request& req) {
  auto id = req.get_header_value("X-Request-ID");
  bool sane = !id.empty() && id.size() <= 64;
  for (unsigned char c : id) sane = sane && (std::isalnum(c) || c == '-' || c == '_' || c == '.');
  return sane ? id : random_hex(8);
}

std::string cookie_value(const httplib::Request& req, const std::string& name) {
  return cookie_value_from_header(req.get_header_value("Cookie"), name);
}

std::string cookie_value_from_header(const std::string& header, const std::string& name) {
  std::string_view s = header;
  while (!s.empty()) {
    auto semi = s.find(';');
    auto part = s.substr(0, semi);
    while (!part.empty() && part.front() == ' ') part.remove_prefix(1);
    auto eq = part.find('=');
    if (eq != std::string_view::npos && part.substr(0, eq) == name)
      return std::string(part.substr(eq + 1));
    if (semi == std::string_view::npos) break;
    s.remove_prefix(semi + 1);
  }
  return {};
}

Actor Context::actor() const {
  return Actor{principal ? principal->user : std::string("anonymous"), origin.address};
}

ClientOrigin origin_of(const std::string& peer, const httplib::Headers& headers,
                       const TrustedProxies& trusted) {
  if (!trusted.contains(peer)) return resolve_origin(peer, {}, trusted);
  ForwardingFields fields;
  auto values = [&headers](const char* name, std::vector<std::string_view>& out) {
    auto [first, last] = headers.equal_range(name);
    for (auto it = first; it != last; ++it) out.push_back(it->second);
  };
  values("Forwarded", fields.forwarded);
  values("X-Forwarded-For", fields.x_forwarded_for);
  values("X-Forwarded-Proto", fields.x_forwarded_proto);
  values("X-Forwarded-Host", fields.x_forwarded_host);
  return resolve_origin(peer, fields, trusted);
}

namespace {
std::string url_decode(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+') {
      out += ' ';
    } else if (s[i] == '%' && i + 2 < s.size() &&
               std::isxdigit(static_cast<unsigned char>(s[i + 1])) &&
               std::isxdigit(static_cast<unsigned char>(s[i + 2]))) {
      out += static_cast<char>(std::stoi(std::string(s.substr(i + 1, 2)), nullptr, 16));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}
}  // namespace

std::vector<std::string> Context::query_values(const std::string& name) const {
  std::vector<std::string> out;
  auto q = std::string_view(req.target);
  auto qm = q.find('?');
  if (qm == std::string_view::npos) return out;
  q.remove_prefix(qm + 1);
  while (!q.empty()) {
    auto amp = q.find('&');
    auto part = q.substr(0, amp);
    auto eq = part.find('=');
    if (eq != std::string_view::npos && url_decode(part.substr(0, eq)) == name)
      out.push_back(url_decode(part.substr(eq + 1)));
    if (amp == std::string_view::npos) break;
    q.remove_prefix(amp + 1);
  }
  return out;
}

Result<nlohmann::json> Context::json_body() const { return parse_json(req.body); }

Result<std::int64_t> Context::id_param(const std::string& name, const char* not_found_code) const {
  auto it = params.find(name);
  std::int64_t v = 0;
  if (it != params.end()) {
    auto [p, ec] = std::from_chars(it->second.data(), it->second.data() + it->second.size(), v);
    if (ec == std::errc() && p == it->second.data() + it->second.size() && v > 0) return v;
  }
  return Error::make(ErrorKind::not_found, not_found_code,
                     fmt::format("no such {}: '{}'", name, it == params.end() ? "" : it->second));
}

void Context::int_query(const char* name, std::int64_t lo, std::int64_t hi, std::int64_t& out,
                        std::vector<FieldError>& errs, const char* message) const {
  if (!req.has_param(name)) return;
  auto s = req.get_param_value(name);
  std::int64_t v = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || ptr != s.data() + s.size() || v < lo || v > hi)
    errs.push_back(
        {name, message ? message : fmt::format("must be an integer from {} to {}", lo, hi)});
  else
    out = v;
}

Result<PageRequest> Context::page_request() const {
  std::vector<FieldError> errs;
  std::int64_t page = 1, per_page = PageRequest{}.per_page;
  int_query("page", 1, 1'000'000, page, errs);
  int_query("per_page", 1, PageRequest::kMaxPerPage, per_page, errs);
  if (!errs.empty())
    return Error{ErrorKind::validation, "VALIDATION_FAILED", "bad pagination", errs, {}};
  return PageRequest{static_cast<int>(page), static_cast<int>(per_page)};
}

void Context::ok(const nlohmann::json& data, int status) {
  res.status = status;
  res.set_content(success_body(data, request_id), "application/json");
}

void Context::ok_text(std::string_view data) {
  res.status = 200;
  res.set_content(success_body_text(data, request_id), "application/json");
}

void Context::list(const nlohmann::json& items, std::int64_t total, const PageRequest& page) {
  res.status = 200;
  res.set_content(list_body(items, total, page, request_id), "application/json");
}

void Context::error(const Error& e) {
  res.status = status_for(e.kind);
  if (e.retry_after_s) res.set_header("Retry-After", std::to_string(*e.retry_after_s));
  if (e.kind == ErrorKind::unauthenticated && req.has_header("Authorization"))
    res.set_header("WWW-Authenticate", "Bearer");
  res.set_content(error_body(e, request_id), "application/json");
}

Router::Router(Authenticator auth, RouterOptions options)
    : m_auth(std::move(auth)),
      m_options(options),
      m_limiter(options.api_rate_per_s, options.api_burst) {}

void Router::add(Route route) { m_routes.push_back(std::move(route)); }

void Router::install(httplib::Server& server) {
  auto h = [this](const httplib::Request& req, httplib::Response& res) { dispatch(req, res); };
  server.Get(".*", h).Post(".*", h).Put(".*", h).Patch(".*", h).Delete(".*", h).Options(".*", h);
  server.set_default_headers(
      httplib::Headers(security_headers().begin(), security_headers().end()));
  // Errors cpp-httplib answers before routing (malformed request line, body over the limit...)
  // still get the envelope and a request id.
  server.set_error_handler(
      httplib::Server::HandlerWithResponse([](const httplib::Request& req, httplib::Response& res) {
        if (!res.body.empty()) return httplib::Server::HandlerResponse::Unhandled;
        std::string id = res.get_header_value("X-Request-ID");
        if (id.empty()) {
          id = request_id_for(req);
          res.set_header("X-Request-ID", id);
        }
        Error e = Error::make(ErrorKind::invalid_input, "BAD_REQUEST", "the request is malformed");
        if (res.status == 413)
          e = Error::make(ErrorKind::too_large, "PAYLOAD_TOO_LARGE",
                          "the request body is over the limit");
        else if (res.status == 414)
          e.code = "URI_TOO_LONG", e.message = "the request URI is too long";
        else if (res.status == 404)
          e = Error::make(ErrorKind::not_found, "NOT_FOUND", "not found");
        else if (res.status == 416)
          e.code = "RANGE_NOT_SATISFIABLE", e.message = "bad Range header";
        else if (res.status >= 500)
          e = Error::make(ErrorKind::internal, "INTERNAL", "internal error");
        res.set_content(error_body(e, id), "application/json");
        count_request("unmatched", req.method, res.status);
        return httplib::Server::HandlerResponse::Handled;
      }));
}

namespace {
// The rest of an Authorization header after "<scheme> " (any case of the scheme).
std::optional<std::string> scheme_token(const std::string& authorization, std::string_view scheme) {
  const std::size_t n = scheme.size() + 1;
  if (authorization.size() <= n || ascii_lower(authorization.substr(0, n - 1)) != scheme ||
      authorization[n - 1] != ' ')
    return std::nullopt;
  return authorization.substr(n);
}

Error kiosk_forbidden() {
  return Error::make(ErrorKind::forbidden, "KIOSK_FORBIDDEN",
                     "a kiosk link reads only what the wall screen shows");
}

// Requests made with a kiosk link, by outcome: served (a kiosk route), refused (another route),
// invalid (an unknown or revoked link).
void count_kiosk(const char* outcome) {
  static auto& family = metrics::registry().family("telltale_kiosk_requests_total",
                                                   "Requests made with a kiosk link, by outcome.",
                                                   metrics::Type::counter);
  family.counter({{"outcome", outcome}}).inc();
}
}  // namespace

std::optional<std::string> bearer_token(const std::string& authorization) {
  return scheme_token(authorization, "bearer");
}

std::optional<std::string> kiosk_token(const std::string& authorization) {
  return scheme_token(authorization, "kiosk");
}

Result<auth::Principal> authenticate(const Authenticator& auth, const std::string& authorization,
                                     const std::string& cookie_header) {
  if (!authorization.empty()) {
    if (kiosk_token(authorization)) return kiosk_forbidden();
    auto token = bearer_token(authorization);
    if (!token)
      return Error::make(ErrorKind::unauthenticated, "TOKEN_INVALID",
                         "the Authorization header must be 'Bearer <token>'");
    return auth.token(*token);
  }
  if (auto cookie = cookie_value_from_header(cookie_header, kSessionCookie); !cookie.empty())
    return auth.session(cookie);
  return Error::make(ErrorKind::unauthenticated, "UNAUTHENTICATED",
                     "sign in, or send an API token as 'Authorization: Bearer <token>'");
}

Result<auth::Principal> admit(const Authenticator& auth, Access access,
                              const httplib::Request& req) {
  const auto authorization = req.get_header_value("Authorization");
  if (auto kiosk = kiosk_token(authorization)) {
    auto who =
        auth.kiosk
            ? auth.kiosk(*kiosk)
            : Result<auth::Principal>(Error::make(ErrorKind::unauthenticated, "KIOSK_LINK_INVALID",
                                                  "this server takes no kiosk links"));
    if (!who.ok()) {
      count_kiosk("invalid");
      return who;
    }
    if (access != Access::kiosk) {
      count_kiosk("refused");
      return kiosk_forbidden();
    }
    count_kiosk("served");
    return who;
  }
  auto who = TT_TRY(authenticate(auth, authorization, req.get_header_value("Cookie")));
  if (who.via == auth::Principal::Via::session && is_mutation(req.method) &&
      !constant_time_equal(req.get_header_value("X-CSRF-Token"), who.csrf_token))
    return Error::make(ErrorKind::forbidden, "CSRF_FAILED",
                       "send the session's CSRF token in the X-CSRF-Token header");
  std::optional<auth::Permission> need;
  if (access == Access::read || access == Access::kiosk) need = auth::Permission::read;
  if (access == Access::operate) need = auth::Permission::operate;
  if (access == Access::admin) need = auth::Permission::admin;
  if (need && !auth::allows(who.role, *need))
    return Error::make(ErrorKind::forbidden, "FORBIDDEN",
                       fmt::format("the role '{}' may not do this", auth::role_name(who.role)));
  return who;
}

bool Router::authorize(Context& ctx, const Route& route) {
  if (route.access == Access::public_) return true;
  auto who = admit(m_auth, route.access, ctx.req);
  if (!who.ok()) {
    ctx.error(who.error());
    return false;
  }
  ctx.principal = std::move(who).value();
  return true;
}

void Router::dispatch(const httplib::Request& req, httplib::Response& res) {
  auto start = SystemClock::instance().mono_ms();
  Context ctx(req, res, request_id_for(req),
              origin_of(req.remote_addr, req.headers, m_options.trusted_proxies), m_options.tls);
  res.set_header("X-Request-ID", ctx.request_id);
  std::string method = req.method == "HEAD" ? "GET" : req.method;
  const Route* route = nullptr;
  std::string allow;
  for (const auto& r : m_routes) {
    std::map<std::string, std::string> params;
    if (!match(r.pattern, req.path, params)) continue;
    allow += (allow.empty() ? "" : ", ") + r.method;
    if (r.method == method && !route) {
      route = &r;
      ctx.params = std::move(params);
    }
  }
  std::string route_label = route ? route->pattern : "unmatched";
  auto finish = [&] {
    count_request(route_label, req.method, res.status);
    latency_family()
        .histogram({{"route", route_label}})
        .observe(static_cast<double>(SystemClock::instance().mono_ms() - start) / 1000.0);
  };
  bool api = req.path == "/api" || req.path.rfind("/api/", 0) == 0 ||
             req.path.rfind("/prometheus/", 0) == 0;
  if (api) res.set_header("Cache-Control", "no-store");
  if (!route) {
    if (allow.empty()) {
      if (method == "GET" && !api && m_fallback && m_fallback(ctx)) {
        route_label = "ui";
        return finish();
      }
      ctx.error(Error::make(ErrorKind::not_found, "NOT_FOUND",
                            fmt::format("no route for {} {}", req.method, req.path)));
    } else if (method == "OPTIONS") {
      res.set_header("Allow", allow + ", OPTIONS");
      res.status = 204;
    } else {
      res.set_header("Allow", allow);
      ctx.error(
          Error::make(ErrorKind::invalid_input, "METHOD_NOT_ALLOWED",
                      fmt::format("{} is not allowed on {}; use {}", req.method, req.path, allow)));
      res.status = 405;
    }
    return finish();
  }
  int retry_after = 0;
  if (api && !m_limiter.allow(ctx.remote(), retry_after)) {
    auto e = Error::make(ErrorKind::rate_limited, "RATE_LIMITED", "too many requests; slow down");
    e.retry_after_s = retry_after;
    ctx.error(e);
    return finish();
  }
  if (method == "POST" || method == "PUT" || method == "PATCH") {
    auto type = ascii_lower(req.get_header_value("Content-Type"));
    type = type.substr(0, type.find(';'));
    while (!type.empty() && type.back() == ' ') type.pop_back();
    bool accepted = false;
    for (const auto& t : route->content_types) accepted = accepted || t == type;
    if (!req.body.empty() && !accepted) {
      ctx.error(Error::make(ErrorKind::unsupported_type, "UNSUPPORTED_MEDIA_TYPE",
                            fmt::format("send the body as {}", route->content_types.front())));
      return finish();
    }
  }
  if (!authorize(ctx, *route)) return finish();
  try {
    route->handler(ctx);
  } catch (const std::exception& e) {
    log::error("http: {} {} from {} failed: {}", req.method, req.path, ctx.remote(), e.what());
    ctx.error(Error::make(ErrorKind::internal, "INTERNAL", "internal error"));
  }
  finish();
}

}  // namespace tt::http
