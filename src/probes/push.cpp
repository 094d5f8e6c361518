// probes/push.cpp — push (heartbeat) checks: nothing to run; the target reports to its secret URL
// and the scheduler marks it down when no heartbeat arrives within interval plus grace.
#include "probes/kinds.h"

namespace tt::probes {

const KindDescriptor& push_kind() {
  static const KindDescriptor k{
      "push",
      "Push (heartbeat)",
      "not used: the monitored job calls the check's push URL",
      "",
      "status == \"up\"",
      [](const std::string&) -> std::optional<std::string> { return std::nullopt; },
      {{"grace",
        "Grace period",
        OptionType::duration,
        "0s",
        "extra time after the interval before a missing heartbeat means down",
        {},
        0,
        86400000}},
      {string_fact("status", "status sent with the heartbeat: up or down"),
       string_fact("msg", "message sent with the heartbeat"),
       number_fact("value", "value sent with the heartbeat"),
       duration_fact("latency", "the ping value sent, in milliseconds, as a duration")},
      {},
      60000,
      0,
      0,
  };
  return k;
}

}  // namespace tt::probes
