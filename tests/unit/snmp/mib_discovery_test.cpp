#include <doctest/doctest.h>

#include "../fields_of.h"
#include "snmp/discovery.h"
#include "snmp/mib.h"

using namespace tt::snmp;
using tt::test::sorted_fields_of;

namespace {
Oid oid(const char* s) { return *parse_oid(s); }
}  // namespace

TEST_CASE("snmp mib: names resolve to OIDs and back") {
  CHECK(resolve_name("ifHCInOctets") == oid("1.3.6.1.2.1.31.1.1.1.6"));
  CHECK(resolve_name("sysUpTime.0") == oid("1.3.6.1.2.1.1.3.0"));
  CHECK(resolve_name("IF-MIB::ifOperStatus.12") == oid("1.3.6.1.2.1.2.2.1.8.12"));
  CHECK(resolve_name("hrProcessorLoad") == oid("1.3.6.1.2.1.25.3.3.1.2"));
  CHECK(resolve_name("memAvailReal.0") == oid("1.3.6.1.4.1.2021.4.6.0"));
  CHECK(resolve_name(".1.3.6.1.2.1.1.5.0") == oid("1.3.6.1.2.1.1.5.0"));
  CHECK_FALSE(resolve_name("ifHCInOctet"));
  CHECK_FALSE(resolve_name("sysUpTime."));
  CHECK_FALSE(resolve_name("sysUpTime.x"));
  CHECK_FALSE(resolve_name(""));
  CHECK(name_of(oid("1.3.6.1.2.1.31.1.1.1.6.3")) == "ifHCInOctets.3");
  CHECK(name_of(oid("1.3.6.1.2.1.1.3.0")) == "sysUpTime.0");
  CHECK(name_of(oid("1.3.6.1.4.1.2021.10.1.3.1")) == "laLoad.1");
  CHECK(name_of(oid("1.3.6.1.4.1.9.9")) == "1.3.6.1.4.1.9.9");
}

TEST_CASE("snmp discovery: requests are validated field by field") {
  auto r = decode_discovery_request(
      {{"address", "[::1]:1161"}, {"version", "1"}, {"timeout", "500ms"}, {"retries", 0}});
  REQUIRE(r.ok());
  CHECK(r->host == "::1");
  CHECK(r->port == 1161);
  CHECK(r->version == Version::v1);
  CHECK(r->timeout == std::chrono::milliseconds(500));
  auto bare = decode_discovery_request({{"address", "fe80::1"}});
  REQUIRE(bare.ok());
  CHECK(bare->port == 161);
  CHECK(decode_discovery_request({{"address", "switch-1.lan:16100"}})->port == 16100);

  auto bad = decode_discovery_request({{"address", "host:0"},
                                       {"version", "4"},
                                       {"community", ""},
                                       {"timeout", "1h"},
                                       {"retries", 11},
                                       {"create_node", "yes"},
                                       {"colour", 1}});
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().code == "VALIDATION_FAILED");
  CHECK(sorted_fields_of(bad) == std::vector<std::string>{"address", "colour", "community",
                                                          "create_node", "retries", "timeout",
                                                          "version"});

  auto v3 = decode_discovery_request({{"address", "sw1"},
                                      {"version", "3"},
                                      {"user", "ops"},
                                      {"auth_protocol", "sha256"},
                                      {"auth_password", "auth-pass"},
                                      {"priv_protocol", "aes"},
                                      {"priv_password", "priv-pass"},
                                      {"context", "vlan-5"}});
  REQUIRE(v3.ok());
  CHECK(v3->user ==
        UsmUser{"ops", AuthProtocol::sha256, "auth-pass", PrivProtocol::aes128, "priv-pass"});
  CHECK(v3->context == "vlan-5");
  auto v3_bad = decode_discovery_request({{"address", "sw1"},
                                          {"version", "3"},
                                          {"community", "x"},
                                          {"priv_protocol", "aes"},
                                          {"priv_password", "short"}});
  REQUIRE_FALSE(v3_bad.ok());
  CHECK(sorted_fields_of(v3_bad) ==
        std::vector<std::string>{"community", "priv_password", "priv_protocol", "user"});
  auto v2_with_user = decode_discovery_request({{"address", "sw1"}, {"user", "ops"}});
  REQUIRE_FALSE(v2_with_user.ok());
  CHECK(v2_with_user.error().fields.at(0).message == "is for version 3 only");

  auto missing = decode_discovery_request(nlohmann::json::object());
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.error().fields.at(0).field == "address");
}

