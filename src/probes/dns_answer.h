// probes/dns_answer.h — the pure part of the DNS probe: record types, reverse names, and turning
// a raw DNS answer (bytes from the network) into facts and metrics. No I/O, any thread; fuzzed
// by tests/fuzz/fuzz_dns_answer.cpp.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "probes/probe.h"

namespace tt::probes::dns {

enum class RecordType { a, aaaa, cname, mx, txt, ns, soa, ptr };

std::optional<RecordType> parse_record_type(std::string_view name);  // "A", "AAAA", ...
int query_type(RecordType t);                                        // ns_t_a, ...
std::string rcode_name(int rcode);  // "NOERROR", "NXDOMAIN", ..., "RCODE12" for unnamed codes

// "192.0.2.1" -> "1.2.0.192.in-addr.arpa", "2001:db8::1" -> nibbles + ".ip6.arpa";
// nullopt when `ip` is not an address.
std::optional<std::string> reverse_name(const std::string& ip);

struct Answer {
  bool header = false;  // the 12-byte header was there; the counts and rcode below are from it
  int rcode = -1;
  unsigned answer_rrs = 0, authority_rrs = 0, additional_rrs = 0;
  // Canonical text of each answer record of the asked type, in answer order:
  // A/AAAA the address; CNAME/NS/PTR the name without trailing dot; MX "10 mail.example.com";
  // TXT the record's strings joined; SOA "mname rname serial refresh retry expire minimum".
  std::vector<std::string> records;
};

Answer parse_answer(RecordType type, const unsigned char* buf, std::size_t len);

// True when `expected` is empty or one expected string equals one record (names compare
// without case and trailing dot; TXT exactly).
bool expected_present(RecordType type, const std::vector<std::string>& records,
                      const std::vector<std::string>& expected);

// The observation for one answer: ok when NOERROR, at least one record of the type, and the
// expected answers present. Facts in seconds; blackbox_exporter metric names.
Observation observe(RecordType type, const unsigned char* buf, std::size_t len,
                    const std::vector<std::string>& expected, double latency_s);

}  // namespace tt::probes::dns
