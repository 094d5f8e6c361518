// SNMPv3 messages from agents and trap and inform senders: decode_v3 and decode_scoped_pdu must
// refuse bad bytes without crashing; what decode_v3 accepts must survive encode and decode
// unchanged, with the authentication parameters found at the same offset; decrypting any data with
// a fixed key must not crash the scoped PDU decoder. The trap receiver's read_v3_trap sees each
// input as it came and, so that the path past the HMAC (time window, decryption, trap, the answer
// to an inform) is reached, once more signed with the key of the fixed user it names. Seeds in
// corpus/fuzz_snmp_v3: a trap and an inform of each fixed user, an engine discovery, and a trap
// from net-snmp's snmptrap.
#include <cstdlib>

#include "snmp/message.h"
#include "snmp/traps.h"
#include "snmp/usm.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace tt::snmp;
  static const TrapKeyMap users = [] {
    TrapKeyring ring;
    ring.set(
        {{"engine", {"u", AuthProtocol::sha1, "authpass1", PrivProtocol::des, "privpass1"}},
         {"engine", {"n", AuthProtocol::none, "", PrivProtocol::none, ""}},
         {"engine", {"a", AuthProtocol::md5, "authpass1", PrivProtocol::aes128, "privpass1"}}});
    return *ring.snapshot();
  }();
  // Per input, so a run does not depend on the inputs before it; "engine" is also Telltale's, so
  // informs and the authoritative time window are reached.
  EngineClocks clocks;
  LocalEngine local{"engine", 1, 0, 0, 0, 0};
  (void)decode_scoped_pdu({data, size}, true);
  auto d = decode_v3({data, size});
  // What the receiver reads it records as JSON, and what it answers must decode.
  const auto check = [](const V3Trap& r) {
    if (r.trap) (void)to_json(*r.trap).dump();
    if (!r.reply.empty() &&
        !decode_v3({reinterpret_cast<const std::uint8_t*>(r.reply.data()), r.reply.size()}).ok())
      std::abort();
  };
  check(read_v3_trap({data, size}, "192.0.2.1:162", users, clocks, local));
  if (!d.ok()) return 0;
  const MessageV3& m = d->message;
  std::size_t at = 0;
  const std::string wire = encode(m, &at);
  auto again = decode_v3({reinterpret_cast<const std::uint8_t*>(wire.data()), wire.size()});
  if (!again.ok() || !(again->message == m) || again->auth_params_at != at) std::abort();
  if (m.flags & kFlagPriv) {
    const UsmKeys& keys = users.at({"engine", "u"}).keys;
    auto plain =
        decrypt(keys, static_cast<std::uint32_t>(m.usm.engine_boots),
                static_cast<std::uint32_t>(m.usm.engine_time), m.usm.priv_params, m.scoped);
    if (plain.ok())
      (void)decode_scoped_pdu({reinterpret_cast<const std::uint8_t*>(plain->data()), plain->size()},
                              true);
  } else {
    (void)decode_scoped_pdu(
        {reinterpret_cast<const std::uint8_t*>(m.scoped.data()), m.scoped.size()}, false);
  }
  if (auto u = users.find({m.usm.engine_id, m.usm.user});
      u != users.end() && u->second.keys.auth != AuthProtocol::none && (m.flags & kFlagAuth) &&
      m.usm.auth_params.size() == mac_length(u->second.keys.auth)) {
    std::string signed_wire(reinterpret_cast<const char*>(data), size);
    signed_wire.replace(d->auth_params_at, m.usm.auth_params.size(), m.usm.auth_params.size(),
                        '\0');
    signed_wire.replace(d->auth_params_at, m.usm.auth_params.size(),
                        authenticate(u->second.keys, signed_wire));
    auto r = read_v3_trap(
        {reinterpret_cast<const std::uint8_t*>(signed_wire.data()), signed_wire.size()},
        "192.0.2.1:162", users, clocks, local);
    if (r.reject == V3Reject::wrong_digest)
      std::abort();  // signed with the user's key: the HMAC must verify
    check(r);
  }
  return 0;
}
