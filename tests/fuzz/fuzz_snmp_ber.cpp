// SNMP messages from agents (and later traps from anyone): snmp::decode must refuse bad bytes
// without crashing, and whatever it accepts must survive encode and decode unchanged.
#include <cstdlib>

#include "snmp/message.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto m = tt::snmp::decode({data, size});
  if (!m.ok()) return 0;
  const std::string wire = tt::snmp::encode(m.value());
  auto again = tt::snmp::decode({reinterpret_cast<const std::uint8_t*>(wire.data()), wire.size()});
  if (!again.ok() || !(again.value() == m.value())) std::abort();
  return 0;
}
