#include <fmt/format.h>

#include "api/api.h"
#include "http/envelope.h"

namespace tt::api {

void register_maintenance(http::Router& r, Services& s) {
  auto& svc = s.maintenance;
  r.add({"GET", "/api/v1/maintenance", http::Access::read, [&svc](http::Context& ctx) {
           auto page = ctx.page_request();
           if (!page.ok()) return ctx.error(page.error());
           auto active = ctx.query("active");
           if (!active.empty() && active != "true" && active != "false")
             return ctx.error(Error{ErrorKind::validation, "VALIDATION_FAILED", "bad query parameters",
                                    {{"active", "must be true or false"}}, {}});
           auto list = svc.list(active == "true", page.value());
           if (!list.ok()) return ctx.error(list.error());
           auto now = SystemClock::instance().now_ms();
           nlohmann::json items = nlohmann::json::array();
           for (const auto& w : list->items) items.push_back(alerts::to_json(w, now));
           ctx.list(items, list->total, list->request);
         }});
  r.add({"POST", "/api/v1/maintenance", http::Access::operate, [&svc](http::Context& ctx) {
           auto body = ctx.json_body();
           if (!body.ok()) return ctx.error(body.error());
           auto in = alerts::decode_maintenance(body.value());
           if (!in.ok()) return ctx.error(in.error());
           auto w = svc.create(std::move(in.value()), ctx.actor());
           if (!w.ok()) return ctx.error(w.error());
           ctx.res.set_header("Location", fmt::format("/api/v1/maintenance/{}", w->id));
           ctx.ok(alerts::to_json(w.value(), SystemClock::instance().now_ms()), 201);
         }});
  r.add({"GET", "/api/v1/maintenance/{id}", http::Access::read, [&svc](http::Context& ctx) {
           auto id = ctx.id_param("id", "MAINTENANCE_NOT_FOUND");
           if (!id.ok()) return ctx.error(id.error());
           auto w = svc.get(id.value());
           if (!w.ok()) return ctx.error(w.error());
           ctx.ok(alerts::to_json(w.value(), SystemClock::instance().now_ms()));
         }});
  r.add({"PATCH", "/api/v1/maintenance/{id}", http::Access::operate, [&svc](http::Context& ctx) {
           auto id = ctx.id_param("id", "MAINTENANCE_NOT_FOUND");
           if (!id.ok()) return ctx.error(id.error());
           auto body = ctx.json_body();
           if (!body.ok()) return ctx.error(body.error());
           auto w = svc.update(id.value(), body.value(), ctx.actor());
           if (!w.ok()) return ctx.error(w.error());
           ctx.ok(alerts::to_json(w.value(), SystemClock::instance().now_ms()));
         },
         {"application/json", "application/merge-patch+json"}});
  r.add({"DELETE", "/api/v1/maintenance/{id}", http::Access::operate, [&svc](http::Context& ctx) {
           auto id = ctx.id_param("id", "MAINTENANCE_NOT_FOUND");
           if (!id.ok()) return ctx.error(id.error());
           auto done = svc.remove(id.value(), ctx.actor());
           if (!done.ok()) return ctx.error(done.error());
           ctx.no_content();
         }});
}

}  // namespace tt::api
