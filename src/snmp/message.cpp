#include "snmp/message.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <nlohmann/json.hpp>

namespace tt::snmp {

namespace {

constexpr std::uint8_t kSequence = 0x30;

// ---- encoding ----------------------------------------------------------------------------

void put_length(std::string& out, std::size_t n) {
  if (n < 0x80) {
    out.push_back(static_cast<char>(n));
    return;
  }
  char buf[8];
  int k = 0;
  for (; n > 0; n >>= 8) buf[k++] = static_cast<char>(n & 0xff);
  out.push_back(static_cast<char>(0x80 | k));
  while (k > 0) out.push_back(buf[--k]);
}

void put_tlv(std::string& out, std::uint8_t tag, std::string_view content) {
  out.push_back(static_cast<char>(tag));
  put_length(out, content.size());
  out.append(content);
}

// Two's complement, minimal (X.690 8.3.2).
void put_integer(std::string& out, std::uint8_t tag, std::int64_t v) {
  char buf[8];
  int k = 0;
  for (;;) {
    buf[k++] = static_cast<char>(v & 0xff);
    const bool sign = (v & 0x80) != 0;
    v >>= 8;  // arithmetic shift
    if ((v == 0 && !sign) || (v == -1 && sign)) break;
  }
  out.push_back(static_cast<char>(tag));
  out.push_back(static_cast<char>(k));
  while (k > 0) out.push_back(buf[--k]);
}

// Unsigned types are INTEGER-encoded: a leading 0 octet when the top bit is set.
void put_unsigned(std::string& out, std::uint8_t tag, std::uint64_t v) {
  char buf[9];
  int k = 0;
  do {
    buf[k++] = static_cast<char>(v & 0xff);
    v >>= 8;
  } while (v != 0);
  if (static_cast<std::uint8_t>(buf[k - 1]) & 0x80) buf[k++] = 0;
  out.push_back(static_cast<char>(tag));
  out.push_back(static_cast<char>(k));
  while (k > 0) out.push_back(buf[--k]);
}

void put_subid(std::string& out, std::uint64_t v) {
  char buf[10];
  int k = 0;
  do {
    buf[k++] = static_cast<char>(v & 0x7f);
    v >>= 7;
  } while (v != 0);
  while (k > 1) out.push_back(static_cast<char>(buf[--k] | 0x80));
  out.push_back(buf[0]);
}

void put_oid(std::string& out, const Oid& oid) {
  std::string c;
  if (oid.size() >= 2) {
    put_subid(c, std::uint64_t{oid[0]} * 40 + oid[1]);
    for (std::size_t i = 2; i < oid.size(); ++i) put_subid(c, oid[i]);
  } else {
    put_subid(c, oid.empty() ? 0 : std::uint64_t{oid[0]} * 40);
  }
  put_tlv(out, static_cast<std::uint8_t>(Type::oid), c);
}

void put_value(std::string& out, const Value& v) {
  const auto tag = static_cast<std::uint8_t>(v.type);
  switch (v.type) {
    case Type::integer:
      return put_integer(out, tag, v.integer);
    case Type::octet_string:
    case Type::opaque:
    case Type::ip_address:
      return put_tlv(out, tag, v.bytes);
    case Type::oid:
      return put_oid(out, v.oid);
    case Type::counter32:
    case Type::gauge32:
    case Type::timeticks:
    case Type::counter64:
      return put_unsigned(out, tag, v.number);
    case Type::null:
    case Type::no_such_object:
    case Type::no_such_instance:
    case Type::end_of_mib_view:
      return put_tlv(out, tag, {});
  }
}

std::string encode_pdu(const Pdu& p) {
  std::string c;
  if (p.type == PduType::trap_v1) {
    put_oid(c, p.enterprise);
    put_tlv(c, static_cast<std::uint8_t>(Type::ip_address), p.agent_address);
    put_integer(c, 0x02, p.generic_trap);
    put_integer(c, 0x02, p.specific_trap);
    put_unsigned(c, static_cast<std::uint8_t>(Type::timeticks), p.timestamp);
  } else {
    put_integer(c, 0x02, p.request_id);
    put_integer(c, 0x02, p.error_status);
    put_integer(c, 0x02, p.error_index);
  }
  std::string list;
  for (const auto& vb : p.varbinds) {
    std::string one;
    put_oid(one, vb.oid);
    put_value(one, vb.value);
    put_tlv(list, kSequence, one);
  }
  put_tlv(c, kSequence, list);
  std::string out;
  put_tlv(out, static_cast<std::uint8_t>(p.type), c);
  return out;
}

// ---- decoding ----------------------------------------------------------------------------

struct Tlv {
  std::uint8_t tag = 0;
  std::size_t at = 0;  // offset of the tag in the datagram, for messages
  std::span<const std::uint8_t> content;
  std::size_t content_at = 0;
};

Error malformed(std::size_t at, std::string what) {
  return Error::make(ErrorKind::bad_gateway, "SNMP_MALFORMED",
                     fmt::format("byte {}: {}", at, what));
}

// Reads TLVs one after the other from a span; offsets stay relative to the whole datagram.
class Reader {
 public:
  Reader(std::span<const std::uint8_t> data, std::size_t base) : m_data(data), m_base(base) {}

