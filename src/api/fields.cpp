// GET /api/v1/fields: the field table of each resource's body (core/options.h), keyed by the path
// under /api/v1 that takes the body, so the UI's forms read what the decoders enforce, as they
// read the probes' options from /api/v1/check-kinds.
#include "alerts/inhibit.h"
#include "alerts/maintenance.h"
#include "alerts/rule.h"
#include "alerts/silence.h"
#include "api/api.h"
#include "checks/check.h"
#include "inventory/node.h"
#include "notify/service.h"
#include "snmp/discovery.h"
#include "snmp/trap_users.h"

namespace tt::api {

namespace {

nlohmann::json field_tables() {
  return {
      {"checks", to_json(checks::check_fields())},
      {"alert-rules", to_json(alerts::rule_fields())},
      {"nodes", to_json(inventory::node_fields())},
      {"silences", to_json(alerts::silence_fields())},
      {"maintenance", to_json(alerts::maintenance_fields())},
      {"inhibit-rules", to_json(alerts::inhibit_rule_fields())},
      {"channels", to_json(notify::channel_fields())},
      {"snmp/trap-users", to_json(snmp::trap_user_fields())},
      {"discover/snmp", to_json(snmp::discovery_fields())},
  };
}

}  // namespace

void register_fields(http::Router& r, Services& /*s*/) {
  // The tables are the binary's and never change: serialised once.
  r.add({"GET", "/api/v1/fields", http::Access::read,
         [tables = field_tables()](http::Context& ctx) { ctx.ok(tables); }});
}

}  // namespace tt::api
