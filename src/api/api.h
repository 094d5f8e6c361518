// api/ — the REST handlers under /api/v1: thin translations between JSON and the domain
// services, one file per resource. Registered on the http::Router by the app.
#pragma once

#include <functional>
#include <string>

#include "alerts/inhibit_service.h"
#include "alerts/maintenance_service.h"
#include "alerts/service.h"
#include "auth/auth.h"
#include "checks/service.h"
#include "events/log.h"
#include "http/router.h"
#include "inventory/service.h"
#include "notify/service.h"
#include "snmp/discovery.h"
#include "snmp/trap_users.h"
#include "tsdb/store.h"

namespace tt::api {

struct Readiness {
  std::function<bool()> database_ok;  // a read connection answers and the schema is current
  std::function<bool()> loop_alive;   // the core loop ticked recently
  std::function<bool()> disk_full;    // writes are refused for lack of space (db/disk_health.h)
};

struct Services {
  auth::AuthService& auth;
  inventory::NodeService& nodes;
  events::History& events;
  checks::CheckService& checks;
  alerts::AlertService& alerts;
  alerts::MaintenanceService& maintenance;
  alerts::InhibitService& inhibit;
  notify::ChannelService& channels;
  tsdb::Store& store;
  snmp::DiscoveryService& discovery;
  snmp::TrapUserService& trap_users;
  Readiness readiness;
  std::string web_dir;  // empty: the embedded UI
};

// A query string that does not decode: 422 with what is wrong in each parameter.
inline Error bad_query(std::vector<FieldError> errs) {
  return Error{
      ErrorKind::validation, "VALIDATION_FAILED", "bad query parameters", std::move(errs), {}};
}

void register_health(http::Router& r, Services& s);
void register_auth(http::Router& r, Services& s);
void register_users(http::Router& r, Services& s);
void register_nodes(http::Router& r, Services& s);
void register_events(http::Router& r, Services& s);
void register_checks(http::Router& r, Services& s);
void register_series(http::Router& r, Services& s);
void register_prometheus(http::Router& r, Services& s);
void register_discover(http::Router& r, Services& s);
void register_trap_users(http::Router& r, Services& s);
void register_alerts(http::Router& r, Services& s);
void register_maintenance(http::Router& r, Services& s);
void register_inhibit_rules(http::Router& r, Services& s);
void register_channels(http::Router& r, Services& s);

inline void register_all(http::Router& r, Services& s) {
  register_health(r, s);
  register_auth(r, s);
  register_users(r, s);
  register_nodes(r, s);
  register_events(r, s);
  register_checks(r, s);
  register_series(r, s);
  register_prometheus(r, s);
  register_discover(r, s);
  register_trap_users(r, s);
  register_alerts(r, s);
  register_maintenance(r, s);
  register_inhibit_rules(r, s);
  register_channels(r, s);
}

}  // namespace tt::api
