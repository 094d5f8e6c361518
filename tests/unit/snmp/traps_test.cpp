#include "snmp/traps.h"

#include <doctest/doctest.h>

#include "../fields_of.h"
#include "query/query.h"
#include "snmp/mib.h"
#include "snmp/trap_users.h"

using namespace tt::snmp;
using tt::test::sorted_fields_of;

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
                          trap("[2001:db8::1]:162", "linkDown"),
                          trap("192.0.2.1:47003", "coldStart")};
  CHECK(source_address(batch[2]) == "2001:db8::1");
  TrapLabels bounds;
  auto series = trap_series(batch, {{"192.0.2.1", "gw1"}}, 1000, bounds);
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

TEST_CASE(
    "snmp traps: series per sender and unnamed trap OID are bounded; past the bounds they are "
    "\"other\"") {
  TrapLimits limits;
  limits.max_sources = 2;
  limits.max_unnamed_traps = 3;
  TrapLabels bounds(limits);
  auto labels = [&](const char* address, const std::string& trap, bool has_node = false) {
    auto l = bounds.labels(address, trap, has_node);
    return l.source + " " + l.trap;
  };
  for (int i = 0; i < 3; ++i)
    CHECK(labels("192.0.2.1", "enterprises.9." + std::to_string(i)) ==
          "192.0.2.1 enterprises.9." + std::to_string(i));
  CHECK(labels("192.0.2.1", "enterprises.9.3") == "192.0.2.1 other");
  CHECK(labels("192.0.2.1", "enterprises.9.0") ==
        "192.0.2.1 enterprises.9.0");                              // already has its series
  CHECK(labels("192.0.2.1", "linkDown") == "192.0.2.1 linkDown");  // named traps always
  CHECK(labels("192.0.2.2", "1.3.6.1.9") == "192.0.2.2 1.3.6.1.9");
  CHECK(labels("192.0.2.3", "1.3.6.1.9") == "other other");  // a third sender
  CHECK(labels("192.0.2.3", "linkUp") == "other linkUp");
  CHECK(labels("192.0.2.4", "linkUp", true) == "192.0.2.4 linkUp");  // a node's address always
  // Series the store has keep their labels after a restart, and count against the bounds.
  TrapLabels restarted(limits);
  restarted.remember("192.0.2.1", "enterprises.9.7");
  restarted.remember("192.0.2.2", "linkDown");
  CHECK(restarted.labels("192.0.2.1", "enterprises.9.7", false).trap == "enterprises.9.7");
  CHECK(restarted.labels("192.0.2.5", "linkDown", false).source == "other");

  // A flood of random OIDs from one sender makes max_unnamed_traps + 1 series.
  TrapLabels flood;
  std::vector<Trap> batch;
  for (int i = 0; i < 5000; ++i) {
    Trap t;
    t.source = "192.0.2.9:1024";
    t.trap_oid = oid(("1.3.6.1.4.1.99999." + std::to_string(i)).c_str());
    batch.push_back(std::move(t));
  }
  auto series = trap_series(batch, {}, 1000, flood);
  CHECK(series.size() == TrapLimits{}.max_unnamed_traps + 1);
  double total = 0;
  for (const auto& s : series) total += s.samples[0].v;
  CHECK(total == 5000);  // every trap counted
}

