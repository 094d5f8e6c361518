// probes/icmp_packet.h — the pure part of the ICMP probe: building echo requests, parsing what
// an ICMP socket returns (bytes from the network), and turning a round's round-trip times into
// facts and metrics. No I/O, any thread; fuzzed by tests/fuzz/fuzz_icmp_reply.cpp.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "probes/probe.h"

namespace tt::probes::icmp {

// Bytes of the 64-bit per-packet cookie at the start of each payload (fewer when `size` < 8).
constexpr std::size_t kCookieBytes = 8;

// An echo request with `payload_bytes` of payload: the cookie first, then a fixed pattern. The
// ICMPv4 checksum is filled in; for ICMPv6 the kernel computes it (it covers the IPv6 pseudo
// header, which only the kernel knows for certain).
std::vector<std::uint8_t> build_echo_request(bool ipv6, std::uint16_t id, std::uint16_t seq,
                                             std::uint64_t cookie, std::size_t payload_bytes);

std::uint16_t checksum(const std::uint8_t* data, std::size_t len);

enum class ReplyKind { echo_reply, unreachable };

struct Reply {
  ReplyKind kind = ReplyKind::echo_reply;
  std::uint8_t code = 0;  // for unreachable: the ICMP code
  // The echo's identifier and sequence: of the reply itself, or of our request quoted inside an
  // unreachable message.
  std::uint16_t id = 0;
  std::uint16_t seq = 0;
  // The echo payload (points into the parsed buffer); for unreachable, as much as was quoted.
  const std::uint8_t* payload = nullptr;
  std::size_t payload_len = 0;
};

// Parses one datagram read from an ICMP socket. `ip_header`: raw IPv4 sockets deliver the IPv4
// header first; ping sockets and IPv6 sockets do not. nullopt for anything that is neither an
// echo reply nor a destination-unreachable quoting an echo request.
std::optional<Reply> parse_reply(const std::uint8_t* data, std::size_t len, bool ipv6,
                                 bool ip_header);

// An echo request of ours handed back with an ICMP error (a ping socket's error queue returns
// the request without its IP header) as an unreachable with `code`; nullopt when it is not an
// echo request.
std::optional<Reply> returned_request(const std::uint8_t* data, std::size_t len, bool ipv6,
                                      std::uint8_t code);

// True when the payload carries `cookie` (compared over min(payload_len, sent_payload, 8) bytes).
bool cookie_matches(const Reply& r, std::uint64_t cookie, std::size_t sent_payload);

// One round: round-trip times in seconds of the answered packets, in sending order.
struct Round {
  std::size_t sent = 0;
  std::vector<double> rtts_s;
  bool unreachable = false;  // a packet was reported unreachable (ICMP or sendto)
  std::string send_error;    // sendto's error for a packet, when not an unreachable one
  std::string address;
  bool ipv6 = false;
};

// ok when at least one packet was answered; otherwise "unreachable", "io" or "timeout".
Observation summarize(const Round& r);

}  // namespace tt::probes::icmp
