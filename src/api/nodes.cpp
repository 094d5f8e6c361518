#include <fmt/format.h>

#include "api/api.h"
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
      errs.push_back({"sort", "must be one of name, type, status, created_at, updated_at, last_seen, id, with - for descending"});
    else
      q.sort = s;
  }
  if (!errs.empty()) return Error{ErrorKind::validation, "VALIDATION_FAILED", "bad query parameters", errs, {}};
  return q;
}

}  // namespace

void register_nodes(http::Router& r, Services& s) {
  auto& nodes = s.nodes;
  r.add({"GET", "/api/v1/nodes", http::Access::read, [&nodes](http::Context& ctx) {
           auto q = node_query(ctx);
           if (!q.ok()) return ctx.error(q.error());
           auto page = nodes.list(q.value());
           if (!page.ok()) return ctx.error(page.error());
           nlohmann::json items = nlohmann::json::array();
           for (const auto& n : page->items) items.push_back(inventory::to_json(n));
           ctx.list(items, page->total, page->request);
         }});
  r.add({"POST", "/api/v1/nodes", http::Access::operate, [&nodes](http::Context& ctx) {
           auto body = ctx.json_body();
           if (!body.ok()) return ctx.error(body.error());
           auto in = inventory::decode_node_input(body.value(), inventory::InputMode::create);
           if (!in.ok()) return ctx.error(in.error());
           auto n = nodes.create(in.value(), ctx.actor());
           if (!n.ok()) return ctx.error(n.error());
           ctx.res.set_header("Location", fmt::format("/api/v1/nodes/{}", n->id));
           ctx.ok(inventory::to_json(n.value()), 201);
         }});
  r.add({"GET", "/api/v1/nodes/{id}", http::Access::read, [&nodes](http::Context& ctx) {
           auto id = ctx.id_param("id", "NODE_NOT_FOUND");
           if (!id.ok()) return ctx.error(id.error());
           auto n = nodes.get(id.value());
           if (!n.ok()) return ctx.error(n.error());
           ctx.ok(inventory::to_json(n.value()));
         }});
  r.add({"PATCH", "/api/v1/nodes/{id}", http::Access::operate, [&nodes](http::Context& ctx) {
           auto id = ctx.id_param("id", "NODE_NOT_FOUND");
           if (!id.ok()) return ctx.error(id.error());
           auto body = ctx.json_body();
           if (!body.ok()) return ctx.error(body.error());
           auto in = inventory::decode_node_input(body.value(), inventory::InputMode::patch);
           if (!in.ok()) return ctx.error(in.error());
           auto n = nodes.update(id.value(), in.value(), ctx.actor());
           if (!n.ok()) return ctx.error(n.error());
           ctx.ok(inventory::to_json(n.value()));
         },
         {"application/json", "application/merge-patch+json"}});
  r.add({"DELETE", "/api/v1/nodes/{id}", http::Access::operate, [&nodes](http::Context& ctx) {
           auto id = ctx.id_param("id", "NODE_NOT_FOUND");
           if (!id.ok()) return ctx.error(id.error());
           auto done = nodes.remove(id.value(), ctx.actor());
           if (!done.ok()) return ctx.error(done.error());
           ctx.no_content();
         }});
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
           if (auto order = ctx.query("order"); order == "desc") q.newest_first = true;
           else if (!order.empty() && order != "asc")
             errs.push_back({"order", "must be asc or desc"});
           if (ctx.req.has_param("before") && !q.newest_first)
             errs.push_back({"before", "needs order=desc (after pages oldest first)"});
           q.limit = static_cast<int>(limit);
           q.topic = ctx.query("topic");
           if (!errs.empty()) return ctx.error(Error{ErrorKind::validation, "VALIDATION_FAILED", "bad query parameters", errs, {}});
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
                              {"pagination", {{"cursor", cursor}, {"next_cursor", next}, {"per_page", q.limit},
                                              {"has_next", static_cast<int>(events->size()) == q.limit}}},
                              {"meta", http::meta(ctx.request_id)}}
                   .dump(),
               "application/json");
         }});
}

}  // namespace tt::api
