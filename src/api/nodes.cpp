#include "api/api.h"
#include "api/resource.h"

namespace tt::api {

namespace {

void node_query(const http::Context& ctx, inventory::NodeQuery& q, std::vector<FieldError>& errs) {
  enum_query(ctx, "type", inventory::parse_node_type,
             "must be one of baremetal, vm, container, network, iot", q.type, errs);
  enum_query(ctx, "status", inventory::parse_node_status,
             "must be one of unknown, up, down, degraded", q.status, errs);
  label_query(ctx, q.labels, errs);
  q.text = ctx.query("q");
  sort_query(ctx, inventory::valid_node_sort,
             "name, type, status, created_at, updated_at, last_seen, id", q.sort, errs);
}

}  // namespace

void register_nodes(http::Router& r, Services& s) {
  auto& nodes = s.nodes;
  auto resource = input_resource<inventory::Node>(
      "/api/v1/nodes", "NODE_NOT_FOUND",
      [](const inventory::Node& n) { return inventory::to_json(n); },
      list_by<inventory::Node>(nodes, node_query), nodes, inventory::decode_node_input);
  resource.list_access = http::Access::kiosk;  // the wall screen's nodes
  add_resource_routes(r, std::move(resource), s.catalog);
}

}  // namespace tt::api
