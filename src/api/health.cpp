#include "api/api.h"
#include "core/metrics.h"
#include "http/assets.h"

namespace tt::api {

void register_health(http::Router& r, Services& s) {
  r.add({"GET", "/healthz", http::Access::public_, [](http::Context& ctx) {
           ctx.ok({{"status", "ok"}});
         }});
  r.add({"GET", "/readyz", http::Access::public_, [&s](http::Context& ctx) {
           bool db = s.readiness.database_ok(), loop = s.readiness.loop_alive();
           // A full disk: reads and logins work, but no change can be saved.
           bool room = !s.readiness.disk_full();
           nlohmann::json checks = {
               {"database", db}, {"migrations", db}, {"loop", loop}, {"disk", room}};
           if (db && loop && room) return ctx.ok({{"status", "ready"}, {"checks", checks}});
           nlohmann::json reasons = nlohmann::json::array();
           if (!db) reasons.push_back("database");
           if (!loop) reasons.push_back("loop");
           if (!room) reasons.push_back("disk_full");
           auto e = Error::make(
               ErrorKind::unavailable, "NOT_READY",
               room ? "not ready"
                    : "not ready: the disk is full; changes are refused until there is room");
           ctx.error(e);
           // Say which part is not ready, in the same envelope.
           auto body = nlohmann::json::parse(ctx.res.body);
           body["error"]["details"]["checks"] = checks;
           body["error"]["details"]["reasons"] = reasons;
           ctx.res.set_content(body.dump(), "application/json");
         }});
  r.add({"GET", "/metrics", http::Access::public_, [](http::Context& ctx) {
           ctx.res.status = 200;
           ctx.res.set_content(metrics::registry().render(),
                               "text/plain; version=0.0.4; charset=utf-8");
         }});
  r.set_fallback(
      [&s](http::Context& ctx) { return http::serve_asset(ctx, s.web_dir, s.base_path); });
}

}  // namespace tt::api
