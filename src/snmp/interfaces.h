// snmp/interfaces.h — interface polling: which IF-MIB columns one poll walks, and how the raw
// counters of successive polls become monotonic totals (32-bit wraps added back, agent restarts
// seen through sysUpTime) and oper-status transitions. Pure code: the snmp probe owns one
// InterfaceMemory per check and feeds it each poll's walk.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "snmp/message.h"

namespace tt::snmp {

// What happened to one counter between two polls.
enum class CounterStep {
  first,     // no earlier value: the total starts at the raw value
  advanced,  // raw went up (or stayed): the total grows by the difference
  wrapped,   // a 32-bit raw value went down while the agent kept running: 2^32 added back
  reset,     // the agent restarted (sysUpTime went back), or a 64-bit value went down, or the
             // counter changed width: the total starts again at the raw value, which rate()
             // reads as a counter reset
};

struct CounterMemory {
  std::uint64_t last_raw = 0;
  double total = 0;
  bool seen = false;
  bool wide = false;  // Counter64
};

// Advances `m` by a new raw reading; `restarted` is whether the agent's sysUpTime went back
// since the previous poll.
CounterStep advance(CounterMemory& m, std::uint64_t raw, bool wide, bool restarted);

// The counters a poll turns into series, in this order (names as Prometheus series).
enum class IfCounter { in_octets, out_octets, in_errors, out_errors, in_discards, out_discards };
constexpr std::size_t kIfCounters = 6;
extern const std::array<const char*, kIfCounters> kIfCounterNames;  // if_in_octets_total, ...

// The columns one poll walks (ifName, ifAdminStatus, ifOperStatus, the HC octet counters, the
// 32-bit octet counters, errors and discards); give them to Engine::walk in this order.
extern const std::vector<Oid> kPollColumns;

struct PolledInterface {
  std::uint32_t index = 0;
  std::string name;  // ifName, or "if<index>" when the agent has none
  std::optional<std::int64_t> admin_status, oper_status;
  std::array<std::optional<double>, kIfCounters> totals;  // absent when the agent has no column
  std::array<CounterStep, kIfCounters> steps{};
};

struct Transition {
  std::uint32_t index = 0;
  std::string name;
  std::int64_t from = 0, to = 0;  // ifOperStatus values; one of them is up(1)
};

struct Poll {
  std::vector<PolledInterface> interfaces;  // by index
  std::vector<Transition> transitions;      // interfaces that went up or down since the last poll
  bool restarted = false;                   // sysUpTime went back since the last poll
};

// The memory of one check: the agent's last sysUpTime and each interface's counters and status.
// Interfaces missing from a poll are forgotten.
class InterfaceMemory {
 public:
  // `uptime_ticks`: sysUpTime.0 of this poll; `columns`: the walk of kPollColumns.
  Poll apply(std::uint64_t uptime_ticks, const std::vector<std::vector<VarBind>>& columns);

 private:
  struct Remembered {
    std::array<CounterMemory, kIfCounters> counters;
    std::optional<std::int64_t> oper_status;
  };
  std::optional<std::uint64_t> m_uptime;
  std::map<std::uint32_t, Remembered> m_interfaces;
};

// "up", "down", ..., "lowerLayerDown" (RFC 2863 ifAdminStatus and ifOperStatus values), or
// nullptr beyond 1..7.
const char* if_status_name(std::int64_t status);

}  // namespace tt::snmp
