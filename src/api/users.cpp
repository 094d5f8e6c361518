#include <fmt/format.h>

#include "api/api.h"
#include "api/resource.h"
#include "core/duration.h"

namespace tt::api {

nlohmann::json to_json(const auth::User& u);

namespace {

nlohmann::json to_json(const auth::ApiToken& t) {
  auto opt_time = [](const std::optional<TimeMs>& t) -> nlohmann::json {
    return t ? nlohmann::json(format_rfc3339(*t)) : nlohmann::json(nullptr);
  };
  return {{"id", t.id},
          {"user", t.user},
          {"name", t.label},
          {"prefix", t.prefix},
          {"created_at", format_rfc3339(t.created_at)},
          {"expires_at", opt_time(t.expires_at)},
          {"last_used_at", opt_time(t.last_used_at)},
          {"revoked_at", opt_time(t.revoked_at)}};
}

nlohmann::json to_json(const auth::AuditEntry& e) {
  return {{"id", e.id},          {"at", format_rfc3339(e.at)}, {"actor", e.actor},
          {"action", e.action},  {"target", e.target},         {"remote", e.remote},
          {"details", e.details}};
}

std::optional<std::string> optional_query(const http::Context& ctx, const char* name) {
  if (!ctx.req.has_param(name)) return std::nullopt;
  return ctx.query(name);
}

Error bad_fields(std::vector<FieldError> errs) {
  return Error{
      ErrorKind::validation, "VALIDATION_FAILED", "some fields are not valid", std::move(errs), {}};
}

// The request's body, which must be a JSON object.
Result<nlohmann::json> object_body(const http::Context& ctx) {
  auto body = TT_TRY(ctx.json_body());
  if (!body.is_object()) return bad_fields({{"", "the body must be a JSON object"}});
  return body;
}

}  // namespace

void register_users(http::Router& r, Services& s) {
  auto& auth = s.auth;
  r.add(list_route(
      "/api/v1/users", http::Access::admin,
      [&auth](http::Context&, PageRequest page) { return auth.list_users(page); },
      [](const auth::User& u) { return to_json(u); }));
  r.add({"POST", "/api/v1/users", http::Access::admin, [&auth](http::Context& ctx) {
           auto body = object_body(ctx);
           if (!body.ok()) return ctx.error(body.error());
           const auto& b = body.value();
           std::vector<FieldError> errs;
           for (const auto& [k, v] : b.items())
             if (k != "name" && k != "role" && k != "password")
               errs.push_back({k, "unknown field"});
           auto str = [&](const char* k, bool required) -> std::string {
             auto it = b.find(k);
             if (it == b.end()) {
               if (required) errs.push_back({k, "is required"});
               return {};
             }
             if (!it->is_string()) {
               errs.push_back({k, "must be a string"});
               return {};
             }
             return it->get<std::string>();
           };
           auto name = str("name", true), role_text = str("role", true),
                password = str("password", false);
           auto role = auth::parse_role(role_text);
           if (!role_text.empty() && !role)
             errs.push_back({"role", "must be one of admin, operator, viewer, api"});
           if (!errs.empty()) return ctx.error(bad_fields(errs));
           if (!role) return;
           auto user = auth.create_user(name, *role, password, ctx.actor().name, ctx.remote());
           if (!user.ok()) return ctx.error(user.error());
           ctx.res.set_header("Location", fmt::format("/api/v1/users/{}", user->id));
           ctx.ok(to_json(user.value()), 201);
         }});
  // An admin changes a user's role, or sets a new password for them (one forgotten): the user's
  // sessions end, but for the admin's own current one.
  r.add({"PATCH", "/api/v1/users/{id}", http::Access::admin, [&auth](http::Context& ctx) {
           auto id = ctx.id_param("id", "USER_NOT_FOUND");
           if (!id.ok()) return ctx.error(id.error());
           auto body = object_body(ctx);
           if (!body.ok()) return ctx.error(body.error());
           const auto& b = body.value();
           std::vector<FieldError> errs;
           std::optional<auth::Role> role;
           std::optional<std::string> password;
           for (const auto& [k, v] : b.items()) {
             if (k == "role") {
               role = v.is_string() ? auth::parse_role(v.get<std::string>()) : std::nullopt;
               if (!role) errs.push_back({k, "must be one of admin, operator, viewer, api"});
             } else if (k == "password") {
               if (v.is_string())
                 password = v.get<std::string>();
               else
                 errs.push_back({k, "must be a string"});
             } else {
               errs.push_back({k, "unknown field"});
             }
           }
           if (errs.empty() && !role && !password)
             errs.push_back({"", "give a role, a password or both"});
           if (!errs.empty()) return ctx.error(bad_fields(errs));
           if (password) {
             auto set = auth.set_password(id.value(), *password, ctx.actor().name, ctx.remote(),
                                          http::cookie_value(ctx.req, http::kSessionCookie));
             if (!set.ok()) return ctx.error(set.error());
           }
           auto user = role ? auth.set_role(id.value(), *role, ctx.actor().name, ctx.remote())
                            : auth.get_user_by_id(id.value());
           if (!user.ok()) return ctx.error(user.error());
           ctx.ok(to_json(user.value()));
         }});
  r.add(delete_route("/api/v1/users/{id}", http::Access::admin, "USER_NOT_FOUND",
                     [&auth](http::Context& ctx, std::int64_t id) {
                       return auth.delete_user(id, ctx.actor().name, ctx.remote());
                     }));

  // Tokens: everyone manages their own; admins manage anyone's.
  r.add(list_route(
      "/api/v1/tokens", http::Access::authenticated,
      [&auth](http::Context& ctx, PageRequest page) {
        bool admin = auth::allows(*ctx.principal, auth::Permission::admin);
        auto user =
            admin ? optional_query(ctx, "user") : std::optional<std::string>(ctx.principal->user);
        return auth.list_tokens(user, page);
      },
      [](const auth::ApiToken& t) { return to_json(t); }));
  r.add({"POST", "/api/v1/tokens", http::Access::authenticated, [&auth](http::Context& ctx) {
           auto body = object_body(ctx);
           if (!body.ok()) return ctx.error(body.error());
           const auto& b = body.value();
           std::vector<FieldError> errs;
           std::string user = ctx.principal->user, label = "api", expires;
           for (const auto& [k, v] : b.items()) {
             if (k != "name" && k != "user" && k != "expires_in") {
               errs.push_back({k, "unknown field"});
               continue;
             }
             if (!v.is_string()) {
               errs.push_back({k, "must be a string"});
               continue;
             }
             if (k == "name") label = v.get<std::string>();
             if (k == "user") user = v.get<std::string>();
             if (k == "expires_in") expires = v.get<std::string>();
           }
           if (label.empty() || label.size() > 100)
             errs.push_back({"name", "must be 1 to 100 characters"});
           std::int64_t expires_ms = 0;
           if (!expires.empty() && (expires_ms = parse_duration_ms(expires).value_or(-1)) <= 0)
             errs.push_back({"expires_in", "must be a duration such as 90d or 12h"});
           if (!errs.empty()) return ctx.error(bad_fields(errs));
           if (user != ctx.principal->user &&
               !auth::allows(*ctx.principal, auth::Permission::admin))
             return ctx.error(Error::make(ErrorKind::forbidden, "FORBIDDEN",
                                          "only an admin creates tokens for others"));
           auto t = auth.create_token(user, label, expires_ms, ctx.actor().name, ctx.remote());
           if (!t.ok()) return ctx.error(t.error());
           auto j = to_json(t->info);
           j["token"] = t->token;  // shown once
           ctx.ok(j, 201);
         }});
  r.add(delete_route("/api/v1/tokens/{id}", http::Access::authenticated, "TOKEN_NOT_FOUND",
                     [&auth](http::Context& ctx, std::int64_t id) -> Result<void> {
                       const auto token = TT_TRY(auth.get_token(id));
                       // Another user's token is reported missing rather than forbidden: ids are
                       // not disclosed.
                       if (token.user_id != ctx.principal->user_id &&
                           !auth::allows(*ctx.principal, auth::Permission::admin))
                         return Error::make(ErrorKind::not_found, "TOKEN_NOT_FOUND",
                                            "no such token");
                       return auth.revoke_token(id, ctx.actor().name, ctx.remote());
                     }));

  r.add(list_route(
      "/api/v1/audit", http::Access::admin,
      [&auth](http::Context& ctx, PageRequest page) {
        return auth.list_audit(page, optional_query(ctx, "actor"), optional_query(ctx, "action"));
      },
      [](const auth::AuditEntry& e) { return to_json(e); }));
}

}  // namespace tt::api
