// probes/dns.cpp — DNS queries with c-ares on the core loop.
#include "probes/kinds.h"

namespace tt::probes {

const KindDescriptor& dns_kind() {
  static const KindDescriptor k{
      "dns",
      "DNS",
      "the name to look up (for PTR, an IP address)",
      check_host,
      {
          {"record_type", OptionType::choice, "A", "record type", {"A", "AAAA", "CNAME", "MX", "TXT", "NS", "SOA", "PTR"}},
          {"server", OptionType::string, nullptr, "resolver as host or host:port; empty: the system's resolvers"},
          {"expected", OptionType::string_list, nullptr, "answers of which at least one must be present"},
          {"protocol", OptionType::choice, "udp", "transport", {"udp", "tcp"}},
          {"recursion", OptionType::boolean, true, "ask the server to recurse"},
      },
      {
          {"latency", FactType::duration, "time to the answer"},
          {"rcode", FactType::string, "response code: NOERROR, NXDOMAIN, SERVFAIL, ..."},
          {"answers", FactType::string, "the answer records as text, one per line"},
          {"answer_count", FactType::number, "records in the answer section"},
      },
      60000,
      5000,
      512,
      {},
  };
  return k;
}

}  // namespace tt::probes
