#include "api/api.h"
#include "api/resource.h"

namespace tt::api {

void register_maintenance(http::Router& r, Services& s) {
  auto& svc = s.maintenance;
  add_resource_routes(r,
                      service_resource<alerts::MaintenanceWindow>(
                          "/api/v1/maintenance", "MAINTENANCE_NOT_FOUND",
                          [](const alerts::MaintenanceWindow& w) {
                            return alerts::to_json(w, SystemClock::instance().now_ms());
                          },
                          [&svc](http::Context& ctx) -> Result<Page<alerts::MaintenanceWindow>> {
                            const auto page = TT_TRY(ctx.page_request());
                            return svc.list(TT_TRY(flag_query(ctx, "active")), page);
                          },
                          svc, alerts::decode_maintenance, merge_patch),
                      s.catalog);
}

}  // namespace tt::api
