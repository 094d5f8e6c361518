// collect/identity.h — who a host is, for an agent's registration: a stable identity that
// survives a rename and a re-install of the agent (the machine id; else the MAC address of the
// default-route interface), and what the hub shows of the host (name, MAC, OS, kernel,
// architecture, CPU model, cores, memory, boot time). Read from the same roots as the collectors,
// so tests use fixture trees. Any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "collect/collect.h"

namespace tt::collect {

struct Identity {
  std::string id;         // "machine-id:<32 hex>" or "mac:<aa:bb:...>"; empty: neither found
  std::string hostname;   // the kernel's host name
  std::string interface;  // of the default route (IPv4, else IPv6); empty without one
  std::string mac;        // of that interface, lower case
  std::string os;         // os-release's PRETTY_NAME ("Debian GNU/Linux 12 (bookworm)")
  std::string kernel;     // osrelease ("6.1.0-13-amd64")
  std::string arch;       // uname's machine ("x86_64", "aarch64")
  std::string cpu_model;  // "Intel(R) Xeon(R) ...", a Raspberry Pi's "Raspberry Pi 4 Model B ..."
  int cores = 0;          // processors the kernel lists
  std::uint64_t memory_bytes = 0;
  std::int64_t boot_time_s = 0;  // Unix seconds
};

Identity identify(const Roots& roots);

// The pure parts, fuzzed with the collectors' parsers.
// /etc/machine-id: 32 lower-case hex digits and a newline; anything else is no id (systemd
// writes "uninitialized" during first boot).
std::optional<std::string> parse_machine_id(std::string_view text);
// /proc/net/route: the interface of the IPv4 default route (destination and mask 0) with the
// lowest metric.
std::string parse_default_route(std::string_view text);
// /proc/net/ipv6_route: the interface of the IPv6 default route (::/0), other than lo.
std::string parse_default_route6(std::string_view text);
// /etc/os-release (or /usr/lib/os-release): PRETTY_NAME, unquoted.
std::string parse_os_release(std::string_view text);
// /proc/cpuinfo: the CPU's model ("model name" on x86, else the board's "Model" as a Raspberry
// Pi's kernel writes it, else "Hardware"), and how many processors are listed.
std::string parse_cpu_model(std::string_view text);
int count_processors(std::string_view text);

}  // namespace tt::collect
