#include "api/api.h"
#include "http/envelope.h"

namespace tt::api {

void register_events(http::Router& r, Services& s) {
  auto& history = s.events;
  r.add({"GET", "/api/v1/events", http::Access::read, [&history](http::Context& ctx) {
           events::EventQuery q;
           std::vector<FieldError> errs;
           std::int64_t limit = q.limit;
           ctx.int_query("after", 0, INT64_MAX, q.after, errs);
           ctx.int_query("before", 1, INT64_MAX, q.before, errs);
           ctx.int_query("limit", 1, 1000, limit, errs);
           if (auto order = ctx.query("order"); order == "desc")
             q.newest_first = true;
           else if (!order.empty() && order != "asc")
             errs.push_back({"order", "must be asc or desc"});
           if (ctx.req.has_param("before") && !q.newest_first)
             errs.push_back({"before", "needs order=desc (after pages oldest first)"});
           q.limit = static_cast<int>(limit);
           q.topic = ctx.query("topic");
           q.subject = ctx.query("subject");
           if (!q.subject.empty() && q.topic.empty())
             errs.push_back({"subject", "needs topic (subjects are named within a topic)"});
           q.text = ctx.query("q");
           if (q.text.size() > 200) errs.push_back({"q", "must be at most 200 characters"});
           if (!errs.empty()) return ctx.error(bad_query(std::move(errs)));
           auto found = history.list(q);
           if (!found.ok()) return ctx.error(found.error());
           nlohmann::json items = nlohmann::json::array();
           for (const auto& e : found.value()) items.push_back(events::to_json(e));
           std::int64_t cursor = q.newest_first ? q.before : q.after;
           std::int64_t next = found->empty() ? cursor : found->back().id;
           ctx.res.status = 200;
           ctx.res.set_content(
               nlohmann::json{{"success", true},
                              {"data", items},
                              {"pagination",
                               {{"cursor", cursor},
                                {"next_cursor", next},
                                {"per_page", q.limit},
                                {"has_next", static_cast<int>(found->size()) == q.limit}}},
                              {"meta", http::meta(ctx.request_id)}}
                   .dump(),
               "application/json");
         }});
}

}  // namespace tt::api
