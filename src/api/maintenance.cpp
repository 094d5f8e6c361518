#include "api/api.h"
#include "api/resource.h"

namespace tt::api {

void register_maintenance(http::Router& r, Services& s) {
  auto& svc = s.maintenance;
  add_resource_routes(r, merge_patch_resource<alerts::MaintenanceWindow>(
                             "/api/v1/maintenance", "MAINTENANCE_NOT_FOUND",
                             [](const alerts::MaintenanceWindow& w) {
                               return alerts::to_json(w, SystemClock::instance().now_ms());
                             },
                             [&svc](http::Context& ctx) -> Result<Page<alerts::MaintenanceWindow>> {
                               auto page = ctx.page_request();
                               if (!page.ok()) return std::move(page).error();
                               auto active = ctx.query("active");
                               if (!active.empty() && active != "true" && active != "false")
                                 return bad_query({{"active", "must be true or false"}});
                               return svc.list(active == "true", page.value());
                             },
                             svc, alerts::decode_maintenance));
}

}  // namespace tt::api
