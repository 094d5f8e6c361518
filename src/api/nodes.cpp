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

// The queries pinned to a node's page: listed, pinned and unpinned under the node's path.
void register_pins(http::Router& r, inventory::PinService& pins) {
  const std::string path = "/api/v1/nodes/{id}/pins";
  auto to_json = [](const inventory::Pin& p) { return inventory::to_json(p); };
  r.add({"GET", path, http::Access::read, [&pins, to_json](http::Context& ctx) {
           auto id = ctx.id_param("id", "NODE_NOT_FOUND");
           if (!id.ok()) return ctx.error(id.error());
           auto list = pins.list(id.value());
           if (!list.ok()) return ctx.error(list.error());
           ctx.ok(json_array(list.value(), to_json));
         }});
  r.add({"POST", path, http::Access::operate, [&pins, to_json](http::Context& ctx) {
           auto id = ctx.id_param("id", "NODE_NOT_FOUND");
           if (!id.ok()) return ctx.error(id.error());
           auto body = ctx.json_body();
           if (!body.ok()) return ctx.error(body.error());
           auto in = inventory::decode_pin_input(body.value());
           if (!in.ok()) return ctx.error(in.error());
           auto pin = pins.create(id.value(), in.value(), ctx.actor());
           if (!pin.ok()) return ctx.error(pin.error());
           ctx.res.set_header("Location",
                              fmt::format("/api/v1/nodes/{}/pins/{}", pin->node_id, pin->id));
           ctx.ok(to_json(pin.value()), 201);
         }});
  r.add(delete_route(path + "/{pin}", http::Access::operate, "NODE_NOT_FOUND",
                     [&pins](http::Context& ctx, std::int64_t id) -> Result<void> {
                       auto pin = TT_TRY(ctx.id_param("pin", "PIN_NOT_FOUND"));
                       return pins.remove(id, pin, ctx.actor());
                     }));
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
  register_pins(r, s.pins);
}

}  // namespace tt::api
