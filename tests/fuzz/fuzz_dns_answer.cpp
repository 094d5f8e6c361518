// Fuzzes the DNS answer-to-facts function: the first byte picks the record type, the rest is the
// answer as a server would send it. Invariants: ok only for NOERROR with records; counts come
// from the header.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "probes/dns_answer.h"

using namespace tt::probes;

namespace {
void check(bool ok) {
  if (!ok) std::abort();
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const auto type = static_cast<dns::RecordType>(data[0] % 8);
  const unsigned char* buf = data + 1;
  const std::size_t n = size - 1;
  const dns::Answer a = dns::parse_answer(type, buf, n);
  check(a.header == (n >= 12));
  if (a.header) {
    check(a.rcode >= 0 && a.rcode < 16);
    check(a.answer_rrs == static_cast<unsigned>(buf[6] << 8 | buf[7]));
  }
  check(a.records.size() <= 65535);
  const std::vector<std::string> expected{"127.0.0.1", "10 mail.example.com"};
  const Observation o = dns::observe(type, buf, n, expected, 0.001);
  if (o.ok) {
    check(o.facts["rcode"] == "NOERROR");
    check(!a.records.empty());
    check(dns::expected_present(type, a.records, expected));
  } else {
    check(!o.error.empty());
  }
  return 0;
}
