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
#include "db/database.h"
#include "events/change.h"
#include "events/log.h"
#include "fleet/fleet.h"
#include "http/router.h"
#include "inventory/pins.h"
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

// A stored resource as `apply` and `export` use it: its routes' create, get, update (none for
// silences) and delete, with records as their JSON. Filled by add_resource_routes, by path.
struct Stored {
  std::function<Result<nlohmann::json>(const nlohmann::json& body, const Actor&)> create;
  std::function<Result<nlohmann::json>(std::int64_t id)> get;
  std::function<Result<nlohmann::json>(std::int64_t id, const nlohmann::json& body, const Actor&)>
      update;
  std::function<Result<void>(std::int64_t id, const Actor&)> remove;
};
using Catalog = std::map<std::string, Stored>;

struct Services {
  auth::AuthService& auth;
  inventory::NodeService& nodes;
  inventory::PinService& pins;
  events::History& events;
  checks::CheckService& checks;
  alerts::AlertService& alerts;
  alerts::MaintenanceService& maintenance;
  alerts::InhibitService& inhibit;
  notify::ChannelService& channels;
  tsdb::Store& store;
  snmp::DiscoveryService& discovery;
  snmp::TrapUserService& trap_users;
  fleet::FleetService& fleet;
  events::Log& log;      // apply's one writer job
  db::Readers& readers;  // export's reads
  Readiness readiness;
  std::string web_dir;    // empty: the embedded UI
  std::string data_dir;   // for the backups an admin downloads
  std::string base_path;  // the prefix the UI is served under (http/base_path.h); "" for none
  Catalog catalog{};      // filled as the routes are registered
};

// A query string that does not decode: 422 with what is wrong in each parameter.
inline Error bad_query(std::vector<FieldError> errs) {
  return Error{
      ErrorKind::validation, "VALIDATION_FAILED", "bad query parameters", std::move(errs), {}};
}

// A list's query: the page, then what `read(ctx, q, errs)` takes into `q`; 422 with every
// problem `read` found.
template <typename Q>
Result<Q> list_query(const http::Context& ctx,
                     void (*read)(const http::Context&, Q&, std::vector<FieldError>&)) {
  Q q;
  q.page = TT_TRY(ctx.page_request());
  std::vector<FieldError> errs;
  read(ctx, q, errs);
  if (!errs.empty()) return bad_query(std::move(errs));
  return q;
}

// Query parameters that several lists share. Each adds what is wrong to `errs`.
// name=one of an enum's names, read by `parse` (`must` tells which there are).
template <typename E>
void enum_query(const http::Context& ctx, const char* name,
                std::optional<E> (*parse)(std::string_view), const char* must,
                std::optional<E>& out, std::vector<FieldError>& errs) {
  if (auto v = ctx.query(name); !v.empty()) {
    out = parse(v);
    if (!out) errs.push_back({name, must});
  }
}
// label=name=value, repeated: all must match.
void label_query(const http::Context& ctx, std::vector<std::pair<std::string, std::string>>& out,
                 std::vector<FieldError>& errs);
// sort=field or sort=-field (descending), where valid(sort) says which fields there are.
void sort_query(const http::Context& ctx, bool (*valid)(const std::string&),
                std::string_view fields, std::string& out, std::vector<FieldError>& errs);
// name=true or name=false; false when absent, 422 for anything else.
Result<bool> flag_query(const http::Context& ctx, const char* name);

void register_health(http::Router& r, Services& s);
void register_auth(http::Router& r, Services& s);
void register_users(http::Router& r, Services& s);
void register_kiosk_links(http::Router& r, Services& s);
void register_nodes(http::Router& r, Services& s);
void register_events(http::Router& r, Services& s);
void register_checks(http::Router& r, Services& s);
void register_fields(http::Router& r, Services& s);
void register_series(http::Router& r, Services& s);
void register_prometheus(http::Router& r, Services& s);
void register_discover(http::Router& r, Services& s);
void register_trap_users(http::Router& r, Services& s);
void register_alerts(http::Router& r, Services& s);
void register_maintenance(http::Router& r, Services& s);
void register_inhibit_rules(http::Router& r, Services& s);
void register_channels(http::Router& r, Services& s);
void register_apply(http::Router& r, Services& s);
void register_backup(http::Router& r, Services& s);
void register_fleet(http::Router& r, Services& s);

inline void register_all(http::Router& r, Services& s) {
  register_health(r, s);
  register_auth(r, s);
  register_users(r, s);
  register_kiosk_links(r, s);
  register_nodes(r, s);
  register_events(r, s);
  register_checks(r, s);
  register_fields(r, s);
  register_series(r, s);
  register_prometheus(r, s);
  register_discover(r, s);
  register_trap_users(r, s);
  register_alerts(r, s);
  register_maintenance(r, s);
  register_inhibit_rules(r, s);
  register_channels(r, s);
  register_fleet(r, s);
  register_backup(r, s);
  register_apply(r, s);  // last: it applies what the others registered
}

}  // namespace tt::api
