// probes/icmp.cpp — ICMP echo for IPv4 and IPv6.
#include "probes/kinds.h"

namespace tt::probes {

const KindDescriptor& icmp_kind() {
  static const KindDescriptor k{
      "icmp",
      "Ping (ICMP echo)",
      "host name or IP address",
      check_host,
      {
          {"packets", OptionType::integer, 3, "echo requests per round", {}, 1, 100},
          {"packet_interval", OptionType::duration, "200ms", "time between the packets of a round", {}, 10, 10000},
          {"size", OptionType::integer, 56, "payload bytes of each request", {}, 0, 65000},
          {"family", OptionType::choice, "auto", "address family used for host names", {"auto", "ipv4", "ipv6"}},
      },
      {
          {"latency", FactType::duration, "average round-trip time of the answered packets"},
          {"rtt_min", FactType::duration, "smallest round-trip time"},
          {"rtt_max", FactType::duration, "largest round-trip time"},
          {"jitter", FactType::duration, "mean difference between consecutive round-trip times"},
          {"loss", FactType::ratio, "share of packets without an answer"},
          {"sent", FactType::number, "packets sent"},
          {"received", FactType::number, "answers received"},
          {"address", FactType::string, "the address pinged"},
      },
      60000,
      5000,
      1024,
      {},
  };
  return k;
}

}  // namespace tt::probes
