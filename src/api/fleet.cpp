// Agents: enrolment tokens (admins) and the registration of hosts (bearer: an enrolment token,
// an api/admin API token, or the agent's own credential; fleet/ decides).
#include "fleet/fleet.h"

#include "api/api.h"
#include "api/resource.h"

namespace tt::api {

void register_fleet(http::Router& r, Services& s) {
  auto& fleet = s.fleet;
  r.add(list_route(
      "/api/v1/enrolment-tokens", http::Access::admin,
      [&fleet](http::Context&, PageRequest page) { return fleet.list_enrolment_tokens(page); },
      [](const fleet::EnrolmentToken& t) { return fleet::to_json(t); }));
  r.add({"POST", "/api/v1/enrolment-tokens", http::Access::admin, [&fleet](http::Context& ctx) {
           auto body = ctx.json_body();
           if (!body.ok()) return ctx.error(body.error());
           auto t = fleet.create_enrolment_token(body.value(), ctx.actor());
           if (!t.ok()) return ctx.error(t.error());
           auto j = fleet::to_json(t->info);
           j["token"] = t->token;  // shown once
           ctx.ok(j, 201);
         }});
  r.add(delete_route("/api/v1/enrolment-tokens/{id}", http::Access::admin,
                     "ENROLMENT_TOKEN_NOT_FOUND", [&fleet](http::Context& ctx, std::int64_t id) {
                       return fleet.revoke_enrolment_token(id, ctx.actor());
                     }));
  r.add({"POST", "/api/v1/agents/register", http::Access::public_, [&fleet](http::Context& ctx) {
           const auto token = http::bearer_token(ctx.req.get_header_value("Authorization"));
           if (!token)
             return ctx.error(
                 Error::make(ErrorKind::unauthenticated, "UNAUTHENTICATED",
                             "send an enrolment token, an API token or the agent's credential as "
                             "'Authorization: Bearer <token>'"));
           auto body = ctx.json_body();
           if (!body.ok()) return ctx.error(body.error());
           auto reg = fleet.register_host(*token, body.value(), ctx.remote());
           if (!reg.ok()) return ctx.error(reg.error());
           nlohmann::json j{{"node", inventory::to_json(reg->node)},
                            {"created", reg->created},
                            {"interval_ms", reg->interval_ms},
                            {"ingest_path", "/api/v1/ingest"}};
           if (reg->credential) j["credential"] = *reg->credential;  // shown once
           ctx.ok(j, reg->created ? 201 : 200);
         }});
}

}  // namespace tt::api
