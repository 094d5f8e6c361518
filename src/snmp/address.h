// snmp/address.h — the address of an SNMP agent or trap listener as people write it. Pure text
// handling with no I/O, so probes/ and app/ read addresses without the discovery service.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace tt::snmp {

// host, host:port, [v6]:port, [v6], or a bare IPv6 literal; false when malformed. `port` is left
// alone when the text has none.
bool split_address(std::string_view address, std::string& host, std::uint16_t& port);

}  // namespace tt::snmp
