// Kiosk links: an admin makes, lists and revokes the read-only links of wall screens. The routes
// a link may read are marked http::Access::kiosk where they are declared (nodes, alerts,
// availability).
#include "api/api.h"
#include "api/resource.h"

namespace tt::api {

namespace {

nlohmann::json to_json(const auth::KioskLink& l) {
  auto opt_time = [](const std::optional<TimeMs>& t) -> nlohmann::json {
    return t ? nlohmann::json(format_rfc3339(*t)) : nlohmann::json(nullptr);
  };
  return {{"id", l.id},
          {"name", l.name},
          {"prefix", l.prefix},
          {"created_at", format_rfc3339(l.created_at)},
          {"created_by", l.created_by},
          {"last_used_at", opt_time(l.last_used_at)},
          {"revoked_at", opt_time(l.revoked_at)}};
}

// The body of a new link, {"name": "..."}, checked as other resources' names are.
Result<std::string> link_name(const http::Context& ctx) {
  static const OptionSpecs fields{name_field(100)};
  const auto body = TT_TRY(ctx.json_body());
  auto v = TT_TRY(decode_fields(fields, body, InputMode::create, "kiosk link"));
  return v["name"].get<std::string>();
}

}  // namespace

void register_kiosk_links(http::Router& r, Services& s) {
  auto& auth = s.auth;
  r.add(list_route(
      "/api/v1/kiosk-links", http::Access::admin,
      [&auth](http::Context&, PageRequest page) { return auth.list_kiosk_links(page); },
      [](const auth::KioskLink& l) { return to_json(l); }));
  r.add({"POST", "/api/v1/kiosk-links", http::Access::admin, [&auth](http::Context& ctx) {
           auto name = link_name(ctx);
           if (!name.ok()) return ctx.error(name.error());
           auto made = auth.create_kiosk_link(name.value(), ctx.actor().name, ctx.remote());
           if (!made.ok()) return ctx.error(made.error());
           auto j = to_json(made->info);
           j["token"] = made->token;  // shown once
           ctx.res.set_header("Location", fmt::format("/api/v1/kiosk-links/{}", made->info.id));
           ctx.ok(j, 201);
         }});
  r.add(delete_route("/api/v1/kiosk-links/{id}", http::Access::admin, "KIOSK_LINK_NOT_FOUND",
                     [&auth](http::Context& ctx, std::int64_t id) {
                       return auth.revoke_kiosk_link(id, ctx.actor().name, ctx.remote());
                     }));
}

}  // namespace tt::api
