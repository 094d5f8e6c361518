// snmp/mib.h — the built-in table of common object names (SNMPv2-MIB system group, IF-MIB
// ifTable and ifXTable, HOST-RESOURCES-MIB and UCD-SNMP-MIB basics for CPU, load, memory and
// disk), so users write `ifHCInOctets` or `sysUpTime.0` instead of numbers. No MIB files are
// read: the table is compiled in. Pure and thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "snmp/message.h"

namespace tt::snmp {

// "ifHCInOctets", "sysUpTime.0", "IF-MIB::ifHCInOctets.3" (the module prefix is ignored) or a
// dotted OID ("1.3.6.1.2.1.1.3.0", ".1.3.6…"); nullopt for unknown names or bad suffixes.
std::optional<Oid> resolve_name(std::string_view text);

// The longest known name that prefixes `oid`, with the rest as a dotted suffix
// ("ifHCInOctets.3"); the dotted OID when no name fits.
std::string name_of(const Oid& oid);

}  // namespace tt::snmp
