#include "api/api.h"
#include "api/resource.h"

namespace tt::api {

void register_inhibit_rules(http::Router& r, Services& s) {
  auto& svc = s.inhibit;
  add_resource_routes(r,
                      service_resource<alerts::InhibitRule>(
                          "/api/v1/inhibit-rules", "INHIBIT_RULE_NOT_FOUND",
                          [](const alerts::InhibitRule& x) { return alerts::to_json(x); },
                          [&svc](http::Context& ctx) -> Result<Page<alerts::InhibitRule>> {
                            return svc.list(TT_TRY(ctx.page_request()));
                          },
                          svc, alerts::decode_inhibit_rule, merge_patch),
                      s.catalog);
}

}  // namespace tt::api
