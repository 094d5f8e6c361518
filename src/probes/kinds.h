// probes/kinds.h — the descriptor of each kind, defined next to its probe (one file per kind).
#pragma once

#include "probes/descriptor.h"

namespace tt::probes {

const KindDescriptor& icmp_kind();  // icmp.cpp
const KindDescriptor& tcp_kind();   // tcp.cpp
const KindDescriptor& http_kind();  // http.cpp
const KindDescriptor& dns_kind();   // dns.cpp
const KindDescriptor& push_kind();  // push.cpp
const KindDescriptor& snmp_kind();  // snmp.cpp

// Shared target checks.
std::optional<std::string> check_host(const std::string& host);         // name or IP literal
std::optional<std::string> check_host_port(const std::string& target);  // host:port, [v6]:port

}  // namespace tt::probes
