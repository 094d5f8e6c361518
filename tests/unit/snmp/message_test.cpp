// The BER codec against bytes captured from net-snmp 5.9.3 (`snmpget -d`, `snmpbulkget -d`,
// `snmptrap -d` and the answers of its snmpd): our encoding of the same request is the same
// bytes, net-snmp's answers decode to the values its tools printed, and re-encode unchanged.
#include "snmp/message.h"

#include <doctest/doctest.h>

#include <string>
#include <vector>

using namespace tt::snmp;

namespace {

std::vector<std::uint8_t> hex(std::string_view h) {
  std::vector<std::uint8_t> out;
  int nibble = -1;
  for (char c : h) {
    int v = c >= '0' && c <= '9'   ? c - '0'
            : c >= 'A' && c <= 'F' ? c - 'A' + 10
            : c >= 'a' && c <= 'f' ? c - 'a' + 10
                                   : -1;
    if (v < 0) continue;
    if (nibble < 0)
      nibble = v;
    else {
      out.push_back(static_cast<std::uint8_t>(nibble << 4 | v));
      nibble = -1;
    }
  }
  return out;
}

std::string bytes(const std::vector<std::uint8_t>& v) { return {v.begin(), v.end()}; }

Oid oid(const char* s) { return *parse_oid(s); }

Message decoded(const std::vector<std::uint8_t>& wire) {
  auto m = decode(wire);
  REQUIRE_MESSAGE(m.ok(), (m.ok() ? "" : m.error().message));
  CHECK(encode(m.value()) == bytes(wire));  // every capture is minimal BER: it re-encodes exactly
  return m.value();
}

// A v2c response holding one variable binding of the given bytes (all lengths short-form).
std::vector<std::uint8_t> with_varbind(std::string_view varbind_hex) {
  auto vb = hex(varbind_hex);
  auto wrap = [](std::uint8_t tag, std::vector<std::uint8_t> content) {
    std::vector<std::uint8_t> out{tag, static_cast<std::uint8_t>(content.size())};
    out.insert(out.end(), content.begin(), content.end());
    return out;
  };
  auto list = wrap(0x30, wrap(0x30, vb));
  auto pdu = hex("02 01 01 02 01 00 02 01 00");
  pdu.insert(pdu.end(), list.begin(), list.end());
  auto msg = hex("02 01 01 04 00");
  auto p = wrap(0xA2, pdu);
  msg.insert(msg.end(), p.begin(), p.end());
  return wrap(0x30, msg);
}

std::string decode_error(const std::vector<std::uint8_t>& wire) {
  auto m = decode(wire);
  REQUIRE_FALSE(m.ok());
  CHECK(m.error().code == "SNMP_MALFORMED");
  return m.error().message;
}

// snmpget -v2c -c public 127.0.0.1:16161 sysUpTime.0 sysName.0
const auto kGetRequest =
    hex("30 37 02 01 01 04 06 70 75 62 6C 69 63 A0 2A 02 04 1D 10 75 6B 02 01 00 02 01 00 30 1C 30 "
        "0C 06"
        "08 2B 06 01 02 01 01 03 00 05 00 30 0C 06 08 2B 06 01 02 01 01 05 00 05 00");
const auto kGetResponse =
    hex("30 3F 02 01 01 04 06 70 75 62 6C 69 63 A2 32 02 04 1D 10 75 6B 02 01 00 02 01 00 30 24 30 "
        "0D 06"
        "08 2B 06 01 02 01 01 03 00 43 01 64 30 13 06 08 2B 06 01 02 01 01 05 00 04 07 74 65 73 74 "
        "62 6F 78");
// snmpgetnext -v1 sysDescr
const auto kV1GetNext =
    hex("30 28 02 01 00 04 06 70 75 62 6C 69 63 A1 1B 02 04 10 70 18 24 02 01 00 02 01 00 30 0D 30 "
        "0B 06"
        "07 2B 06 01 02 01 01 01 05 00");
// snmpbulkget -v2c -Cn0 -Cr2 ifHCInOctets, and its answer (Counter64)
const auto kBulkRequest =
    hex("30 2B 02 01 01 04 06 70 75 62 6C 69 63 A5 1E 02 04 67 43 7C 88 02 01 00 02 01 02 30 10 30 "
        "0E 06"
        "0A 2B 06 01 02 01 1F 01 01 01 06 05 00");
const auto kBulkResponse =
    hex("30 43 02 01 01 04 06 70 75 62 6C 69 63 A2 36 02 04 67 43 7C 88 02 01 00 02 01 00 30 28 30 "
        "14 06"
        "0B 2B 06 01 02 01 1F 01 01 01 06 01 46 05 07 FD E7 4B 06 30 10 06 0B 2B 06 01 02 01 1F 01 "
        "01 01"
        "06 02 46 01 00");
// An answer with long-form lengths: noSuchObject, noSuchInstance, Gauge32, Counter32 (with its
// leading zero octet), IpAddress, and an OID with a multi-byte arc (8072).
const auto kMixedResponse =
    hex("30 81 90 02 01 01 04 06 70 75 62 6C 69 63 A2 81 82 02 04 4A 62 4A 8D 02 01 00 02 01 00 30 "
        "74 30"
        "0C 06 08 2B 06 01 02 01 01 63 00 80 00 30 0C 06 08 2B 06 01 02 01 01 03 01 81 00 30 12 06 "
        "0A 2B"
        "06 01 02 01 02 02 01 05 01 42 04 00 98 96 80 30 13 06 0A 2B 06 01 02 01 02 02 01 0A 01 41 "
        "05 00"
        "FD E7 4B 06 30 15 06 0D 2B 06 01 02 01 04 14 01 01 7F 00 00 01 40 04 7F 00 00 01 30 16 06 "
        "08 2B"
        "06 01 02 01 01 02 00 06 0A 2B 06 01 04 01 BF 08 03 02 0A");
// snmpgetnext past the end of the MIB: endOfMibView
const auto kEndOfMib =
    hex("30 25 02 01 01 04 06 70 75 62 6C 69 63 A2 18 02 04 58 2B 8E F3 02 01 00 02 01 00 30 0A 30 "
        "08 06 04 2B 06 01 09 82 00");
// snmptrap -v2c … 12345 linkUp ifIndex.2 i 2
const auto kV2Trap =
    hex("30 55 02 01 01 04 06 70 75 62 6C 69 63 A7 48 02 04 7F 57 C0 FE 02 01 00 02 01 00 30 3A 30 "
        "0E 06"
        "08 2B 06 01 02 01 01 03 00 43 02 30 39 30 17 06 0A 2B 06 01 06 03 01 01 04 01 00 06 09 2B "
        "06 01"
        "06 03 01 01 05 03 30 0F 06 0A 2B 06 01 02 01 02 02 01 01 02 02 01 02");
// snmptrap -v1 … netSnmpNotificationPrefix 192.0.2.7 6 17 4321 sysName.0 s hello
const auto kV1Trap = hex(
    "30 3D 02 01 00 04 06 70 75 62 6C 69 63 A4 30 06 09 2B 06 01 04 01 BF 08 02 03 40 04 C0 00 02 "
    "07"
    "02 01 06 02 01 11 43 02 10 E1 30 13 30 11 06 08 2B 06 01 02 01 01 05 00 04 05 68 65 6C 6C 6F");

}  // namespace

