#include <fmt/format.h>

#include "api/api.h"
#include "api/resource.h"
#include "http/envelope.h"

namespace tt::api {

namespace {

Result<inventory::NodeQuery> node_query(http::Context& ctx) {
  inventory::NodeQuery q;
  auto page = ctx.page_request();
  if (!page.ok()) return std::move(page).error();
  q.page = page.value();
  std::vector<FieldError> errs;
  if (auto t = ctx.query("type"); !t.empty()) {
    q.type = inventory::parse_node_type(t);
    if (!q.type) errs.push_back({"type", "must be one of baremetal, vm, container, network, iot"});
  }
  if (auto s = ctx.query("status"); !s.empty()) {
    q.status = inventory::parse_node_status(s);
    if (!q.status) errs.push_back({"status", "must be one of unknown, up, down, degraded"});
  }
  for (const auto& l : ctx.query_values("label")) {
    auto eq = l.find('=');
    if (eq == std::string::npos || !inventory::valid_label_name(l.substr(0, eq)))
      errs.push_back({"label", "must be name=value with a valid label name"});
    else
      q.labels.emplace_back(l.substr(0, eq), l.substr(eq + 1));
  }
  q.text = ctx.query("q");
  if (auto s = ctx.query("sort"); !s.empty()) {
    if (!inventory::valid_node_sort(s))
      errs.push_back({"sort",
                      "must be one of name, type, status, created_at, updated_at, last_seen, id, "
                      "with - for descending"});
    else
      q.sort = s;
  }
  if (!errs.empty()) return bad_query(std::move(errs));
  return q;
}

}  // namespace

void register_nodes(http::Router& r, Services& s) {
  auto& nodes = s.nodes;
  add_resource_routes<inventory::Node>(
      r, {"/api/v1/nodes", "NODE_NOT_FOUND",
          [](const inventory::Node& n) { return inventory::to_json(n); },
          [&nodes](http::Context& ctx) -> Result<Page<inventory::Node>> {
            auto q = node_query(ctx);
            if (!q.ok()) return std::move(q).error();
            return nodes.list(q.value());
          },
          [&nodes](const nlohmann::json& body, const Actor& actor) -> Result<inventory::Node> {
            auto in = inventory::decode_node_input(body, inventory::InputMode::create);
            if (!in.ok()) return std::move(in).error();
            return nodes.create(in.value(), actor);
          },
          [&nodes](std::int64_t id) { return nodes.get(id); },
          [&nodes](std::int64_t id, const nlohmann::json& body,
                   const Actor& actor) -> Result<inventory::Node> {
            auto in = inventory::decode_node_input(body, inventory::InputMode::patch);
            if (!in.ok()) return std::move(in).error();
            return nodes.update(id, in.value(), actor);
          },
          [&nodes](std::int64_t id, const Actor& actor) { return nodes.remove(id, actor); }});
}

void register_events(http::Router& r, Services& s) {
  auto& nodes = s.nodes;
  r.add({"GET", "/api/v1/events", http::Access::read, [&nodes](http::Context& ctx) {
           inventory::EventQuery q;
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
           if (!errs.empty()) return ctx.error(bad_query(std::move(errs)));
           auto events = nodes.events(q);
           if (!events.ok()) return ctx.error(events.error());
           nlohmann::json items = nlohmann::json::array();
           for (const auto& e : events.value()) items.push_back(inventory::to_json(e));
           std::int64_t cursor = q.newest_first ? q.before : q.after;
           std::int64_t next = events->empty() ? cursor : events->back().id;
           ctx.res.status = 200;
           ctx.res.set_content(
               nlohmann::json{{"success", true},
                              {"data", items},
                              {"pagination",
                               {{"cursor", cursor},
                                {"next_cursor", next},
                                {"per_page", q.limit},
                                {"has_next", static_cast<int>(events->size()) == q.limit}}},
                              {"meta", http::meta(ctx.request_id)}}
                   .dump(),
               "application/json");
         }});
}

}  // namespace tt::api
