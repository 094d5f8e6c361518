#include "api/api.h"
#include "snmp/discovery.h"

namespace tt::api {

void register_discover(http::Router& r, Services& s) {
  auto& discovery = s.discovery;
  // Operators only: a discovery sends packets to any address the caller names and may create a
  // node.
  r.add({"POST", "/api/v1/discover/snmp", http::Access::operate, [&discovery](http::Context& ctx) {
           auto body = ctx.json_body();
           if (!body.ok()) return ctx.error(body.error());
           auto req = snmp::decode_discovery_request(body.value());
           if (!req.ok()) return ctx.error(req.error());
           auto found = discovery.run(req.value(), ctx.actor());
           if (!found.ok()) return ctx.error(found.error());
           ctx.ok(found.value());
         }});
}

}  // namespace tt::api