TEST_CASE("snmp: requests encode byte for byte as net-snmp sends them") {
  Message get{Version::v2c, "public", {}};
  get.pdu.type = PduType::get;
  get.pdu.request_id = 0x1D10756B;
  get.pdu.varbinds = {{oid("1.3.6.1.2.1.1.3.0"), Value::make(Type::null)},
                      {oid("1.3.6.1.2.1.1.5.0"), Value::make(Type::null)}};
  CHECK(encode(get) == bytes(kGetRequest));

  Message next{Version::v1, "public", {}};
  next.pdu.type = PduType::get_next;
  next.pdu.request_id = 0x10701824;
  next.pdu.varbinds = {{oid("1.3.6.1.2.1.1.1"), Value::make(Type::null)}};
  CHECK(encode(next) == bytes(kV1GetNext));

  Message bulk{Version::v2c, "public", {}};
  bulk.pdu.type = PduType::get_bulk;
  bulk.pdu.request_id = 0x67437C88;
  bulk.pdu.error_status = 0;  // non-repeaters
  bulk.pdu.error_index = 2;   // max-repetitions
  bulk.pdu.varbinds = {{oid("1.3.6.1.2.1.31.1.1.1.6"), Value::make(Type::null)}};
  CHECK(encode(bulk) == bytes(kBulkRequest));
  CHECK(decoded(kBulkRequest) == bulk);
}

