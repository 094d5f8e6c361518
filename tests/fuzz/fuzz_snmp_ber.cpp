// SNMP messages from agents and traps from anyone: snmp::decode must refuse bad bytes without
// crashing, whatever it accepts must survive encode and decode unchanged, and the trap receiver's
// reading of it (trap_from, to_json) must hold for any decoded message.
#include <cstdlib>

#include "snmp/message.h"
#include "snmp/traps.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto m = tt::snmp::decode({data, size});
  if (!m.ok()) return 0;
  const std::string wire = tt::snmp::encode(m.value());
  auto again = tt::snmp::decode({reinterpret_cast<const std::uint8_t*>(wire.data()), wire.size()});
  if (!again.ok() || !(again.value() == m.value())) std::abort();
  if (auto t = tt::snmp::trap_from(m.value(), "192.0.2.1:162")) (void)tt::snmp::to_json(*t).dump();
  return 0;
}
