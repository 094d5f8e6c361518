#include <doctest/doctest.h>

#include "query/query.h"
#include "snmp/mib.h"
#include "snmp/traps.h"

using namespace tt::snmp;

namespace {
Oid oid(const char* s) { return *parse_oid(s); }
}  // namespace

TEST_CASE("snmp traps: v1 generic and enterprise traps map to trap OIDs as RFC 3584 says") {
  Message m;
  m.version = Version::v1;
  m.pdu.type = PduType::trap_v1;
  m.pdu.enterprise = oid("1.3.6.1.4.1.8072.3");
  m.pdu.generic_trap = 2;  // linkDown
  m.pdu.timestamp = 4200;
  m.pdu.varbinds = {{oid("1.3.6.1.2.1.2.2.1.1.3"), Value::make_integer(3)}};
  auto t = trap_from(m, "192.0.2.7:1162");
  REQUIRE(t);
  CHECK(t->trap_oid == oid("1.3.6.1.6.3.1.1.5.3"));
  CHECK(t->uptime_ticks == 4200u);
  auto j = to_json(*t);
  CHECK(j["trap"] == "linkDown");
  CHECK(j["uptime"] == 42.0);
  CHECK(j["varbinds"][0]["name"] == "ifIndex.3");
  CHECK(j["varbinds"][0]["value"] == 3);

  m.pdu.generic_trap = 6;
  m.pdu.specific_trap = 17;
  CHECK(trap_from(m, "x")->trap_oid == oid("1.3.6.1.4.1.8072.3.0.17"));
}

TEST_CASE("snmp traps: v2 traps and informs carry sysUpTime.0 and snmpTrapOID.0 first") {
  Message m;
  m.pdu.type = PduType::trap_v2;
  m.pdu.varbinds = {{*resolve_name("sysUpTime.0"), Value::make_unsigned(Type::timeticks, 99)},
                    {*resolve_name("snmpTrapOID.0"), Value::make_oid(oid("1.3.6.1.6.3.1.1.5.4"))},
                    {oid("1.3.6.1.2.1.1.5.0"), Value::make_bytes(Type::octet_string, "sw1")}};
  auto t = trap_from(m, "[::1]:5000");
  REQUIRE(t);
  CHECK(to_json(*t)["trap"] == "linkUp");
  REQUIRE(t->varbinds.size() == 1);
  CHECK(to_json(*t)["varbinds"][0]["value"] == "sw1");
  m.pdu.type = PduType::inform;
  CHECK(trap_from(m, "x"));
  m.pdu.type = PduType::response;
  CHECK_FALSE(trap_from(m, "x"));  // not a trap
  m.pdu.type = PduType::trap_v2;
  m.pdu.varbinds.erase(m.pdu.varbinds.begin() + 1);  // no snmpTrapOID.0
  CHECK_FALSE(trap_from(m, "x"));
}

TEST_CASE("snmp traps: a batch adds how many traps of each kind each sender sent, with its node") {
  auto trap = [](std::string source, const char* name) {
    Trap t;
    t.source = std::move(source);
    t.trap_oid = *resolve_name(name);
    return t;
  };
  std::vector<Trap> batch{trap("192.0.2.1:47001", "linkDown"), trap("192.0.2.1:47002", "linkDown"),
                          trap("[2001:db8::1]:162", "linkDown"), trap("192.0.2.1:47003", "coldStart")};
  CHECK(source_address(batch[2]) == "2001:db8::1");
  auto series = trap_series(batch, {{"192.0.2.1", "gw1"}}, 1000);
  REQUIRE(series.size() == 3);
  std::vector<std::pair<std::string, double>> got;
  for (const auto& s : series) {
    REQUIRE(s.samples.size() == 1);
    CHECK(s.samples[0].t == 1000);
    got.emplace_back(tt::query::format_labels(s.labels), s.samples[0].v);
  }
  CHECK(got == std::vector<std::pair<std::string, double>>{
                   {R"(snmp_traps{node="gw1", source="192.0.2.1", trap="coldStart"})", 1},
                   {R"(snmp_traps{node="gw1", source="192.0.2.1", trap="linkDown"})", 2},
                   {R"(snmp_traps{source="2001:db8::1", trap="linkDown"})", 1}});
}
