#include "snmp/traps.h"

#include "snmp/mib.h"

namespace tt::snmp {

namespace {

const Oid& sys_uptime_0() {
  static const Oid o = *resolve_name("sysUpTime.0");
  return o;
}
const Oid& snmp_trap_oid_0() {
  static const Oid o = *resolve_name("snmpTrapOID.0");
  return o;
}

}  // namespace

std::optional<Trap> trap_from(const Message& m, std::string source) {
  Trap t;
  t.source = std::move(source);
  t.version = m.version;
  const Pdu& p = m.pdu;
  if (p.type == PduType::trap_v1) {
    // RFC 3584 3.1: generic traps 0..5 are snmpTraps.1..6; enterprise-specific ones are
    // enterprise.0.specific.
    if (p.generic_trap >= 0 && p.generic_trap <= 5) {
      t.trap_oid = *resolve_name("snmpTraps");
      t.trap_oid.push_back(static_cast<std::uint32_t>(p.generic_trap + 1));
    } else {
      t.trap_oid = p.enterprise;
      t.trap_oid.push_back(0);
      t.trap_oid.push_back(static_cast<std::uint32_t>(p.specific_trap));
    }
    t.uptime_ticks = p.timestamp;
    t.varbinds = p.varbinds;
    return t;
  }
  if (p.type != PduType::trap_v2 && p.type != PduType::inform) return std::nullopt;
  std::size_t i = 0;
  if (i < p.varbinds.size() && p.varbinds[i].oid == sys_uptime_0()) {
    if (p.varbinds[i].value.type == Type::timeticks) t.uptime_ticks = static_cast<std::uint32_t>(p.varbinds[i].value.number);
    ++i;
  }
  if (i >= p.varbinds.size() || p.varbinds[i].oid != snmp_trap_oid_0() || p.varbinds[i].value.type != Type::oid)
    return std::nullopt;
  t.trap_oid = p.varbinds[i].value.oid;
  t.varbinds.assign(p.varbinds.begin() + static_cast<std::ptrdiff_t>(i + 1), p.varbinds.end());
  return t;
}

nlohmann::json to_json(const Trap& t) {
  nlohmann::json vbs = nlohmann::json::array();
  for (const auto& vb : t.varbinds)
    vbs.push_back({{"oid", to_string(vb.oid)}, {"name", name_of(vb.oid)}, {"type", to_string(vb.value.type)},
                   {"value", json_of(vb.value)}});
  return {{"source", t.source},
          {"version", to_string(t.version)},
          {"trap_oid", to_string(t.trap_oid)},
          {"trap", name_of(t.trap_oid)},
          {"uptime", t.uptime_ticks ? nlohmann::json(static_cast<double>(*t.uptime_ticks) / 100.0) : nlohmann::json()},
          {"varbinds", std::move(vbs)}};
}

std::string source_address(const Trap& t) {
  auto address = t.source.substr(0, t.source.rfind(':'));
  if (address.size() >= 2 && address.front() == '[' && address.back() == ']') address = address.substr(1, address.size() - 2);
  return address;
}

std::vector<SeriesSamples> trap_series(const std::vector<Trap>& batch, const std::map<std::string, std::string>& nodes,
                                       TimeMs at) {
  std::map<LabelSet, double> counts;
  for (const auto& t : batch) {
    auto address = source_address(t);
    LabelSet labels{{std::string(kMetricNameLabel), "snmp_traps"}, {"source", address}, {"trap", name_of(t.trap_oid)}};
    if (auto node = nodes.find(address); node != nodes.end()) labels.push_back({"node", node->second});
    sort_labels(labels);
    counts[std::move(labels)] += 1;
  }
  std::vector<SeriesSamples> out;
  for (auto& [labels, n] : counts) out.push_back({labels, {{at, n}}});
  return out;
}

}  // namespace tt::snmp
