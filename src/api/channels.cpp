#include "api/api.h"
#include "api/resource.h"
#include "http/envelope.h"
#include "notify/grouping.h"

namespace tt::api {

void register_channels(http::Router& r, Services& s) {
  auto& svc = s.channels;
  r.add({"GET", "/api/v1/channel-kinds", http::Access::read, [](http::Context& ctx) {
           nlohmann::json items = nlohmann::json::array();
           for (const auto* k : notify::channel_kinds()) items.push_back(notify::to_json(*k));
           ctx.ok(items);
         }});
  // Grouping is a channel's, whatever its kind: its options once, for the UI's form.
  r.add({"GET", "/api/v1/channel-grouping", http::Access::read, [](http::Context& ctx) {
           ctx.ok({{"options", tt::to_json(notify::grouping_options())}});
         }});
  add_resource_routes<notify::Channel>(
      r, {"/api/v1/channels", "CHANNEL_NOT_FOUND",
          [](const notify::Channel& c) { return notify::to_json(c); },
          [&svc](http::Context& ctx) -> Result<Page<notify::Channel>> {
            auto page = ctx.page_request();
            if (!page.ok()) return std::move(page).error();
            return svc.list(page.value());
          },
          [&svc](const nlohmann::json& body, const Actor& actor) -> Result<notify::Channel> {
            auto in = notify::decode_channel_input(body, true);
            if (!in.ok()) return std::move(in).error();
            return svc.create(in.value(), actor);
          },
          [&svc](std::int64_t id) { return svc.get(id); },
          [&svc](std::int64_t id, const nlohmann::json& body,
                 const Actor& actor) -> Result<notify::Channel> {
            auto in = notify::decode_channel_input(body, false);
            if (!in.ok()) return std::move(in).error();
            return svc.update(id, in.value(), actor);
          },
          [&svc](std::int64_t id, const Actor& actor) { return svc.remove(id, actor); }});
  r.add({"POST", "/api/v1/channels/{id}/test", http::Access::operate, [&svc](http::Context& ctx) {
           auto id = ctx.id_param("id", "CHANNEL_NOT_FOUND");
           if (!id.ok()) return ctx.error(id.error());
           auto done = svc.test(id.value(), ctx.actor());
           if (!done.ok()) return ctx.error(done.error());
           ctx.ok({{"delivered", true}});
         }});
  r.add(
      {"GET", "/api/v1/notifications", http::Access::read, [&svc](http::Context& ctx) {
         notify::NotificationQuery q;
         auto page = ctx.page_request();
         if (!page.ok()) return ctx.error(page.error());
         q.page = page.value();
         std::vector<FieldError> errs;
         if (auto st = ctx.query("state"); !st.empty()) {
           if (st != "pending" && st != "delivered" && st != "failed" && st != "collapsed" &&
               st != "muted" && st != "waiting" && st != "grouped")
             errs.push_back(
                 {"state",
                  "must be one of pending, delivered, failed, collapsed, waiting, grouped, muted"});
           else
             q.state = st;
         }
         std::int64_t channel = 0;
         ctx.int_query("channel", 1, INT64_MAX, channel, errs, "must be a channel id");
         if (channel > 0) q.channel_id = channel;
         if (!errs.empty()) return ctx.error(bad_query(std::move(errs)));
         auto list = svc.notifications(q);
         if (!list.ok()) return ctx.error(list.error());
         ctx.list(list->items, list->total, list->request);
       }});
}

}  // namespace tt::api
