#include "api/api.h"
#include "api/resource.h"
#include "http/envelope.h"
#include "notify/grouping.h"

namespace tt::api {

namespace {

void notification_query(const http::Context& ctx, notify::NotificationQuery& q,
                        std::vector<FieldError>& errs) {
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
}

}  // namespace

void register_channels(http::Router& r, Services& s) {
  auto& svc = s.channels;
  r.add({"GET", "/api/v1/channel-kinds", http::Access::read, [](http::Context& ctx) {
           ctx.ok(json_array(notify::channel_kinds(),
                             [](const auto* k) { return notify::to_json(*k); }));
         }});
  // Grouping is a channel's, whatever its kind: its options once, for the UI's form.
  r.add({"GET", "/api/v1/channel-grouping", http::Access::read, [](http::Context& ctx) {
           ctx.ok({{"options", tt::to_json(notify::grouping_options())}});
         }});
  add_resource_routes(r,
                      service_resource<notify::Channel>(
                          "/api/v1/channels", "CHANNEL_NOT_FOUND",
                          [](const notify::Channel& c) { return notify::to_json(c); },
                          [&svc](http::Context& ctx) -> Result<Page<notify::Channel>> {
                            return svc.list(TT_TRY(ctx.page_request()));
                          },
                          svc, decode_as(notify::decode_channel_input, true),
                          decode_as(notify::decode_channel_input, false)),
                      s.catalog);
  r.add({"POST", "/api/v1/channels/{id}/test", http::Access::operate, [&svc](http::Context& ctx) {
           auto id = ctx.id_param("id", "CHANNEL_NOT_FOUND");
           if (!id.ok()) return ctx.error(id.error());
           auto done = svc.test(id.value(), ctx.actor());
           if (!done.ok()) return ctx.error(done.error());
           ctx.ok({{"delivered", true}});
         }});
  r.add({"GET", "/api/v1/notifications", http::Access::read, [&svc](http::Context& ctx) {
           auto q = list_query(ctx, notification_query);
           if (!q.ok()) return ctx.error(q.error());
           auto list = svc.notifications(q.value());
           if (!list.ok()) return ctx.error(list.error());
           ctx.list(list->items, list->total, list->request);
         }});
}

}  // namespace tt::api