TEST_CASE(
    "snmp traps: events are rate-limited per sender and overall, and what was held back is "
    "summarised once a minute") {
  TrapLimits limits;
  limits.events_per_s = 10;
  limits.event_burst = 100;
  limits.all_events_per_s = 20;
  limits.all_event_burst = 150;
  limits.max_sources = 2;
  TrapEventLimiter limiter(limits);
  auto admitted = [&](const char* address, int n, tt::TimeMs at) {
    int ok = 0;
    for (int i = 0; i < n; ++i) ok += limiter.admit(address, at);
    return ok;
  };
  CHECK_FALSE(limiter.next_due());
  CHECK(admitted("192.0.2.1", 1000, 0) == 100);  // the sender's burst
  REQUIRE(limiter.next_due());
  CHECK(*limiter.next_due() == 60'000);
  CHECK(admitted("192.0.2.1", 100, 1000) == 10);  // then 10 a second
  CHECK(admitted("192.0.2.2", 100, 1000) == 60);  // the overall bucket: 150 - 110 + 20 x 1 s
  CHECK(limiter.due(60'999).size() == 1);
  auto due = limiter.due(61'000);
  REQUIRE(due.size() == 1);
  CHECK((due[0].source == "192.0.2.2" && due[0].count == 40 && due[0].since == 1000));
  CHECK(limiter.due(120'000).empty());  // each suppressed trap is reported once
  CHECK_FALSE(limiter.next_due());

  // Past max_sources a new sender takes the bucket of an idle one (full, nothing held back) ...
  CHECK(admitted("192.0.2.3", 200, 121'000) == 100);
  CHECK(admitted("192.0.2.4", 200, 121'000) == 50);  // the overall bucket runs dry
  // ... and when none is idle, shares one with the other newcomers.
  CHECK(admitted("192.0.2.5", 10, 121'000) == 0);
  CHECK(admitted("192.0.2.6", 10, 121'000) == 0);
  due = limiter.due(181'000);
  REQUIRE(due.size() == 3);
  CHECK((due[0].source == "192.0.2.3" && due[0].count == 100));
  CHECK((due[1].source == "192.0.2.4" && due[1].count == 150));
  CHECK((due[2].source == "other" && due[2].count == 20));
}

namespace {

const std::string kEngine = std::string("\x80\x00\x1f\x88\x04", 5) + "trap-sender";
const UsmUser kAlice{"alice", AuthProtocol::sha1, "alice-auth-pw", PrivProtocol::aes128,
                     "alice-priv-pw"};

Pdu link_down() {
  Pdu p;
  p.type = PduType::trap_v2;
  p.request_id = 11;
  p.varbinds = {{*resolve_name("sysUpTime.0"), Value::make_unsigned(Type::timeticks, 500)},
                {*resolve_name("snmpTrapOID.0"), Value::make_oid(oid("1.3.6.1.6.3.1.1.5.3"))},
                {oid("1.3.6.1.2.1.2.2.1.1.3"), Value::make_integer(3)}};
  return p;
}

// A v3 message as an agent sends it to `engine`: `keys_user` signs and encrypts, `u` names the
// user.
std::string v3_message(const UsmUser& u, const UsmUser& keys_user, std::uint8_t flags,
                       std::uint32_t boots, std::uint32_t time, const Pdu& pdu = link_down(),
                       const std::string& engine = kEngine) {
  MessageV3 m;
  m.msg_id = 7;
  m.flags = flags;
  m.usm.engine_id = engine;
  m.usm.engine_boots = static_cast<std::int32_t>(boots);
  m.usm.engine_time = static_cast<std::int32_t>(time);
  m.usm.user = u.name;
  return seal(m, localized_keys(keys_user, engine), ScopedPdu{engine, "", pdu}, 42);
}

LocalEngine telltale_engine() {
  LocalEngine e;
  e.engine_id = std::string("\x80\x00\x00\x00\x05telltale", 13);
  e.boots = 4;
  e.time = 600;
  return e;
}

V3Trap read(const std::string& wire, const TrapKeyMap& users, EngineClocks& clocks,
            LocalEngine& local) {
  return read_v3_trap({reinterpret_cast<const std::uint8_t*>(wire.data()), wire.size()},
                      "192.0.2.9:5000", users, clocks, local);
}

V3Trap read(const std::string& wire, const TrapKeyMap& users, EngineClocks& clocks) {
  LocalEngine local = telltale_engine();
  return read(wire, users, clocks, local);
}

std::span<const std::uint8_t> bytes_of(const std::string& s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

TrapKeyMap keyring_of(std::vector<std::pair<std::string, UsmUser>> users) {
  TrapKeyring k;
  k.set(users);
  return *k.snapshot();
}

}  // namespace

TEST_CASE("snmp traps: a v3 trap of a known user is authenticated, decrypted and read") {
  const auto users = keyring_of({{kEngine, kAlice}});
  EngineClocks clocks;
  auto r = read(v3_message(kAlice, kAlice, kFlagAuth | kFlagPriv, 3, 1000), users, clocks);
  REQUIRE(r.trap);
  CHECK(r.trap->version == Version::v3);
  CHECK(r.trap->trap_oid == oid("1.3.6.1.6.3.1.1.5.3"));
  CHECK(r.trap->uptime_ticks == 500u);
  auto j = to_json(*r.trap);
  CHECK(j["version"] == "3");
  CHECK(j["user"] == "alice");
  CHECK(j["engine_id"] == "80001f8804747261702d73656e646572");
  CHECK(j["varbinds"][0]["name"] == "ifIndex.3");
  CHECK(clocks.at(kEngine).boots == 3);
  CHECK(clocks.at(kEngine).latest_time == 1000);

  // noAuthNoPriv works for a user configured without keys.
  const UsmUser bob{"bob", AuthProtocol::none, "", PrivProtocol::none, ""};
  auto plain = read(v3_message(bob, bob, 0, 0, 0), keyring_of({{kEngine, bob}}), clocks);
  REQUIRE(plain.trap);
  CHECK(to_json(*plain.trap)["user"] == "bob");
}

TEST_CASE(
    "snmp traps: v3 traps of unknown users, with wrong keys or replayed are rejected with a "
    "reason") {
  const auto users = keyring_of({{kEngine, kAlice}});
  EngineClocks clocks;
  UsmUser mallory = kAlice;
  mallory.name = "mallory";
  CHECK(read(v3_message(mallory, kAlice, kFlagAuth | kFlagPriv, 1, 1), users, clocks).reject ==
        V3Reject::unknown_user);
  CHECK(read(v3_message(kAlice, kAlice, kFlagAuth | kFlagPriv, 1, 1), keyring_of({}), clocks)
            .reject == V3Reject::unknown_engine_id);

  UsmUser wrong_auth = kAlice;
  wrong_auth.auth_password = "not-alices-pw";
  auto digest = read(v3_message(kAlice, wrong_auth, kFlagAuth | kFlagPriv, 1, 1), users, clocks);
  CHECK_FALSE(digest.trap);
  CHECK(digest.reject == V3Reject::wrong_digest);
  CHECK(clocks.empty());  // only authentic messages touch the clocks

  UsmUser wrong_priv = kAlice;
  wrong_priv.priv_password = "not-alices-priv";
  CHECK(read(v3_message(kAlice, wrong_priv, kFlagAuth | kFlagPriv, 1, 1), users, clocks).reject ==
        V3Reject::decryption_failed);

  // A downgraded message (authNoPriv for an authPriv user) is refused, not read.
  CHECK(read(v3_message(kAlice, kAlice, kFlagAuth, 1, 1), users, clocks).reject ==
        V3Reject::unsupported_security_level);

  // RFC 3414 3.2.7 b: after boots 5 time 1000, an earlier boot or a time 150 s older is a replay.
  clocks.clear();
  REQUIRE(read(v3_message(kAlice, kAlice, kFlagAuth | kFlagPriv, 5, 1000), users, clocks).trap);
  CHECK(read(v3_message(kAlice, kAlice, kFlagAuth | kFlagPriv, 4, 2000), users, clocks).reject ==
        V3Reject::not_in_time_window);
  CHECK(read(v3_message(kAlice, kAlice, kFlagAuth | kFlagPriv, 5, 849), users, clocks).reject ==
        V3Reject::not_in_time_window);
  CHECK(read(v3_message(kAlice, kAlice, kFlagAuth | kFlagPriv, 5, 850), users, clocks).trap);
  CHECK(read(v3_message(kAlice, kAlice, kFlagAuth | kFlagPriv, 6, 0), users, clocks)
            .trap);  // a reboot
  CHECK(clocks.at(kEngine).boots == 6);

  Pdu get;
  get.type = PduType::get;
  CHECK(read(v3_message(kAlice, kAlice, kFlagAuth | kFlagPriv, 6, 1, get), users, clocks).reject ==
        V3Reject::not_a_trap);
  CHECK(read("\x30\x03\x02\x01\x03", users, clocks).reject == V3Reject::malformed);
}

TEST_CASE(
    "snmp traps: v3 informs are to Telltale's engine, which answers discovery, time and the "
    "inform") {
  LocalEngine local = telltale_engine();
  const auto users = keyring_of({{local.engine_id, kAlice}, {kEngine, kAlice}});
  EngineClocks clocks;

  // Engine discovery: an empty engine id, noAuthNoPriv, reportable; the report names our engine.
  MessageV3 discovery;
  discovery.msg_id = 99;
  discovery.flags = kFlagReportable;
  Pdu get;
  get.type = PduType::get;
  get.request_id = 5;
  auto found = read(seal(discovery, {}, ScopedPdu{"", "", get}, 0), users, clocks, local);
  CHECK_FALSE(found.trap);
  CHECK_FALSE(found.reject);
  auto report = decode_v3(bytes_of(found.reply));
  REQUIRE(report.ok());
  CHECK(report->message.msg_id == 99);
  CHECK(report->message.usm.engine_id == local.engine_id);
  CHECK(report->message.usm.engine_boots == 4);
  CHECK(report->message.usm.engine_time == 600);
  auto report_pdu = decode_scoped_pdu(bytes_of(report->message.scoped), false);
  REQUIRE(report_pdu.ok());
  CHECK(report_pdu->pdu.type == PduType::report);
  CHECK(report_pdu->pdu.varbinds.at(0).oid == oid("1.3.6.1.6.3.15.1.1.4.0"));

  // An inform at our boots and time: recorded, and answered with an authentic encrypted Response.
  Pdu inform = link_down();
  inform.type = PduType::inform;
  auto got = read(v3_message(kAlice, kAlice, kFlagAuth | kFlagPriv | kFlagReportable, 4, 610,
                             inform, local.engine_id),
                  users, clocks, local);
  REQUIRE(got.trap);
  CHECK(to_json(*got.trap)["engine_id"] == hex_of(local.engine_id));
  auto answer = decode_v3(bytes_of(got.reply));
  REQUIRE(answer.ok());
  const UsmKeys keys = localized_keys(kAlice, local.engine_id);
  std::string unsigned_answer = got.reply;
  unsigned_answer.replace(answer->auth_params_at, 12, 12, '\0');
  CHECK(authenticate(keys, unsigned_answer) == answer->message.usm.auth_params);
  auto plain = decrypt(keys, 4, 600, answer->message.usm.priv_params, answer->message.scoped);
  REQUIRE(plain.ok());
  auto response = decode_scoped_pdu(bytes_of(plain.value()), true);
  REQUIRE(response.ok());
  CHECK(response->pdu.type == PduType::response);
  CHECK(response->pdu.request_id == inform.request_id);
  CHECK(response->pdu.varbinds == inform.varbinds);

  // Out of our time window: not recorded, and an authentic notInTimeWindows report to resync.
  auto late = read(v3_message(kAlice, kAlice, kFlagAuth | kFlagPriv | kFlagReportable, 4, 800,
                              inform, local.engine_id),
                   users, clocks, local);
  CHECK(late.reject == V3Reject::not_in_time_window);
  auto resync = decode_v3(bytes_of(late.reply));
  REQUIRE(resync.ok());
  CHECK(resync->message.flags == kFlagAuth);
  CHECK(decode_scoped_pdu(bytes_of(resync->message.scoped), false)->pdu.varbinds.at(0).oid ==
        oid("1.3.6.1.6.3.15.1.1.2.0"));
  CHECK(read(v3_message(kAlice, kAlice, kFlagAuth | kFlagPriv, 3, 600, inform, local.engine_id),
             users, clocks, local)
            .reject == V3Reject::not_in_time_window);

  // An inform to another engine id than ours cannot be answered authoritatively.
  CHECK(read(v3_message(kAlice, kAlice, kFlagAuth | kFlagPriv, 1, 1, inform), users, clocks, local)
            .reject == V3Reject::not_a_trap);
}

TEST_CASE("snmp traps: the keyring localises keys to each user's engine id") {
  TrapKeyring ring;
  const std::string other = std::string("\x80\x00\x00\x00\x01", 5);
  ring.set({{kEngine, kAlice}, {other, kAlice}});
  auto first = ring.snapshot();
  REQUIRE(first->size() == 2);
  CHECK(first->at({kEngine, "alice"}).keys.auth_key ==
        localize_key(AuthProtocol::sha1, password_to_key(AuthProtocol::sha1, "alice-auth-pw"),
                     kEngine));
  CHECK(first->at({kEngine, "alice"}).keys.auth_key != first->at({other, "alice"}).keys.auth_key);
  UsmUser changed = kAlice;
  changed.auth_password = "a-new-password";
  ring.set({{kEngine, changed}});
  auto second = ring.snapshot();
  REQUIRE(second->size() == 1);
  CHECK(second->at({kEngine, "alice"}).keys.auth_key !=
        first->at({kEngine, "alice"}).keys.auth_key);
  CHECK(first->size() == 2);  // a snapshot taken earlier does not change
}

TEST_CASE("snmp traps: trap users validate like discovery's v3 fields, and never show passwords") {
  auto ok = decode_trap_user({{"user", "alice"},
                              {"engine_id", "0x80001F880474726170"},
                              {"auth_protocol", "sha256"},
                              {"auth_password", "alice-auth-pw"},
                              {"priv_protocol", "aes256"},
                              {"priv_password", "alice-priv"}});
  REQUIRE(ok.ok());
  CHECK(ok->engine_id == std::string("\x80\x00\x1f\x88\x04trap", 9));
  CHECK(ok->user == UsmUser{"alice", AuthProtocol::sha256, "alice-auth-pw", PrivProtocol::aes256,
                            "alice-priv"});
  auto j = to_json(ok.value());
  CHECK(j["auth_password"] == "********");
  CHECK(j["priv_password"] == "********");
  CHECK(j["engine_id"] == "80001f880474726170");

  auto bad = decode_trap_user({{"user", ""},
                               {"engine_id", "80001f"},
                               {"auth_protocol", "sha999"},
                               {"priv_password", "short"},
                               {"colour", "red"}});
  REQUIRE_FALSE(bad.ok());
  CHECK(sorted_fields_of(bad) == std::vector<std::string>{"auth_password", "auth_protocol",
                                                          "colour", "engine_id", "priv_password",
                                                          "priv_protocol", "user"});
  auto missing = decode_trap_user(nlohmann::json::object());
  REQUIRE_FALSE(missing.ok());
  CHECK(sorted_fields_of(missing) == std::vector<std::string>{"engine_id", "user"});
}
