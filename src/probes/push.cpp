// probes/push.cpp — push (heartbeat) checks: nothing to run; the target reports to its secret URL
// and the scheduler marks it down when no heartbeat arrives within interval plus grace.
#include "probes/kinds.h"

namespace tt::probes {

const KindDescriptor& push_kind() {
  static const KindDescriptor k{
      "push",
      "Push (heartbeat)",
      "not used: the monitored job calls the check's push URL",
      [](const std::string&) -> std::optional<std::string> { return std::nullopt; },
      {
          {"grace",
           OptionType::duration,
           "0s",
           "extra time after the interval before a missing heartbeat means down",
           {},
           0,
           86400000},
      },
      {
          {"status", FactType::string, "status sent with the heartbeat: up or down"},
          {"msg", FactType::string, "message sent with the heartbeat"},
          {"value", FactType::number, "value sent with the heartbeat"},
          {"latency", FactType::duration, "the ping value sent, in milliseconds, as a duration"},
      },
      60000,
      0,
      0,
      {},
  };
  return k;
}

}  // namespace tt::probes