  bool done() const { return m_pos == m_data.size(); }
  std::size_t offset() const { return m_base + m_pos; }

  Result<Tlv> next() {
    Tlv t;
    t.at = offset();
    if (done()) return malformed(t.at, "expected a value, found the end of its container");
    t.tag = m_data[m_pos++];
    if ((t.tag & 0x1f) == 0x1f)
      return malformed(t.at, fmt::format("multi-byte tag 0x{:02x} is not used by SNMP", t.tag));
    if (done()) return malformed(offset(), "the length is missing");
    std::size_t len = m_data[m_pos++];
    if (len == 0x80) return malformed(offset() - 1, "indefinite length is not allowed");
    if (len > 0x80) {
      const std::size_t octets = len & 0x7f;
      if (octets > 4)
        return malformed(offset() - 1, fmt::format("a length of {} octets is too long", octets));
      if (m_data.size() - m_pos < octets)
        return malformed(offset(), "the length runs past the end");
      len = 0;
      for (std::size_t i = 0; i < octets; ++i) len = (len << 8) | m_data[m_pos++];
    }
    const std::size_t left = m_data.size() - m_pos;
    if (len > left)
      return malformed(offset(),
                       fmt::format("length {} runs past the end ({} bytes left)", len, left));
    t.content_at = offset();
    t.content = m_data.subspan(m_pos, len);
    m_pos += len;
    return t;
  }

  Result<Tlv> expect(std::uint8_t tag, std::string_view what) {
    auto t = next();
    if (!t.ok()) return t;
    if (t->tag != tag)
      return malformed(
          t->at, fmt::format("expected {} (tag 0x{:02x}), found tag 0x{:02x}", what, tag, t->tag));
    return t;
  }

