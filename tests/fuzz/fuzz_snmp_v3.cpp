// SNMPv3 messages from agents: decode_v3 and decode_scoped_pdu must refuse bad bytes without
// crashing; what decode_v3 accepts must survive encode and decode unchanged, with the
// authentication parameters found at the same offset; decrypting any data with a fixed key must
// not crash the scoped PDU decoder.
#include <cstdlib>

#include "snmp/message.h"
#include "snmp/usm.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace tt::snmp;
  (void)decode_scoped_pdu({data, size}, true);
  auto d = decode_v3({data, size});
  if (!d.ok()) return 0;
  const MessageV3& m = d->message;
  std::size_t at = 0;
  const std::string wire = encode(m, &at);
  auto again = decode_v3({reinterpret_cast<const std::uint8_t*>(wire.data()), wire.size()});
  if (!again.ok() || !(again->message == m) || again->auth_params_at != at) std::abort();
  if (m.flags & kFlagPriv) {
    static const UsmKeys keys = localized_keys({"u", AuthProtocol::sha1, "authpass1", PrivProtocol::des, "privpass1"}, "engine");
    auto plain = decrypt(keys, static_cast<std::uint32_t>(m.usm.engine_boots), static_cast<std::uint32_t>(m.usm.engine_time),
                         m.usm.priv_params, m.scoped);
    if (plain.ok()) (void)decode_scoped_pdu({reinterpret_cast<const std::uint8_t*>(plain->data()), plain->size()}, true);
  } else {
    (void)decode_scoped_pdu({reinterpret_cast<const std::uint8_t*>(m.scoped.data()), m.scoped.size()}, false);
  }
  return 0;
}