TEST_CASE("snmp discovery: the system group and interface columns become a device") {
  std::vector<VarBind> system = {
      {oid("1.3.6.1.2.1.1.1.0"),
       Value::make_bytes(Type::octet_string, std::string("Linux\xff box\0", 11))},
      {oid("1.3.6.1.2.1.1.2.0"), Value::make_oid(oid("1.3.6.1.4.1.8072.3.2.10"))},
      {oid("1.3.6.1.2.1.1.3.0"), Value::make_unsigned(Type::timeticks, 12345)},
      {oid("1.3.6.1.2.1.1.5.0"), Value::make_bytes(Type::octet_string, "core-sw")},
      // GETNEXT past a missing sysLocation lands elsewhere: ignored.
      {oid("1.3.6.1.2.1.1.7.0"), Value::make_integer(72)},
  };
  std::vector<std::vector<VarBind>> columns(kInterfaceColumns.size());
  auto put = [&](std::size_t column, std::uint32_t index, Value v) {
    Oid o = kInterfaceColumns[column];
    o.push_back(index);
    columns[column].push_back({o, std::move(v)});
  };
  put(0, 2, Value::make_bytes(Type::octet_string, "eth0"));
  put(1, 2, Value::make_integer(6));
  put(3, 2, Value::make_unsigned(Type::gauge32, 0xffffffffu));  // ifSpeed saturated
  put(4, 2, Value::make_bytes(Type::octet_string, std::string("\x02\x42\xac\x11\x00\x02", 6)));
  put(5, 2, Value::make_integer(1));
  put(6, 2, Value::make_integer(7));
  put(8, 2, Value::make_unsigned(Type::gauge32, 25000));
  put(3, 3, Value::make_unsigned(Type::gauge32, 1544000));  // a T1: ifHighSpeed rounds to 2
  put(8, 3, Value::make_unsigned(Type::gauge32, 2));
  put(3, 4, Value::make_unsigned(Type::gauge32, 64000));  // below 1 Mb/s: ifHighSpeed 0
  put(8, 4, Value::make_unsigned(Type::gauge32, 0));
  auto json = to_json(device_from(system, columns));
  CHECK(json["system"]["descr"] == "Linux\xef\xbf\xbd box");
  CHECK(json["system"]["object_id"] == "1.3.6.1.4.1.8072.3.2.10");
  CHECK(json["system"]["uptime"] == 123.45);
  CHECK(json["system"]["name"] == "core-sw");
  CHECK(json["system"]["location"].is_null());
  REQUIRE(json["interfaces"].size() == 3);
  const auto& eth0 = json["interfaces"][0];
  CHECK(eth0["index"] == 2);
  CHECK(eth0["descr"] == "eth0");
  CHECK(eth0["type"] == 6);
  CHECK(eth0["speed_bps"] == 25'000'000'000ull);
  CHECK(eth0["mac"] == "02:42:ac:11:00:02");
  CHECK(eth0["admin_status"] == "up");
  CHECK(eth0["oper_status"] == "lowerLayerDown");
  CHECK(eth0["name"].is_null());
  CHECK(json["interfaces"][1]["speed_bps"] == 2'000'000);
  CHECK(json["interfaces"][2]["speed_bps"] == 64000);
}