 private:
  std::span<const std::uint8_t> m_data;
  std::size_t m_base;
  std::size_t m_pos = 0;
};

Reader inside(const Tlv& t) { return Reader(t.content, t.content_at); }

Result<std::int64_t> integer_of(const Tlv& t) {
  if (t.content.empty() || t.content.size() > 8)
    return malformed(t.at,
                     fmt::format("an INTEGER of {} bytes (1 to 8 allowed)", t.content.size()));
  std::int64_t v = static_cast<std::int8_t>(t.content[0]);
  for (std::size_t i = 1; i < t.content.size(); ++i)
    v = static_cast<std::int64_t>(static_cast<std::uint64_t>(v) << 8) | t.content[i];
  return v;
}

// Every version's message: SEQUENCE { version INTEGER, ... } and nothing after it. `rest` reads
// what follows the version.
struct Envelope {
  Reader rest;
  std::int64_t version = 0;
  std::size_t version_at = 0;
};

Result<Envelope> open_envelope(std::span<const std::uint8_t> datagram) {
  Reader top(datagram, 0);
  auto seq = top.expect(kSequence, "an SNMP message");
  if (!seq.ok()) return std::move(seq).error();
  if (!top.done())
    return malformed(top.offset(),
                     fmt::format("{} bytes after the message", datagram.size() - top.offset()));
  Reader r = inside(*seq);
  auto ver = r.expect(0x02, "the version");
  if (!ver.ok()) return std::move(ver).error();
  auto v = integer_of(*ver);
  if (!v.ok()) return std::move(v).error();
  return Envelope{r, *v, ver->at};
}

Result<std::int32_t> int32_of(const Tlv& t, std::string_view what) {
  auto v = integer_of(t);
  if (!v.ok()) return std::move(v).error();
  if (*v < INT32_MIN || *v > INT32_MAX)
    return malformed(t.at, fmt::format("{} {} does not fit 32 bits", what, *v));
  return static_cast<std::int32_t>(*v);
}

// Counter32, Gauge32, TimeTicks (max 32 bits) and Counter64. Some agents encode large 32-bit
// values without the leading zero octet (so they read as negative); like net-snmp we take the
// bits as unsigned rather than drop the answer.
Result<std::uint64_t> unsigned_of(const Tlv& t, int bits) {
  std::span<const std::uint8_t> c = t.content;
  const std::size_t max = static_cast<std::size_t>(bits / 8);
  if (c.empty()) return malformed(t.at, "an empty unsigned value");
  if (c.size() == max + 1 && c[0] == 0) c = c.subspan(1);
  if (c.size() > max)
    return malformed(
        t.at, fmt::format("an unsigned value of {} bytes exceeds {} bits", t.content.size(), bits));
  std::uint64_t v = 0;
  for (auto b : c) v = (v << 8) | b;
  return v;
}

Result<Oid> oid_of(const Tlv& t) {
  if (t.content.empty()) return malformed(t.at, "an empty OBJECT IDENTIFIER");
  Oid oid;
  std::uint64_t v = 0;
  bool first = true, fresh = true;
  for (std::size_t i = 0; i < t.content.size(); ++i) {
    const std::uint8_t b = t.content[i];
    if (fresh && b == 0x80)
      return malformed(t.content_at + i, "an OID sub-identifier with a redundant leading octet");
    fresh = false;
    v = (v << 7) | (b & 0x7f);
    if (v > (first ? 0xffffffffull + 80 : 0xffffffffull))
      return malformed(t.content_at + i, "an OID sub-identifier exceeds 32 bits");
    if (b & 0x80) continue;
    if (first) {
      const std::uint32_t a = v < 40 ? 0 : v < 80 ? 1 : 2;
      oid.push_back(a);
      oid.push_back(static_cast<std::uint32_t>(v - 40ull * a));
      first = false;
    } else {
      oid.push_back(static_cast<std::uint32_t>(v));
    }
    if (oid.size() > kMaxOidArcs)
      return malformed(t.at, fmt::format("an OID of more than {} arcs", kMaxOidArcs));
    v = 0;
    fresh = true;
  }
  if (!fresh)
    return malformed(t.content_at + t.content.size() - 1, "the OID ends inside a sub-identifier");
  return oid;
}

std::string bytes_of(const Tlv& t) {
  return {reinterpret_cast<const char*>(t.content.data()), t.content.size()};
}

Result<Value> value_of(const Tlv& t) {
  const auto type = static_cast<Type>(t.tag);
  switch (type) {
    case Type::integer: {
      auto v = integer_of(t);
      if (!v.ok()) return std::move(v).error();
      return Value::make_integer(*v);
    }
    case Type::octet_string:
    case Type::opaque:
      return Value::make_bytes(type, bytes_of(t));
    case Type::ip_address:
      if (t.content.size() != 4)
        return malformed(t.at,
                         fmt::format("an IpAddress of {} bytes (4 required)", t.content.size()));
      return Value::make_bytes(type, bytes_of(t));
    case Type::oid: {
      auto v = oid_of(t);
      if (!v.ok()) return std::move(v).error();
      return Value::make_oid(std::move(v.value()));
    }
    case Type::counter32:
    case Type::gauge32:
    case Type::timeticks:
    case Type::counter64: {
      auto v = unsigned_of(t, type == Type::counter64 ? 64 : 32);
      if (!v.ok()) return std::move(v).error();
      return Value::make_unsigned(type, *v);
    }
    case Type::null:
    case Type::no_such_object:
    case Type::no_such_instance:
    case Type::end_of_mib_view:
      if (!t.content.empty())
        return malformed(t.at, fmt::format("{} must be empty", to_string(type)));
      return Value::make(type);
  }
  return malformed(t.at, fmt::format("unknown value type 0x{:02x}", t.tag));
}

Result<std::vector<VarBind>> varbinds_of(const Tlv& list) {
  std::vector<VarBind> out;
  Reader r = inside(list);
  while (!r.done()) {
    auto seq = r.expect(kSequence, "a variable binding");
    if (!seq.ok()) return std::move(seq).error();
    Reader vb = inside(*seq);
    auto name = vb.expect(static_cast<std::uint8_t>(Type::oid), "the variable's OID");
    if (!name.ok()) return std::move(name).error();
    auto oid = oid_of(*name);
    if (!oid.ok()) return std::move(oid).error();
    auto v = vb.next();
    if (!v.ok()) return std::move(v).error();
    auto value = value_of(*v);
    if (!value.ok()) return std::move(value).error();
    if (!vb.done()) return malformed(vb.offset(), "extra bytes after a variable's value");
    out.push_back({std::move(oid.value()), std::move(value.value())});
  }
  return out;
}

bool allowed(Version v, PduType t) {
  switch (t) {
    case PduType::get:
    case PduType::get_next:
    case PduType::response:
    case PduType::set:
      return true;
    case PduType::trap_v1:
      return v == Version::v1;
    case PduType::get_bulk:
    case PduType::inform:
    case PduType::trap_v2:
    case PduType::report:
      return v != Version::v1;
  }
  return false;
}

Result<Pdu> pdu_of(const Tlv& t) {
  Pdu p;
  p.type = static_cast<PduType>(t.tag);
  Reader r = inside(t);
  auto int32 = [&r](std::string_view what) -> Result<std::int32_t> {
    auto f = r.expect(0x02, what);
    if (!f.ok()) return std::move(f).error();
    return int32_of(*f, what);
  };
  if (p.type == PduType::trap_v1) {
    auto ent = r.expect(static_cast<std::uint8_t>(Type::oid), "the enterprise OID");
    if (!ent.ok()) return std::move(ent).error();
    auto oid = oid_of(*ent);
    if (!oid.ok()) return std::move(oid).error();
    p.enterprise = std::move(oid.value());
    auto addr = r.expect(static_cast<std::uint8_t>(Type::ip_address), "the agent address");
    if (!addr.ok()) return std::move(addr).error();
    auto a = value_of(*addr);
    if (!a.ok()) return std::move(a).error();
    p.agent_address = a->bytes;
    auto g = int32("generic-trap");
    if (!g.ok()) return std::move(g).error();
    auto s = int32("specific-trap");
    if (!s.ok()) return std::move(s).error();
    p.generic_trap = *g;
    p.specific_trap = *s;
    auto ts = r.expect(static_cast<std::uint8_t>(Type::timeticks), "the time-stamp");
    if (!ts.ok()) return std::move(ts).error();
    auto v = unsigned_of(*ts, 32);
    if (!v.ok()) return std::move(v).error();
    p.timestamp = static_cast<std::uint32_t>(*v);
  } else {
    auto id = int32("request-id");
    if (!id.ok()) return std::move(id).error();
    auto st = int32("error-status");
    if (!st.ok()) return std::move(st).error();
    auto ix = int32("error-index");
    if (!ix.ok()) return std::move(ix).error();
    p.request_id = *id;
    p.error_status = *st;
    p.error_index = *ix;
  }
  auto list = r.expect(kSequence, "the variable bindings");
  if (!list.ok()) return std::move(list).error();
  auto vbs = varbinds_of(*list);
  if (!vbs.ok()) return std::move(vbs).error();
  p.varbinds = std::move(vbs.value());
  if (!r.done()) return malformed(r.offset(), "extra bytes after the variable bindings");
  return p;
}

Result<Pdu> checked_pdu(const Tlv& t, Version v) {
  if (t.tag < 0xA0 || t.tag > 0xA8)
    return malformed(t.at, fmt::format("tag 0x{:02x} is not an SNMP PDU", t.tag));
  if (!allowed(v, static_cast<PduType>(t.tag)))
    return malformed(t.at, fmt::format("a {} in an SNMP v{} message",
                                       to_string(static_cast<PduType>(t.tag)), to_string(v)));
  return pdu_of(t);
}

Result<std::string> octets(Reader& r, std::string_view what, std::size_t max) {
  auto t = r.expect(static_cast<std::uint8_t>(Type::octet_string), what);
  if (!t.ok()) return std::move(t).error();
  if (t->content.size() > max)
    return malformed(t->at,
                     fmt::format("{} of {} bytes (at most {})", what, t->content.size(), max));
  return bytes_of(*t);
}

Result<std::int32_t> int32_field(Reader& r, std::string_view what) {
  auto f = r.expect(0x02, what);
  if (!f.ok()) return std::move(f).error();
  return int32_of(*f, what);
}

// Size of the tag and length octets that put_tlv wrote before `content_size` bytes.
std::size_t header_size(const std::string& tlv, std::size_t content_size) {
  return tlv.size() - content_size;
}

}  // namespace

std::string to_string(const Oid& oid) {
  std::string s;
  for (std::size_t i = 0; i < oid.size(); ++i) {
    if (i) s.push_back('.');
    s += std::to_string(oid[i]);
  }
  return s;
}

std::optional<Oid> parse_oid(std::string_view text) {
  if (!text.empty() && text.front() == '.') text.remove_prefix(1);
  Oid oid;
  while (true) {
    auto dot = text.find('.');
    auto part = text.substr(0, dot);
    std::uint32_t v = 0;
    auto [p, ec] = std::from_chars(part.data(), part.data() + part.size(), v);
    if (part.empty() || ec != std::errc() || p != part.data() + part.size()) return std::nullopt;
    oid.push_back(v);
    if (oid.size() > kMaxOidArcs) return std::nullopt;
    if (dot == std::string_view::npos) break;
    text.remove_prefix(dot + 1);
  }
  if (oid.size() < 2 || oid[0] > 2 || (oid[0] < 2 && oid[1] >= 40) ||
      (oid[0] == 2 && oid[1] > 0xffffffffu - 80))
    return std::nullopt;
  return oid;
}

bool starts_with(const Oid& oid, const Oid& prefix) {
  return oid.size() >= prefix.size() && std::equal(prefix.begin(), prefix.end(), oid.begin());
}

std::string_view to_string(Version v) {
  return v == Version::v1 ? "1" : v == Version::v2c ? "2c" : "3";
}

std::string_view to_string(Type t) {
  switch (t) {
    case Type::integer:
      return "INTEGER";
    case Type::octet_string:
      return "OCTET STRING";
    case Type::null:
      return "NULL";
    case Type::oid:
      return "OBJECT IDENTIFIER";
    case Type::ip_address:
      return "IpAddress";
    case Type::counter32:
      return "Counter32";
    case Type::gauge32:
      return "Gauge32";
    case Type::timeticks:
      return "TimeTicks";
    case Type::opaque:
      return "Opaque";
    case Type::counter64:
      return "Counter64";
    case Type::no_such_object:
      return "noSuchObject";
    case Type::no_such_instance:
      return "noSuchInstance";
    case Type::end_of_mib_view:
      return "endOfMibView";
  }
  return "unknown";
}

std::string_view to_string(PduType t) {
  switch (t) {
    case PduType::get:
      return "GetRequest";
    case PduType::get_next:
      return "GetNextRequest";
    case PduType::response:
      return "Response";
    case PduType::set:
      return "SetRequest";
    case PduType::trap_v1:
      return "Trap";
    case PduType::get_bulk:
      return "GetBulkRequest";
    case PduType::inform:
      return "InformRequest";
    case PduType::trap_v2:
      return "SNMPv2-Trap";
    case PduType::report:
      return "Report";
  }
  return "unknown";
}

std::string error_status_name(std::int64_t status) {
  static constexpr const char* kNames[] = {"noError",
                                           "tooBig",
                                           "noSuchName",
                                           "badValue",
                                           "readOnly",
                                           "genErr",
                                           "noAccess",
                                           "wrongType",
                                           "wrongLength",
                                           "wrongEncoding",
                                           "wrongValue",
                                           "noCreation",
                                           "inconsistentValue",
                                           "resourceUnavailable",
                                           "commitFailed",
                                           "undoFailed",
                                           "authorizationError",
                                           "notWritable",
                                           "inconsistentName"};
  if (status >= 0 && status < static_cast<std::int64_t>(std::size(kNames))) return kNames[status];
  return fmt::format("error {}", status);
}

std::string encode(const Message& m) {
  std::string c;
  put_integer(c, 0x02, static_cast<std::int32_t>(m.version));
  put_tlv(c, static_cast<std::uint8_t>(Type::octet_string), m.community);
  c += encode_pdu(m.pdu);
  std::string out;
  put_tlv(out, kSequence, c);
  return out;
}

Result<Message> decode(std::span<const std::uint8_t> datagram) {
  auto e = open_envelope(datagram);
  if (!e.ok()) return std::move(e).error();
  Reader& r = e->rest;
  Message m;
  if (e->version == 3)
    return malformed(e->version_at, "an SNMPv3 message where v1 or v2c was expected");
  if (e->version != 0 && e->version != 1)
    return malformed(e->version_at, fmt::format("unknown SNMP version {}", e->version));
  m.version = static_cast<Version>(e->version);
  auto com = r.expect(static_cast<std::uint8_t>(Type::octet_string), "the community");
  if (!com.ok()) return std::move(com).error();
  m.community = bytes_of(*com);
  auto pdu = r.next();
  if (!pdu.ok()) return std::move(pdu).error();
  auto p = checked_pdu(*pdu, m.version);
  if (!p.ok()) return std::move(p).error();
  m.pdu = std::move(p.value());
  if (!r.done()) return malformed(r.offset(), "extra bytes after the PDU");
  return m;
}

std::optional<std::int64_t> peek_version(std::span<const std::uint8_t> datagram) {
  auto e = open_envelope(datagram);
  return e.ok() ? std::optional<std::int64_t>(e->version) : std::nullopt;
}

std::string encode(const ScopedPdu& s) {
  std::string c;
  put_tlv(c, static_cast<std::uint8_t>(Type::octet_string), s.context_engine_id);
  put_tlv(c, static_cast<std::uint8_t>(Type::octet_string), s.context_name);
  c += encode_pdu(s.pdu);
  std::string out;
  put_tlv(out, kSequence, c);
  return out;
}

std::string encode(const MessageV3& m, std::size_t* auth_params_at) {
  constexpr auto kOctets = static_cast<std::uint8_t>(Type::octet_string);
  std::string usm;
  put_tlv(usm, kOctets, m.usm.engine_id);
  put_integer(usm, 0x02, m.usm.engine_boots);
  put_integer(usm, 0x02, m.usm.engine_time);
  put_tlv(usm, kOctets, m.usm.user);
  std::string auth;
  put_tlv(auth, kOctets, m.usm.auth_params);
  std::size_t at =
      usm.size() +
      header_size(auth, m.usm.auth_params.size());  // within the USM sequence's content
  usm += auth;
  put_tlv(usm, kOctets, m.usm.priv_params);
  std::string usm_seq;
  put_tlv(usm_seq, kSequence, usm);
  at += header_size(usm_seq, usm.size());
  std::string params;
  put_tlv(params, kOctets, usm_seq);
  at += header_size(params, usm_seq.size());

  std::string header;
  put_integer(header, 0x02, m.msg_id);
  put_integer(header, 0x02, m.max_size);
  put_tlv(header, kOctets, std::string(1, static_cast<char>(m.flags)));
  put_integer(header, 0x02, 3);  // USM
  std::string c;
  put_integer(c, 0x02, static_cast<std::int32_t>(Version::v3));
  put_tlv(c, kSequence, header);
  at += c.size();
  c += params;
  if (m.flags & kFlagPriv)
    put_tlv(c, kOctets, m.scoped);
  else
    c += m.scoped;
  std::string out;
  put_tlv(out, kSequence, c);
  at += header_size(out, c.size());
  if (auth_params_at) *auth_params_at = at;
  return out;
}

Result<DecodedV3> decode_v3(std::span<const std::uint8_t> datagram) {
  auto e = open_envelope(datagram);
  if (!e.ok()) return std::move(e).error();
  Reader& r = e->rest;
  if (e->version != 3)
    return malformed(e->version_at,
                     fmt::format("SNMP version {} where 3 was expected", e->version));
  DecodedV3 d;
  MessageV3& m = d.message;
  {
    auto h = r.expect(kSequence, "msgGlobalData");
    if (!h.ok()) return std::move(h).error();
    Reader hr = inside(*h);
    auto id = int32_field(hr, "msgID");
    if (!id.ok()) return std::move(id).error();
    auto size = int32_field(hr, "msgMaxSize");
    if (!size.ok()) return std::move(size).error();
    auto flags = hr.expect(static_cast<std::uint8_t>(Type::octet_string), "msgFlags");
    if (!flags.ok()) return std::move(flags).error();
    if (flags->content.size() != 1)
      return malformed(flags->at,
                       fmt::format("msgFlags of {} bytes (1 required)", flags->content.size()));
    auto model = int32_field(hr, "msgSecurityModel");
    if (!model.ok()) return std::move(model).error();
    if (!hr.done()) return malformed(hr.offset(), "extra bytes in msgGlobalData");
    if (*id < 0) return malformed(h->at, fmt::format("msgID {} is negative", *id));
    if (*model != 3)
      return malformed(h->at,
                       fmt::format("security model {} (only USM, 3, is understood)", *model));
    m.msg_id = *id;
    m.max_size = *size;
    m.flags = flags->content[0];
    if ((m.flags & kFlagPriv) && !(m.flags & kFlagAuth))
      return malformed(flags->at, "msgFlags ask for privacy without authentication");
  }
  {
    auto p = r.expect(static_cast<std::uint8_t>(Type::octet_string), "msgSecurityParameters");
    if (!p.ok()) return std::move(p).error();
    Reader pr = inside(*p);
    auto useq = pr.expect(kSequence, "UsmSecurityParameters");
    if (!useq.ok()) return std::move(useq).error();
    if (!pr.done()) return malformed(pr.offset(), "extra bytes after UsmSecurityParameters");
    Reader u = inside(*useq);
    auto engine = octets(u, "msgAuthoritativeEngineID", 32);
    if (!engine.ok()) return std::move(engine).error();
    auto boots = int32_field(u, "msgAuthoritativeEngineBoots");
    if (!boots.ok()) return std::move(boots).error();
    auto time = int32_field(u, "msgAuthoritativeEngineTime");
    if (!time.ok()) return std::move(time).error();
    auto user = octets(u, "msgUserName", 32);
    if (!user.ok()) return std::move(user).error();
    auto auth =
        u.expect(static_cast<std::uint8_t>(Type::octet_string), "msgAuthenticationParameters");
    if (!auth.ok()) return std::move(auth).error();
    if (auth->content.size() > 64)
      return malformed(
          auth->at, fmt::format("msgAuthenticationParameters of {} bytes", auth->content.size()));
    auto priv = octets(u, "msgPrivacyParameters", 64);
    if (!priv.ok()) return std::move(priv).error();
    if (!u.done()) return malformed(u.offset(), "extra bytes in UsmSecurityParameters");
    if (*boots < 0 || *time < 0) return malformed(useq->at, "negative engine boots or time");
    m.usm = {std::move(engine.value()), *boots,          *time,
             std::move(user.value()),   bytes_of(*auth), std::move(priv.value())};
    d.auth_params_at = auth->content_at;
  }
  auto data = r.next();
  if (!data.ok()) return std::move(data).error();
  if (m.flags & kFlagPriv) {
    if (data->tag != static_cast<std::uint8_t>(Type::octet_string))
      return malformed(
          data->at,
          fmt::format("expected encrypted data (tag 0x04), found tag 0x{:02x}", data->tag));
    m.scoped = bytes_of(*data);
  } else {
    if (data->tag != kSequence)
      return malformed(
          data->at, fmt::format("expected a ScopedPDU (tag 0x30), found tag 0x{:02x}", data->tag));
    m.scoped.assign(reinterpret_cast<const char*>(datagram.data()) + data->at,
                    data->content_at - data->at + data->content.size());
  }
  if (!r.done()) return malformed(r.offset(), "extra bytes after the scoped PDU");
  return d;
}

Result<ScopedPdu> decode_scoped_pdu(std::span<const std::uint8_t> data, bool allow_padding) {
  Reader top(data, 0);
  auto seq = top.expect(kSequence, "a ScopedPDU");
  if (!seq.ok()) return std::move(seq).error();
  if (!allow_padding && !top.done())
    return malformed(top.offset(), "extra bytes after the ScopedPDU");
  Reader r = inside(*seq);
  ScopedPdu s;
  auto engine = octets(r, "contextEngineID", 32);
  if (!engine.ok()) return std::move(engine).error();
  auto name = octets(r, "contextName", 255);
  if (!name.ok()) return std::move(name).error();
  auto pdu = r.next();
  if (!pdu.ok()) return std::move(pdu).error();
  auto p = checked_pdu(*pdu, Version::v3);
  if (!p.ok()) return std::move(p).error();
  if (!r.done()) return malformed(r.offset(), "extra bytes after the PDU");
  s.context_engine_id = std::move(engine.value());
  s.context_name = std::move(name.value());
  s.pdu = std::move(p.value());
  return s;
}

std::string text_of(const Value& v) {
  std::string s = v.bytes;
  while (!s.empty() && s.back() == '\0') s.pop_back();
  if (std::all_of(s.begin(), s.end(), [](unsigned char c) { return c < 0x80; }))
    return s;  // the usual case
  return nlohmann::json::parse(
             nlohmann::json(s).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace))
      .get<std::string>();
}

nlohmann::json json_of(const Value& v) {
  switch (v.type) {
    case Type::integer:
      return v.integer;
    case Type::counter32:
    case Type::gauge32:
    case Type::timeticks:
    case Type::counter64:
      return v.number;
    case Type::octet_string:
      return text_of(v);
    case Type::oid:
      return to_string(v.oid);
    case Type::ip_address: {
      std::string s;
      for (unsigned char b : v.bytes) s += fmt::format("{}{}", s.empty() ? "" : ".", b);
      return s;
    }
    case Type::opaque: {
      std::string s;
      for (unsigned char b : v.bytes) s += fmt::format("{:02x}", b);
      return s;
    }
    default:
      return nullptr;
  }
}

}  // namespace tt::snmp
