// snmp/discovery.h — what a device says about itself over SNMP: the system group and the
// interface table (IF-MIB ifTable and ifXTable), and turning that into an inventory node.
// `discover` runs on the core loop; `DiscoveryService` is the blocking front for HTTP threads.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "bus/bus.h"
#include "core/actor.h"
#include "core/options.h"
#include "core/result.h"
#include "inventory/service.h"
#include "snmp/address.h"
#include "snmp/engine.h"

namespace tt::snmp {

struct DiscoveryRequest {
  std::string host;  // name or literal address, without brackets
  std::uint16_t port = 161;
  Version version = Version::v2c;
  std::string community = "public";         // v1, v2c
  UsmUser user;                             // v3
  std::string context;                      // v3
  std::chrono::milliseconds timeout{2000};  // per try
  int retries = 1;
  bool create_node = false;
};

// Validates a request body: `address` ("host", "host:port", "[v6]:port", or a bare IPv6
// literal), `version` ("1", "2c", "3"), `community` (v1, v2c), `user`, `auth_protocol`,
// `auth_password`, `priv_protocol`, `priv_password`, `context` (v3), `timeout` (a duration, 100
// ms to 60 s), `retries` (0 to 10), `create_node`. Every problem is listed (VALIDATION_FAILED).
const OptionSpecs& discovery_fields();
Result<DiscoveryRequest> decode_discovery_request(const nlohmann::json& body);

struct Interface {
  std::uint32_t index = 0;
  std::optional<std::string> name, descr, alias,
      mac;  // mac: aa:bb:… of ifPhysAddress, when not empty
  std::optional<std::int64_t> type, mtu, admin_status, oper_status;
  std::optional<std::uint64_t> speed_bps;
};

struct Device {
  std::optional<std::string> name, descr, object_id, contact, location;
  std::optional<std::uint64_t> uptime_ticks;  // sysUpTime, hundredths of a second
  std::vector<Interface> interfaces;          // by index
};

// From the answers to a discovery: `system` holds the variables under the system group,
// `columns` one list per entry of kInterfaceColumns. Exposed for tests.
Device device_from(const std::vector<VarBind>& system,
                   const std::vector<std::vector<VarBind>>& columns);
extern const std::vector<Oid>
    kSystemColumns;  // sysDescr … sysLocation (GETNEXT of these gives the .0)
extern const std::vector<Oid> kInterfaceColumns;  // ifDescr, ifType, …, ifAlias

// Loop thread: one GETNEXT of the system group, then one walk of the interface columns.
void discover(Engine& engine, const Target& target, std::function<void(Result<Device>)> done);

// {"system": {name, descr, object_id, contact, location, uptime (seconds)},
//  "interfaces": [{index, name, descr, alias, type, mtu, speed_bps, mac, admin_status,
//  oper_status}]}
nlohmann::json to_json(const Device& d);

// Called from HTTP threads: resolves the host (getaddrinfo, blocking this thread only), runs
// `discover` on the loop and waits for it; with create_node, creates the node (type network,
// named after sysName) or updates the one with that address, through the inventory service.
class DiscoveryService {
 public:
  DiscoveryService(bus::CoreLoop& loop, Engine& engine, inventory::NodeService& nodes)
      : m_loop(loop), m_engine(engine), m_nodes(nodes) {}

  Result<nlohmann::json> run(const DiscoveryRequest& req, const Actor& actor);

 private:
  Result<nlohmann::json> apply_to_inventory(const DiscoveryRequest& req, const Device& d,
                                            const Actor& actor);

  bus::CoreLoop& m_loop;
  Engine& m_engine;
  inventory::NodeService& m_nodes;
};

}  // namespace tt::snmp
