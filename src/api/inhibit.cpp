#include "api/api.h"
#include "api/resource.h"

namespace tt::api {

void register_inhibit_rules(http::Router& r, Services& s) {
  auto& svc = s.inhibit;
  add_resource_routes(r, merge_patch_resource<alerts::InhibitRule>(
                             "/api/v1/inhibit-rules", "INHIBIT_RULE_NOT_FOUND",
                             [](const alerts::InhibitRule& x) { return alerts::to_json(x); },
                             [&svc](http::Context& ctx) -> Result<Page<alerts::InhibitRule>> {
                               auto page = ctx.page_request();
                               if (!page.ok()) return std::move(page).error();
                               return svc.list(page.value());
                             },
                             svc, alerts::decode_inhibit_rule));
}

}  // namespace tt::api