TEST_CASE("snmp: net-snmp's answers decode to the values its tools print") {
  auto get = decoded(kGetResponse);
  CHECK(get.version == Version::v2c);
  CHECK(get.community == "public");
  CHECK(get.pdu.type == PduType::response);
  CHECK(get.pdu.request_id == 0x1D10756B);
  REQUIRE(get.pdu.varbinds.size() == 2);
  CHECK(get.pdu.varbinds[0].value == Value::make_unsigned(Type::timeticks, 100));
  CHECK(get.pdu.varbinds[1].value == Value::make_bytes(Type::octet_string, "testbox"));

  auto bulk = decoded(kBulkResponse);
  REQUIRE(bulk.pdu.varbinds.size() == 2);
  CHECK(bulk.pdu.varbinds[0].oid == oid("1.3.6.1.2.1.31.1.1.1.6.1"));
  CHECK(bulk.pdu.varbinds[0].value == Value::make_unsigned(Type::counter64, 34324564742ull));
  CHECK(bulk.pdu.varbinds[1].value == Value::make_unsigned(Type::counter64, 0));

  auto mixed = decoded(kMixedResponse);
  REQUIRE(mixed.pdu.varbinds.size() == 6);
  CHECK(mixed.pdu.varbinds[0].value.type == Type::no_such_object);
  CHECK(mixed.pdu.varbinds[1].value.type == Type::no_such_instance);
  CHECK(mixed.pdu.varbinds[2].value == Value::make_unsigned(Type::gauge32, 10000000));
  CHECK(mixed.pdu.varbinds[3].value == Value::make_unsigned(Type::counter32, 4259793670u));
  CHECK(mixed.pdu.varbinds[4].oid == oid("1.3.6.1.2.1.4.20.1.1.127.0.0.1"));
  CHECK(mixed.pdu.varbinds[4].value ==
        Value::make_bytes(Type::ip_address, std::string("\x7f\x00\x00\x01", 4)));
  CHECK(mixed.pdu.varbinds[5].value == Value::make_oid(oid("1.3.6.1.4.1.8072.3.2.10")));

  auto end = decoded(kEndOfMib);
  REQUIRE(end.pdu.varbinds.size() == 1);
  CHECK(end.pdu.varbinds[0].value.type == Type::end_of_mib_view);
}

TEST_CASE("snmp: v2c and v1 traps decode and re-encode") {
  auto v2 = decoded(kV2Trap);
  CHECK(v2.pdu.type == PduType::trap_v2);
  REQUIRE(v2.pdu.varbinds.size() == 3);
  CHECK(v2.pdu.varbinds[0].value == Value::make_unsigned(Type::timeticks, 12345));
  CHECK(v2.pdu.varbinds[1].value == Value::make_oid(oid("1.3.6.1.6.3.1.1.5.3")));
  CHECK(v2.pdu.varbinds[2].value == Value::make_integer(2));

  auto v1 = decoded(kV1Trap);
  CHECK(v1.version == Version::v1);
  CHECK(v1.pdu.type == PduType::trap_v1);
  CHECK(v1.pdu.enterprise == oid("1.3.6.1.4.1.8072.2.3"));
  CHECK(v1.pdu.agent_address == std::string("\xc0\x00\x02\x07", 4));
  CHECK(v1.pdu.generic_trap == 6);
  CHECK(v1.pdu.specific_trap == 17);
  CHECK(v1.pdu.timestamp == 4321);
  REQUIRE(v1.pdu.varbinds.size() == 1);
  CHECK(v1.pdu.varbinds[0].value == Value::make_bytes(Type::octet_string, "hello"));
}

