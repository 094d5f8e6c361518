#include "snmp/traps.h"

#include <fmt/format.h>
#include <openssl/crypto.h>

#include "core/options.h"
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

// A name from the wire as it may go in a log line: bytes outside printable ASCII as \xNN.
std::string printable(std::string_view bytes) {
  std::string s;
  for (unsigned char c : bytes)
    s += c >= 0x20 && c < 0x7f && c != '\\' ? std::string(1, static_cast<char>(c))
                                            : fmt::format("\\x{:02x}", c);
  return s;
}

// RFC 3414 usmStats.
const Oid kUsmStatsNotInTimeWindows = {1, 3, 6, 1, 6, 3, 15, 1, 1, 2, 0};
const Oid kUsmStatsUnknownEngineIds = {1, 3, 6, 1, 6, 3, 15, 1, 1, 4, 0};

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
    if (p.varbinds[i].value.type == Type::timeticks)
      t.uptime_ticks = static_cast<std::uint32_t>(p.varbinds[i].value.number);
    ++i;
  }
  if (i >= p.varbinds.size() || p.varbinds[i].oid != snmp_trap_oid_0() ||
      p.varbinds[i].value.type != Type::oid)
    return std::nullopt;
  t.trap_oid = p.varbinds[i].value.oid;
  t.varbinds.assign(p.varbinds.begin() + static_cast<std::ptrdiff_t>(i + 1), p.varbinds.end());
  return t;
}

nlohmann::json to_json(const Trap& t) {
  nlohmann::json vbs = nlohmann::json::array();
  for (const auto& vb : t.varbinds)
    vbs.push_back({{"oid", to_string(vb.oid)},
                   {"name", name_of(vb.oid)},
                   {"type", to_string(vb.value.type)},
                   {"value", json_of(vb.value)}});
  nlohmann::json j = {
      {"source", t.source},
      {"version", to_string(t.version)},
      {"trap_oid", to_string(t.trap_oid)},
      {"trap", name_of(t.trap_oid)},
      {"uptime", t.uptime_ticks ? nlohmann::json(static_cast<double>(*t.uptime_ticks) / 100.0)
                                : nlohmann::json()},
      {"varbinds", std::move(vbs)}};
  if (t.version == Version::v3) {
    j["user"] = text_of(Value::make_bytes(Type::octet_string, t.user));
    j["engine_id"] = hex_of(t.engine_id);
  }
  return j;
}

std::string hex_of(std::string_view bytes) {
  std::string s;
  s.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) s += fmt::format("{:02x}", c);
  return s;
}

void TrapKeyring::set(const std::vector<std::pair<std::string, UsmUser>>& users) {
  auto old = snapshot();
  auto next = std::make_shared<TrapKeyMap>();
  for (const auto& [engine_id, user] : users) {
    std::pair key{engine_id, user.name};
    auto it = old->find(key);
    if (it != old->end() && it->second.user == user)
      next->emplace(key, it->second);
    else
      next->emplace(key, TrapUserKeys{user, engine_id, localized_keys(user, engine_id)});
  }
  std::lock_guard lock(m_mutex);
  m_map = std::move(next);
}

std::shared_ptr<const TrapKeyMap> TrapKeyring::snapshot() const {
  std::lock_guard lock(m_mutex);
  return m_map;
}

namespace {
constexpr EnumNames<V3Reject, 8> kRejectNames{
    {"malformed", "unknown_engine_id", "unknown_user", "unsupported_security_level", "wrong_digest",
     "not_in_time_window", "decryption_failed", "not_a_trap"}};
}  // namespace

std::string_view to_string(V3Reject r) { return kRejectNames.name(r); }

