// snmp/ — SNMP for Telltale: the BER codec of SNMP v1/v2c/v3 messages (this header), the engine
// that sends requests and matches answers on the core loop (engine.h), the built-in MIB name
// table (mib.h) and device discovery (discovery.h). Pure code here: no I/O, callable anywhere.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace tt::snmp {

// An object identifier as its arcs. At most kMaxOidArcs arcs (RFC 2578 allows 128).
using Oid = std::vector<std::uint32_t>;
constexpr std::size_t kMaxOidArcs = 128;

std::string to_string(const Oid& oid);  // "1.3.6.1.2.1.1.3.0"
// Dotted decimal, an optional leading '.'; at least two arcs, each fitting 32 bits, the first
// 0..2 and the second below 40 unless the first is 2 (what BER can encode).
std::optional<Oid> parse_oid(std::string_view text);
bool starts_with(const Oid& oid, const Oid& prefix);

enum class Version : std::int32_t { v1 = 0, v2c = 1, v3 = 3 };
std::string_view to_string(Version v);

// BER tags of the values SNMP carries (RFC 2578 application types, RFC 3416 exceptions).
enum class Type : std::uint8_t {
  integer = 0x02,
  octet_string = 0x04,
  null = 0x05,
  oid = 0x06,
  ip_address = 0x40,
  counter32 = 0x41,
  gauge32 = 0x42,
  timeticks = 0x43,
  opaque = 0x44,
  counter64 = 0x46,
  no_such_object = 0x80,
  no_such_instance = 0x81,
  end_of_mib_view = 0x82,
};
std::string_view to_string(Type t);

// One value. Which member holds it follows `type`: `integer` for INTEGER; `number` for
// Counter32, Gauge32, TimeTicks, Counter64; `bytes` for OCTET STRING, Opaque, IpAddress
// (4 bytes); `oid` for OBJECT IDENTIFIER; nothing for NULL and the exceptions.
struct Value {
  Type type = Type::null;
  std::int64_t integer = 0;
  std::uint64_t number = 0;
  std::string bytes;
  Oid oid;

  static Value make_integer(std::int64_t v) { return {Type::integer, v, 0, {}, {}}; }
  static Value make_unsigned(Type t, std::uint64_t v) { return {t, 0, v, {}, {}}; }
  static Value make_bytes(Type t, std::string v) { return {t, 0, 0, std::move(v), {}}; }
  static Value make_oid(Oid v) { return {Type::oid, 0, 0, {}, std::move(v)}; }
  static Value make(Type t) { return {t, 0, 0, {}, {}}; }
  bool is_exception() const {
    return type == Type::no_such_object || type == Type::no_such_instance ||
           type == Type::end_of_mib_view;
  }
  bool operator==(const Value&) const = default;
};

// An octet string as UTF-8 text: agents send any encoding, JSON needs UTF-8. Invalid bytes become
// U+FFFD, and the NUL padding some agents append is dropped.
std::string text_of(const Value& v);

// A value as JSON: numbers as numbers (TimeTicks in ticks), octet strings as text_of, OIDs and
// IpAddress dotted, Opaque in hex; null for NULL and the exceptions.
nlohmann::json json_of(const Value& v);

struct VarBind {
  Oid oid;
  Value value;
  bool operator==(const VarBind&) const = default;
};

enum class PduType : std::uint8_t {
  get = 0xA0,
  get_next = 0xA1,
  response = 0xA2,
  set = 0xA3,
  trap_v1 = 0xA4,
  get_bulk = 0xA5,
  inform = 0xA6,
  trap_v2 = 0xA7,
  report = 0xA8,
};
std::string_view to_string(PduType t);

// RFC 3416 error-status names ("noSuchName", "genErr", ...); "error N" beyond the table.
std::string error_status_name(std::int64_t status);

struct Pdu {
  PduType type = PduType::get;
  std::int32_t request_id = 0;
  // For GETBULK these two carry non-repeaters and max-repetitions (RFC 3416 4.2.3).
  std::int32_t error_status = 0;
  std::int32_t error_index = 0;
  std::vector<VarBind> varbinds;
  // v1 Trap-PDU only (RFC 1157 4.1.6); request_id and the error fields are unused there.
  Oid enterprise;
  std::string agent_address;  // 4 bytes
  std::int32_t generic_trap = 0;
  std::int32_t specific_trap = 0;
  std::uint32_t timestamp = 0;  // TimeTicks
  bool operator==(const Pdu&) const = default;
};

struct Message {
  Version version = Version::v2c;
  std::string community;
  Pdu pdu;
  bool operator==(const Message&) const = default;
};

// BER of the whole message. Values are encoded as given (a v1 message holding Counter64 is the
// caller's business).
std::string encode(const Message& m);

// The msgVersion of a datagram, read without decoding the rest; nullopt when it does not start
// like an SNMP message.
std::optional<std::int64_t> peek_version(std::span<const std::uint8_t> datagram);

// ---- SNMPv3 (RFC 3412 6, RFC 3414 2.4) ----

// msgFlags bits.
constexpr std::uint8_t kFlagAuth = 1, kFlagPriv = 2, kFlagReportable = 4;

struct ScopedPdu {
  std::string context_engine_id, context_name;
  Pdu pdu;
  bool operator==(const ScopedPdu&) const = default;
};

// UsmSecurityParameters.
struct UsmParams {
  std::string engine_id;
  std::int32_t engine_boots = 0, engine_time = 0;
  std::string user, auth_params, priv_params;
  bool operator==(const UsmParams&) const = default;
};

struct MessageV3 {
  std::int32_t msg_id = 0;
  std::int32_t max_size = 65507;
  std::uint8_t flags = 0;
  UsmParams usm;
  // The BER of the ScopedPDU, or with kFlagPriv the encrypted bytes (the OCTET STRING's content).
  std::string scoped;
  bool operator==(const MessageV3&) const = default;
};

std::string encode(const ScopedPdu& s);
// BER of a v3 message as given (USM security model). `auth_params_at` receives the offset of
// the content of msgAuthenticationParameters, which authentication overwrites in place.
std::string encode(const MessageV3& m, std::size_t* auth_params_at = nullptr);

struct DecodedV3 {
  MessageV3 message;
  std::size_t auth_params_at = 0;  // offset of msgAuthenticationParameters' content
};
// Strict like `decode`: msgSecurityModel must be USM (3), msgFlags one byte and not priv
// without auth, the scoped PDU plain or an OCTET STRING as the flags say.
Result<DecodedV3> decode_v3(std::span<const std::uint8_t> datagram);
// A ScopedPDU; decrypted data may carry padding after it, which `allow_padding` accepts.
Result<ScopedPdu> decode_scoped_pdu(std::span<const std::uint8_t> data, bool allow_padding);

// Strict decoding of one datagram: every length checked against what is left, no indefinite
// lengths, no bytes after the message, integers and OIDs within their ranges, the PDU type
// allowed for the version (v1 has no GETBULK, INFORM, v2 trap or report; v2c no v1 trap).
// Errors are SNMP_MALFORMED (ErrorKind::bad_gateway) with the byte offset and what was wrong:
// "byte 14: length 200 runs past the end (31 bytes left)".
Result<Message> decode(std::span<const std::uint8_t> datagram);

}  // namespace tt::snmp
