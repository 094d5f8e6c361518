#include "snmp/mib.h"

#include <map>
#include <unordered_map>

namespace tt::snmp {

namespace {

struct Entry {
  const char* name;
  const char* oid;
};

// Object names and their OIDs, from the MIB modules named in the comments.
constexpr Entry kEntries[] = {
    // SNMPv2-MIB (RFC 3418)
    {"system", "1.3.6.1.2.1.1"},
    {"sysDescr", "1.3.6.1.2.1.1.1"},
    {"sysObjectID", "1.3.6.1.2.1.1.2"},
    {"sysUpTime", "1.3.6.1.2.1.1.3"},
    {"sysContact", "1.3.6.1.2.1.1.4"},
    {"sysName", "1.3.6.1.2.1.1.5"},
    {"sysLocation", "1.3.6.1.2.1.1.6"},
    {"sysServices", "1.3.6.1.2.1.1.7"},
    {"sysORLastChange", "1.3.6.1.2.1.1.8"},
    {"sysORTable", "1.3.6.1.2.1.1.9"},
    {"sysOREntry", "1.3.6.1.2.1.1.9.1"},
    {"sysORID", "1.3.6.1.2.1.1.9.1.2"},
    {"sysORDescr", "1.3.6.1.2.1.1.9.1.3"},
    {"sysORUpTime", "1.3.6.1.2.1.1.9.1.4"},
    {"snmpTrapOID", "1.3.6.1.6.3.1.1.4.1"},
    {"snmpTraps", "1.3.6.1.6.3.1.1.5"},
    {"coldStart", "1.3.6.1.6.3.1.1.5.1"},
    {"warmStart", "1.3.6.1.6.3.1.1.5.2"},
    {"linkDown", "1.3.6.1.6.3.1.1.5.3"},
    {"linkUp", "1.3.6.1.6.3.1.1.5.4"},
    {"authenticationFailure", "1.3.6.1.6.3.1.1.5.5"},
    {"egpNeighborLoss", "1.3.6.1.6.3.1.1.5.6"},
    // IF-MIB (RFC 2863)
    {"interfaces", "1.3.6.1.2.1.2"},
    {"ifNumber", "1.3.6.1.2.1.2.1"},
    {"ifTable", "1.3.6.1.2.1.2.2"},
    {"ifEntry", "1.3.6.1.2.1.2.2.1"},
    {"ifIndex", "1.3.6.1.2.1.2.2.1.1"},
    {"ifDescr", "1.3.6.1.2.1.2.2.1.2"},
    {"ifType", "1.3.6.1.2.1.2.2.1.3"},
    {"ifMtu", "1.3.6.1.2.1.2.2.1.4"},
    {"ifSpeed", "1.3.6.1.2.1.2.2.1.5"},
    {"ifPhysAddress", "1.3.6.1.2.1.2.2.1.6"},
    {"ifAdminStatus", "1.3.6.1.2.1.2.2.1.7"},
    {"ifOperStatus", "1.3.6.1.2.1.2.2.1.8"},
    {"ifLastChange", "1.3.6.1.2.1.2.2.1.9"},
    {"ifInOctets", "1.3.6.1.2.1.2.2.1.10"},
    {"ifInUcastPkts", "1.3.6.1.2.1.2.2.1.11"},
    {"ifInNUcastPkts", "1.3.6.1.2.1.2.2.1.12"},
    {"ifInDiscards", "1.3.6.1.2.1.2.2.1.13"},
    {"ifInErrors", "1.3.6.1.2.1.2.2.1.14"},
    {"ifInUnknownProtos", "1.3.6.1.2.1.2.2.1.15"},
    {"ifOutOctets", "1.3.6.1.2.1.2.2.1.16"},
    {"ifOutUcastPkts", "1.3.6.1.2.1.2.2.1.17"},
    {"ifOutNUcastPkts", "1.3.6.1.2.1.2.2.1.18"},
    {"ifOutDiscards", "1.3.6.1.2.1.2.2.1.19"},
    {"ifOutErrors", "1.3.6.1.2.1.2.2.1.20"},
    {"ifOutQLen", "1.3.6.1.2.1.2.2.1.21"},
    {"ifSpecific", "1.3.6.1.2.1.2.2.1.22"},
    {"ifXTable", "1.3.6.1.2.1.31.1.1"},
    {"ifXEntry", "1.3.6.1.2.1.31.1.1.1"},
    {"ifName", "1.3.6.1.2.1.31.1.1.1.1"},
    {"ifInMulticastPkts", "1.3.6.1.2.1.31.1.1.1.2"},
    {"ifInBroadcastPkts", "1.3.6.1.2.1.31.1.1.1.3"},
    {"ifOutMulticastPkts", "1.3.6.1.2.1.31.1.1.1.4"},
    {"ifOutBroadcastPkts", "1.3.6.1.2.1.31.1.1.1.5"},
    {"ifHCInOctets", "1.3.6.1.2.1.31.1.1.1.6"},
    {"ifHCInUcastPkts", "1.3.6.1.2.1.31.1.1.1.7"},
    {"ifHCInMulticastPkts", "1.3.6.1.2.1.31.1.1.1.8"},
    {"ifHCInBroadcastPkts", "1.3.6.1.2.1.31.1.1.1.9"},
    {"ifHCOutOctets", "1.3.6.1.2.1.31.1.1.1.10"},
    {"ifHCOutUcastPkts", "1.3.6.1.2.1.31.1.1.1.11"},
    {"ifHCOutMulticastPkts", "1.3.6.1.2.1.31.1.1.1.12"},
    {"ifHCOutBroadcastPkts", "1.3.6.1.2.1.31.1.1.1.13"},
    {"ifLinkUpDownTrapEnable", "1.3.6.1.2.1.31.1.1.1.14"},
    {"ifHighSpeed", "1.3.6.1.2.1.31.1.1.1.15"},
    {"ifPromiscuousMode", "1.3.6.1.2.1.31.1.1.1.16"},
    {"ifConnectorPresent", "1.3.6.1.2.1.31.1.1.1.17"},
    {"ifAlias", "1.3.6.1.2.1.31.1.1.1.18"},
    {"ifCounterDiscontinuityTime", "1.3.6.1.2.1.31.1.1.1.19"},
    // HOST-RESOURCES-MIB (RFC 2790)
    {"host", "1.3.6.1.2.1.25"},
    {"hrSystemUptime", "1.3.6.1.2.1.25.1.1"},
    {"hrSystemNumUsers", "1.3.6.1.2.1.25.1.5"},
    {"hrSystemProcesses", "1.3.6.1.2.1.25.1.6"},
    {"hrMemorySize", "1.3.6.1.2.1.25.2.2"},
    {"hrStorageTable", "1.3.6.1.2.1.25.2.3"},
    {"hrStorageEntry", "1.3.6.1.2.1.25.2.3.1"},
    {"hrStorageIndex", "1.3.6.1.2.1.25.2.3.1.1"},
    {"hrStorageType", "1.3.6.1.2.1.25.2.3.1.2"},
    {"hrStorageDescr", "1.3.6.1.2.1.25.2.3.1.3"},
    {"hrStorageAllocationUnits", "1.3.6.1.2.1.25.2.3.1.4"},
    {"hrStorageSize", "1.3.6.1.2.1.25.2.3.1.5"},
    {"hrStorageUsed", "1.3.6.1.2.1.25.2.3.1.6"},
    {"hrStorageAllocationFailures", "1.3.6.1.2.1.25.2.3.1.7"},
    {"hrDeviceDescr", "1.3.6.1.2.1.25.3.2.1.3"},
    {"hrProcessorTable", "1.3.6.1.2.1.25.3.3"},
    {"hrProcessorEntry", "1.3.6.1.2.1.25.3.3.1"},
    {"hrProcessorFrwID", "1.3.6.1.2.1.25.3.3.1.1"},
    {"hrProcessorLoad", "1.3.6.1.2.1.25.3.3.1.2"},
    // UCD-SNMP-MIB (net-snmp)
    {"ucdavis", "1.3.6.1.4.1.2021"},
    {"memTotalSwap", "1.3.6.1.4.1.2021.4.3"},
    {"memAvailSwap", "1.3.6.1.4.1.2021.4.4"},
    {"memTotalReal", "1.3.6.1.4.1.2021.4.5"},
    {"memAvailReal", "1.3.6.1.4.1.2021.4.6"},
    {"memTotalFree", "1.3.6.1.4.1.2021.4.11"},
    {"memShared", "1.3.6.1.4.1.2021.4.13"},
    {"memBuffer", "1.3.6.1.4.1.2021.4.14"},
    {"memCached", "1.3.6.1.4.1.2021.4.15"},
    {"dskTable", "1.3.6.1.4.1.2021.9"},
    {"dskEntry", "1.3.6.1.4.1.2021.9.1"},
    {"dskIndex", "1.3.6.1.4.1.2021.9.1.1"},
    {"dskPath", "1.3.6.1.4.1.2021.9.1.2"},
    {"dskDevice", "1.3.6.1.4.1.2021.9.1.3"},
    {"dskTotal", "1.3.6.1.4.1.2021.9.1.6"},
    {"dskAvail", "1.3.6.1.4.1.2021.9.1.7"},
    {"dskUsed", "1.3.6.1.4.1.2021.9.1.8"},
    {"dskPercent", "1.3.6.1.4.1.2021.9.1.9"},
    {"laTable", "1.3.6.1.4.1.2021.10"},
    {"laEntry", "1.3.6.1.4.1.2021.10.1"},
    {"laIndex", "1.3.6.1.4.1.2021.10.1.1"},
    {"laNames", "1.3.6.1.4.1.2021.10.1.2"},
    {"laLoad", "1.3.6.1.4.1.2021.10.1.3"},
    {"laLoadInt", "1.3.6.1.4.1.2021.10.1.5"},
    {"systemStats", "1.3.6.1.4.1.2021.11"},
    {"ssCpuUser", "1.3.6.1.4.1.2021.11.9"},
    {"ssCpuSystem", "1.3.6.1.4.1.2021.11.10"},
    {"ssCpuIdle", "1.3.6.1.4.1.2021.11.11"},
    {"ssCpuRawUser", "1.3.6.1.4.1.2021.11.50"},
    {"ssCpuRawNice", "1.3.6.1.4.1.2021.11.51"},
    {"ssCpuRawSystem", "1.3.6.1.4.1.2021.11.52"},
    {"ssCpuRawIdle", "1.3.6.1.4.1.2021.11.53"},
    {"ssCpuRawWait", "1.3.6.1.4.1.2021.11.54"},
};

struct Tables {
  std::unordered_map<std::string_view, Oid> by_name;
  std::map<Oid, std::string_view> by_oid;
  Tables() {
    for (const auto& e : kEntries) {
      Oid oid = *parse_oid(e.oid);
      by_name.emplace(e.name, oid);
      by_oid.emplace(std::move(oid), e.name);
    }
  }
};

const Tables& tables() {
  static const Tables t;
  return t;
}

}  // namespace

std::optional<Oid> resolve_name(std::string_view text) {
  if (auto colons = text.find("::"); colons != std::string_view::npos)
    text.remove_prefix(colons + 2);
  if (text.empty()) return std::nullopt;
  if (text.front() == '.' || (text.front() >= '0' && text.front() <= '9')) return parse_oid(text);
  const auto dot = text.find('.');
  auto it = tables().by_name.find(text.substr(0, dot));
  if (it == tables().by_name.end()) return std::nullopt;
  if (dot == std::string_view::npos) return it->second;
  // The suffix is dotted arcs; parse it behind a dummy "1.3" head so parse_oid checks each arc.
  auto suffix = parse_oid("1.3." + std::string(text.substr(dot + 1)));
  if (!suffix || it->second.size() + suffix->size() - 2 > kMaxOidArcs) return std::nullopt;
  Oid oid = it->second;
  oid.insert(oid.end(), suffix->begin() + 2, suffix->end());
  return oid;
}

std::string name_of(const Oid& oid) {
  const auto& by_oid = tables().by_oid;
  for (std::size_t n = oid.size(); n >= 2; --n) {
    auto it = by_oid.find(Oid(oid.begin(), oid.begin() + static_cast<std::ptrdiff_t>(n)));
    if (it == by_oid.end()) continue;
    std::string s(it->second);
    for (std::size_t i = n; i < oid.size(); ++i) s += "." + std::to_string(oid[i]);
    return s;
  }
  return to_string(oid);
}

}  // namespace tt::snmp
