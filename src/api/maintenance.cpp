#include "api/api.h"
#include "api/resource.h"

namespace tt::api {

void register_maintenance(http::Router& r, Services& s) {
  auto& svc = s.maintenance;
  add_resource_routes<alerts::MaintenanceWindow>(
      r, {"/api/v1/maintenance", "MAINTENANCE_NOT_FOUND",
          [](const alerts::MaintenanceWindow& w) { return alerts::to_json(w, SystemClock::instance().now_ms()); },
          [&svc](http::Context& ctx) -> Result<Page<alerts::MaintenanceWindow>> {
            auto page = ctx.page_request();
            if (!page.ok()) return std::move(page).error();
            auto active = ctx.query("active");
            if (!active.empty() && active != "true" && active != "false")
              return bad_query({{"active", "must be true or false"}});
            return svc.list(active == "true", page.value());
          },
          [&svc](const nlohmann::json& body, const Actor& actor) -> Result<alerts::MaintenanceWindow> {
            auto in = alerts::decode_maintenance(body);
            if (!in.ok()) return std::move(in).error();
            return svc.create(std::move(in.value()), actor);
          },
          [&svc](std::int64_t id) { return svc.get(id); },
          [&svc](std::int64_t id, const nlohmann::json& body, const Actor& actor) { return svc.update(id, body, actor); },
          [&svc](std::int64_t id, const Actor& actor) { return svc.remove(id, actor); }});
}

}  // namespace tt::api
