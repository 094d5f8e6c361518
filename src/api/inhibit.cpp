#include "api/api.h"
#include "api/resource.h"

namespace tt::api {

void register_inhibit_rules(http::Router& r, Services& s) {
  auto& svc = s.inhibit;
  add_resource_routes<alerts::InhibitRule>(
      r, {"/api/v1/inhibit-rules", "INHIBIT_RULE_NOT_FOUND", [](const alerts::InhibitRule& x) { return alerts::to_json(x); },
          [&svc](http::Context& ctx) -> Result<Page<alerts::InhibitRule>> {
            auto page = ctx.page_request();
            if (!page.ok()) return std::move(page).error();
            return svc.list(page.value());
          },
          [&svc](const nlohmann::json& body, const Actor& actor) -> Result<alerts::InhibitRule> {
            auto in = alerts::decode_inhibit_rule(body);
            if (!in.ok()) return std::move(in).error();
            return svc.create(std::move(in.value()), actor);
          },
          [&svc](std::int64_t id) { return svc.get(id); },
          [&svc](std::int64_t id, const nlohmann::json& body, const Actor& actor) { return svc.update(id, body, actor); },
          [&svc](std::int64_t id, const Actor& actor) { return svc.remove(id, actor); }});
}

}  // namespace tt::api
