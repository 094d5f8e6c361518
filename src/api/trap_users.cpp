#include "api/api.h"
#include "api/resource.h"

namespace tt::api {

void register_trap_users(http::Router& r, Services& s) {
  auto& svc = s.trap_users;
  // Telltale's engine id: what inform senders localise to, and so the engine_id of their users.
  r.add({"GET", "/api/v1/snmp/engine", http::Access::read, [&svc](http::Context& ctx) {
           ctx.ok({{"engine_id", snmp::hex_of(svc.engine().engine_id)},
                   {"boots", svc.engine().boots}});
         }});
  add_resource_routes<snmp::TrapUser>(
      r,
      {"/api/v1/snmp/trap-users", "TRAP_USER_NOT_FOUND",
       [](const snmp::TrapUser& u) { return snmp::to_json(u); },
       [&svc](http::Context& ctx) -> Result<Page<snmp::TrapUser>> {
         auto page = ctx.page_request();
         if (!page.ok()) return std::move(page).error();
         return svc.list(page.value());
       },
       [&svc](const nlohmann::json& body, const Actor& actor) { return svc.create(body, actor); },
       [&svc](std::int64_t id) { return svc.get(id); },
       [&svc](std::int64_t id, const nlohmann::json& body, const Actor& actor) {
         return svc.update(id, body, actor);
       },
       [&svc](std::int64_t id, const Actor& actor) { return svc.remove(id, actor); }},
      s.catalog);
}

}  // namespace tt::api