V3Trap read_v3_trap(std::span<const std::uint8_t> datagram, std::string source,
                    const TrapKeyMap& users, EngineClocks& clocks, LocalEngine& local) {
  V3Trap out;
  const auto reject = [&](V3Reject r, std::string detail) {
    out.reject = r;
    out.detail = std::move(detail);
    return std::move(out);
  };
  auto d = decode_v3(datagram);
  if (!d.ok()) return reject(V3Reject::malformed, d.error().message);
  MessageV3& m = d->message;
  // An answer from Telltale's engine to the message `m`: its msgID and user, our boots and time.
  const auto answer = [&](std::uint8_t flags) {
    MessageV3 a;
    a.msg_id = m.msg_id;
    a.flags = flags;
    a.usm.engine_id = local.engine_id;
    a.usm.engine_boots = static_cast<std::int32_t>(local.boots);
    a.usm.engine_time = static_cast<std::int32_t>(local.time);
    a.usm.user = m.usm.user;
    return a;
  };
  const auto report = [&](const Oid& stat, std::uint32_t count, std::int32_t request_id) {
    ScopedPdu r{local.engine_id, "", {}};
    r.pdu.type = PduType::report;
    r.pdu.request_id = request_id;
    r.pdu.varbinds = {{stat, Value::make_unsigned(Type::counter32, count)}};
    return r;
  };
  if (m.usm.engine_id.empty() && !(m.flags & kFlagAuth)) {
    // RFC 3414 4: engine discovery by an inform sender. The report tells it our engine id, boots
    // and time; it is no larger than the request, so answering forged ones amplifies nothing.
    if (!(m.flags & kFlagReportable) || local.engine_id.empty())
      return reject(V3Reject::unknown_engine_id,
                    "a message without an engine id that asks no report");
    auto s = decode_scoped_pdu(
        {reinterpret_cast<const std::uint8_t*>(m.scoped.data()), m.scoped.size()}, false);
    if (!s.ok()) return reject(V3Reject::malformed, s.error().message);
    out.reply =
        seal(answer(0), {},
             report(kUsmStatsUnknownEngineIds, ++local.unknown_engine_ids, s->pdu.request_id), 0);
    return out;
  }
  const bool to_us = !local.engine_id.empty() && m.usm.engine_id == local.engine_id;
  const std::string who = fmt::format("user \"{}\" of engine {}", printable(m.usm.user),
                                      m.usm.engine_id.empty() ? "(none)" : hex_of(m.usm.engine_id));
  auto it = users.find({m.usm.engine_id, m.usm.user});
  if (it == users.end()) {
    auto same_engine = users.lower_bound({m.usm.engine_id, ""});
    const bool engine_known =
        same_engine != users.end() && same_engine->first.first == m.usm.engine_id;
    return reject(engine_known ? V3Reject::unknown_user : V3Reject::unknown_engine_id,
                  who + " is not a trap user");
  }
  const TrapUserKeys& u = it->second;
  // The level configured for the user is the level required: an attacker must not get a trap
  // recorded by sending it without the authentication the user has.
  const std::uint8_t level = (u.keys.auth != AuthProtocol::none ? kFlagAuth : 0) |
                             (u.keys.priv != PrivProtocol::none ? kFlagPriv : 0);
  if ((m.flags & (kFlagAuth | kFlagPriv)) != level)
    return reject(
        V3Reject::unsupported_security_level,
        fmt::format("{} sent auth {} priv {}; the user is configured with auth {}, priv {}", who,
                    (m.flags & kFlagAuth) ? "yes" : "no", (m.flags & kFlagPriv) ? "yes" : "no",
                    to_string(u.keys.auth), to_string(u.keys.priv)));
  if (m.flags & kFlagAuth) {
    const std::size_t mac = mac_length(u.keys.auth);
    if (m.usm.auth_params.size() != mac)
      return reject(V3Reject::wrong_digest, fmt::format("{} sent an HMAC of {} bytes, {} expected",
                                                        who, m.usm.auth_params.size(), mac));
    std::string copy(reinterpret_cast<const char*>(datagram.data()), datagram.size());
    copy.replace(d->auth_params_at, mac, mac, '\0');
    const std::string expected = authenticate(u.keys, copy);
    if (CRYPTO_memcmp(expected.data(), m.usm.auth_params.data(), mac) != 0)
      return reject(V3Reject::wrong_digest,
                    who + ": the HMAC does not verify (wrong authentication password or protocol)");
    const auto boots = static_cast<std::uint32_t>(m.usm.engine_boots),
               time = static_cast<std::uint32_t>(m.usm.engine_time);
    if (to_us) {
      // RFC 3414 3.2.7 a: to our engine, boots must be ours and time within 150 s of ours; the
      // report (authenticated, so the sender believes it) lets the sender resynchronise.
      if (boots != local.boots || std::max(time, local.time) - std::min(time, local.time) > 150) {
        if (m.flags & kFlagReportable)
          out.reply = seal(answer(kFlagAuth), u.keys,
                           report(kUsmStatsNotInTimeWindows, ++local.not_in_time_windows, 0), 0);
        return reject(V3Reject::not_in_time_window,
                      fmt::format("{} sent engine boots {} time {}; ours are boots {} time {}", who,
                                  boots, time, local.boots, local.time));
      }
    } else {
      // RFC 3414 3.2.7 b: a message from an engine's earlier life, or more than 150 s older than
      // the latest seen, is a replay; an authentic newer one advances what we know.
      auto [c, first] = clocks.try_emplace(m.usm.engine_id, EngineClock{boots, time});
      if (!first) {
        if (boots == 0x7fffffffu || boots < c->second.boots ||
            (boots == c->second.boots && std::uint64_t{time} + 150 < c->second.latest_time))
          return reject(
              V3Reject::not_in_time_window,
              fmt::format("{} sent engine boots {} time {}; the latest seen is boots {} time {}",
                          who, boots, time, c->second.boots, c->second.latest_time));
        if (boots > c->second.boots || time > c->second.latest_time) c->second = {boots, time};
      }
    }
  }
  std::string plain;
  if (m.flags & kFlagPriv) {
    auto r = decrypt(u.keys, static_cast<std::uint32_t>(m.usm.engine_boots),
                     static_cast<std::uint32_t>(m.usm.engine_time), m.usm.priv_params, m.scoped);
    if (!r.ok())
      return reject(V3Reject::decryption_failed, fmt::format("{}: {}", who, r.error().message));
    plain = std::move(r.value());
  } else {
    plain = std::move(m.scoped);
  }
  auto s = decode_scoped_pdu({reinterpret_cast<const std::uint8_t*>(plain.data()), plain.size()},
                             (m.flags & kFlagPriv) != 0);
  if (!s.ok())
    return reject((m.flags & kFlagPriv) ? V3Reject::decryption_failed : V3Reject::malformed,
                  fmt::format("{}: {}scoped PDU: {}", who,
                              (m.flags & kFlagPriv) ? "decrypted " : "", s.error().message));
  const bool inform = s->pdu.type == PduType::inform;
  if (s->pdu.type != PduType::trap_v2 && !(inform && to_us))
    return reject(V3Reject::not_a_trap,
                  fmt::format("{} sent a {} PDU{}", who, to_string(s->pdu.type),
                              inform ? " to an engine id other than Telltale's" : ""));
  if (inform) {
    // RFC 3416 4.2.7: a Response with the same request id and variables, at the inform's level;
    // its context is the inform's (RFC 3412 7.1.6: net-snmp drops an answer from another).
    ScopedPdu response{s->context_engine_id, s->context_name, s->pdu};
    response.pdu.type = PduType::response;
    response.pdu.error_status = response.pdu.error_index = 0;
    out.reply = seal(answer(m.flags & (kFlagAuth | kFlagPriv)), u.keys, response, local.salt++);
  }
  out.trap = trap_from(Message{Version::v3, {}, std::move(s->pdu)}, std::move(source));
  if (!out.trap) {
    out.reply.clear();
    return reject(V3Reject::malformed,
                  who + ": a trap without snmpTrapOID.0 as its second variable");
  }
  out.trap->user = m.usm.user;
  out.trap->engine_id = m.usm.engine_id;
  return out;
}

std::string source_address(const Trap& t) {
  auto address = t.source.substr(0, t.source.rfind(':'));
  if (address.size() >= 2 && address.front() == '[' && address.back() == ']')
    address = address.substr(1, address.size() - 2);
  return address;
}

std::vector<SeriesSamples> trap_series(const std::vector<Trap>& batch,
                                       const std::map<std::string, std::string>& nodes, TimeMs at,
                                       TrapLabels& bounds) {
  std::map<LabelSet, double> counts;
  for (const auto& t : batch) {
    auto address = source_address(t);
    auto node = nodes.find(address);
    auto [source, trap] = bounds.labels(address, name_of(t.trap_oid), node != nodes.end());
    LabelSet labels{{std::string(kMetricNameLabel), "snmp_traps"},
                    {"source", std::move(source)},
                    {"trap", std::move(trap)}};
    if (node != nodes.end()) labels.push_back({"node", node->second});
    sort_labels(labels);
    counts[std::move(labels)] += 1;
  }
  std::vector<SeriesSamples> out;
  for (auto& [labels, n] : counts) out.push_back({labels, {{at, n}}});
  return out;
}

}  // namespace tt::snmp