TEST_CASE("snmp: every value type round-trips, with edge values") {
  Message m{Version::v2c, "c", {}};
  m.pdu.type = PduType::response;
  m.pdu.request_id = -1;
  const Oid o = oid("1.3.6.1.4.1.4294967295.0");
  for (Value v :
       {Value::make_integer(0), Value::make_integer(-1), Value::make_integer(127),
        Value::make_integer(128), Value::make_integer(INT32_MIN), Value::make_integer(INT32_MAX),
        Value::make_bytes(Type::octet_string, ""),
        Value::make_bytes(Type::opaque, std::string("\x9f\x78\x04", 3)), Value::make(Type::null),
        Value::make_oid(oid("2.999.3")), Value::make_unsigned(Type::counter32, 0xffffffffu),
        Value::make_unsigned(Type::gauge32, 0x80), Value::make_unsigned(Type::timeticks, 0),
        Value::make_unsigned(Type::counter64, UINT64_MAX), Value::make(Type::end_of_mib_view)})
    m.pdu.varbinds.push_back({o, v});
  const std::string wire = encode(m);
  auto again = decode({reinterpret_cast<const std::uint8_t*>(wire.data()), wire.size()});
  REQUIRE(again.ok());
  CHECK(again.value() == m);
}

TEST_CASE("snmp: malformed datagrams are refused with the byte and the reason") {
  CHECK(decode_error({}) == "byte 0: expected a value, found the end of its container");
  auto truncated = kGetResponse;
  truncated.pop_back();
  CHECK(decode_error(truncated) == "byte 2: length 63 runs past the end (62 bytes left)");
  auto trailing = kGetResponse;
  trailing.push_back(0);
  CHECK(decode_error(trailing) == "byte 65: 1 bytes after the message");
  CHECK(decode_error(hex("30 80 02 01 01 00 00")) == "byte 1: indefinite length is not allowed");
  CHECK(decode_error(hex("30 85 00 00 00 00 01")) == "byte 1: a length of 5 octets is too long");
  // v1 has no GETBULK
  auto v1bulk = kBulkRequest;
  v1bulk[4] = 0;
  CHECK(decode_error(v1bulk) == "byte 13: a GetBulkRequest in an SNMP v1 message");
  CHECK(decode_error(hex("30 05 02 01 03 04 00")) ==
        "byte 2: an SNMPv3 message where v1 or v2c was expected");
  // One variable binding with the given bytes, in a v2c response: its content starts at byte 22.
  CHECK(decode_error(with_varbind("06 01 2B 40 03 7F 00 01")) ==
        "byte 25: an IpAddress of 3 bytes (4 required)");
  CHECK(decode_error(with_varbind("06 02 80 01 05 00")) ==
        "byte 24: an OID sub-identifier with a redundant leading octet");
  CHECK(decode_error(with_varbind("06 02 2B 81 05 00")) ==
        "byte 25: the OID ends inside a sub-identifier");
  CHECK(decode_error(with_varbind("06 01 2B 41 05 01 00 00 00 00")) ==
        "byte 25: an unsigned value of 5 bytes exceeds 32 bits");
  CHECK(decode_error(with_varbind("06 01 2B 02 09 01 00 00 00 00 00 00 00 00")) ==
        "byte 25: an INTEGER of 9 bytes (1 to 8 allowed)");
  CHECK(decode_error(with_varbind("06 01 2B 05 01 00")) == "byte 25: NULL must be empty");
  CHECK(decode_error(with_varbind("06 01 2B 47 00")) == "byte 25: unknown value type 0x47");
  CHECK(decode_error(with_varbind("06 01 2B 05 00 05 00")) ==
        "byte 27: extra bytes after a variable's value");
  // a request-id beyond 32 bits
  CHECK(decode_error(
            hex("30 16 02 01 01 04 00 A2 0F 02 05 01 00 00 00 00 02 01 00 02 01 00 30 00")) ==
        "byte 9: request-id 4294967296 does not fit 32 bits");
}

TEST_CASE("snmp: OIDs parse from dotted text within BER's limits") {
  CHECK(parse_oid(".1.3.6.1") == oid("1.3.6.1"));
  CHECK(to_string(oid("1.3.6.1.2.1.1.3.0")) == "1.3.6.1.2.1.1.3.0");
  CHECK_FALSE(parse_oid("1"));
  CHECK_FALSE(parse_oid("3.1"));
  CHECK_FALSE(parse_oid("1.40"));
  CHECK_FALSE(parse_oid("1.3..6"));
  CHECK_FALSE(parse_oid("1.3.4294967296"));
  CHECK_FALSE(parse_oid("1.3.x"));
  CHECK(starts_with(oid("1.3.6.1.2"), oid("1.3.6")));
  CHECK_FALSE(starts_with(oid("1.3.6"), oid("1.3.6.1")));
}
