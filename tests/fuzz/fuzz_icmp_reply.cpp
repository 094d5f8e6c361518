// Fuzzes the ICMP reply parser in all four socket layouts (IPv4/IPv6, with or without the IPv4
// header), requests returned by a ping socket's error queue, and the cookie check. The parsed
// payload must lie inside the input.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "probes/icmp_packet.h"

using namespace tt::probes;

namespace {
void check(bool ok) {
  if (!ok) std::abort();
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  for (int layout = 0; layout < 4; ++layout) {
    const bool ipv6 = layout & 1, ip_header = layout & 2;
    const auto r = icmp::parse_reply(data, size, ipv6, ip_header);
    if (!r) continue;
    check(r->payload >= data && r->payload + r->payload_len <= data + size);
    (void)icmp::cookie_matches(*r, 0x0123456789abcdefULL, 56);
    (void)icmp::cookie_matches(*r, 0, 3);
  }
  for (const bool ipv6 : {false, true})
    if (const auto r = icmp::returned_request(data, size, ipv6, 1))
      check(r->payload >= data && r->payload + r->payload_len <= data + size);
  // A request we build must parse back as what we sent when echoed.
  if (size >= 4) {
    const std::uint16_t seq = static_cast<std::uint16_t>(data[0] << 8 | data[1]);
    auto pkt = icmp::build_echo_request(false, 7, seq, 42, data[2]);
    pkt[0] = 0;  // echo reply
    const auto r = icmp::parse_reply(pkt.data(), pkt.size(), false, false);
    check(r && r->seq == seq && r->id == 7 && icmp::cookie_matches(*r, 42, data[2]));
  }
  return 0;
}
