#include "api/api.h"
#include "api/resource.h"

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
            return nodes.list(TT_TRY(node_query(ctx)));
          },
          [&nodes](const nlohmann::json& body, const Actor& actor) -> Result<inventory::Node> {
            return nodes.create(
                TT_TRY(inventory::decode_node_input(body, inventory::InputMode::create)), actor);
          },
          [&nodes](std::int64_t id) { return nodes.get(id); },
          [&nodes](std::int64_t id, const nlohmann::json& body,
                   const Actor& actor) -> Result<inventory::Node> {
            return nodes.update(
                id, TT_TRY(inventory::decode_node_input(body, inventory::InputMode::patch)), actor);
          },
          [&nodes](std::int64_t id, const Actor& actor) { return nodes.remove(id, actor); }});
}

}  // namespace tt::api
