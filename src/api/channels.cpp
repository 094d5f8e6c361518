#include <fmt/format.h>

#include "api/api.h"
#include "http/envelope.h"

namespace tt::api {

void register_channels(http::Router& r, Services& s) {
  auto& svc = s.channels;
  r.add({"GET", "/api/v1/channel-kinds", http::Access::read, [](http::Context& ctx) {
           nlohmann::json items = nlohmann::json::array();
           for (const auto* k : notify::channel_kinds()) items.push_back(notify::to_json(*k));
           ctx.ok(items);
         }});
  r.add({"GET", "/api/v1/channels", http::Access::read, [&svc](http::Context& ctx) {
           auto page = ctx.page_request();
           if (!page.ok()) return ctx.error(page.error());
           auto list = svc.list(page.value());
           if (!list.ok()) return ctx.error(list.error());
           nlohmann::json items = nlohmann::json::array();
           for (const auto& c : list->items) items.push_back(notify::to_json(c));
           ctx.list(items, list->total, list->request);
         }});
  r.add({"POST", "/api/v1/channels", http::Access::operate, [&svc](http::Context& ctx) {
           auto body = ctx.json_body();
           if (!body.ok()) return ctx.error(body.error());
           auto in = notify::decode_channel_input(body.value(), true);
           if (!in.ok()) return ctx.error(in.error());
           auto c = svc.create(in.value(), ctx.actor());
           if (!c.ok()) return ctx.error(c.error());
           ctx.res.set_header("Location", fmt::format("/api/v1/channels/{}", c->id));
           ctx.ok(notify::to_json(c.value()), 201);
         }});
  r.add({"GET", "/api/v1/channels/{id}", http::Access::read, [&svc](http::Context& ctx) {
           auto id = ctx.id_param("id", "CHANNEL_NOT_FOUND");
           if (!id.ok()) return ctx.error(id.error());
           auto c = svc.get(id.value());
           if (!c.ok()) return ctx.error(c.error());
           ctx.ok(notify::to_json(c.value()));
         }});
  r.add({"PATCH",
         "/api/v1/channels/{id}",
         http::Access::operate,
         [&svc](http::Context& ctx) {
           auto id = ctx.id_param("id", "CHANNEL_NOT_FOUND");
           if (!id.ok()) return ctx.error(id.error());
           auto body = ctx.json_body();
           if (!body.ok()) return ctx.error(body.error());
           auto in = notify::decode_channel_input(body.value(), false);
           if (!in.ok()) return ctx.error(in.error());
           auto c = svc.update(id.value(), in.value(), ctx.actor());
           if (!c.ok()) return ctx.error(c.error());
           ctx.ok(notify::to_json(c.value()));
         },
         {"application/json", "application/merge-patch+json"}});
  r.add({"DELETE", "/api/v1/channels/{id}", http::Access::operate, [&svc](http::Context& ctx) {
           auto id = ctx.id_param("id", "CHANNEL_NOT_FOUND");
           if (!id.ok()) return ctx.error(id.error());
           auto done = svc.remove(id.value(), ctx.actor());
           if (!done.ok()) return ctx.error(done.error());
           ctx.no_content();
         }});
  r.add({"POST", "/api/v1/channels/{id}/test", http::Access::operate, [&svc](http::Context& ctx) {
           auto id = ctx.id_param("id", "CHANNEL_NOT_FOUND");
           if (!id.ok()) return ctx.error(id.error());
           auto done = svc.test(id.value(), ctx.actor());
           if (!done.ok()) return ctx.error(done.error());
           ctx.ok({{"delivered", true}});
         }});
  r.add({"GET", "/api/v1/notifications", http::Access::read, [&svc](http::Context& ctx) {
           notify::NotificationQuery q;
           auto page = ctx.page_request();
           if (!page.ok()) return ctx.error(page.error());
           q.page = page.value();
           std::vector<FieldError> errs;
           if (auto st = ctx.query("state"); !st.empty()) {
             if (st != "pending" && st != "delivered" && st != "failed" && st != "collapsed" && st != "muted" &&
                 st != "waiting" && st != "grouped")
               errs.push_back({"state", "must be one of pending, delivered, failed, collapsed, waiting, grouped, muted"});
             else
               q.state = st;
           }
           std::int64_t channel = 0;
           ctx.int_query("channel", 1, INT64_MAX, channel, errs, "must be a channel id");
           if (channel > 0) q.channel_id = channel;
           if (!errs.empty())
             return ctx.error(Error{ErrorKind::validation,
                                    "VALIDATION_FAILED",
                                    "bad query parameters",
                                    std::move(errs),
                                    {}});
           auto list = svc.notifications(q);
           if (!list.ok()) return ctx.error(list.error());
           ctx.list(list->items, list->total, list->request);
         }});
}

}  // namespace tt::api
