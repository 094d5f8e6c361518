#include "probes/icmp_packet.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace tt::probes::icmp {

namespace {

constexpr std::uint8_t kEchoReply4 = 0, kUnreachable4 = 3, kEchoRequest4 = 8;
constexpr std::uint8_t kUnreachable6 = 1, kEchoRequest6 = 128, kEchoReply6 = 129;
constexpr std::size_t kIcmpHeader = 8;
constexpr std::size_t kIpv6Header = 40;
constexpr std::uint8_t kNextHeaderIcmp6 = 58;

std::uint16_t be16(const std::uint8_t* p) { return static_cast<std::uint16_t>(p[0] << 8 | p[1]); }

// The IPv4 header's length, or 0 when `p` does not start with a sane IPv4 header.
std::size_t ipv4_header_len(const std::uint8_t* p, std::size_t len) {
  if (len < 20 || (p[0] >> 4) != 4) return 0;
  const std::size_t ihl = static_cast<std::size_t>(p[0] & 0x0F) * 4;
  return ihl >= 20 && ihl <= len ? ihl : 0;
}

// The echo request quoted in an unreachable message: [inner IP header][ICMP echo request ...].
std::optional<Reply> quoted_request(const std::uint8_t* p, std::size_t len, bool ipv6,
                                    std::uint8_t code) {
  std::size_t inner_ip;
  if (ipv6) {
    if (len < kIpv6Header || (p[0] >> 4) != 6 || p[6] != kNextHeaderIcmp6) return std::nullopt;
    inner_ip = kIpv6Header;
  } else {
    inner_ip = ipv4_header_len(p, len);
    if (inner_ip == 0 || p[9] != 1 /* ICMP */) return std::nullopt;
  }
  return returned_request(p + inner_ip, len - inner_ip, ipv6, code);
}

}  // namespace

std::uint16_t checksum(const std::uint8_t* data, std::size_t len) {
  std::uint32_t sum = 0;
  for (std::size_t i = 0; i + 1 < len; i += 2) sum += be16(data + i);
  if (len & 1) sum += static_cast<std::uint32_t>(data[len - 1]) << 8;
  while (sum >> 16) sum = (sum & 0xFFFF) + (sum >> 16);
  return static_cast<std::uint16_t>(~sum);
}

std::vector<std::uint8_t> build_echo_request(bool ipv6, std::uint16_t id, std::uint16_t seq,
                                             std::uint64_t cookie, std::size_t payload_bytes) {
  std::vector<std::uint8_t> p(kIcmpHeader + payload_bytes);
  p[0] = ipv6 ? kEchoRequest6 : kEchoRequest4;
  p[4] = static_cast<std::uint8_t>(id >> 8);
  p[5] = static_cast<std::uint8_t>(id);
  p[6] = static_cast<std::uint8_t>(seq >> 8);
  p[7] = static_cast<std::uint8_t>(seq);
  for (std::size_t i = 0; i < payload_bytes; ++i)
    p[kIcmpHeader + i] = i < kCookieBytes ? static_cast<std::uint8_t>(cookie >> (8 * (7 - i)))
                                          : static_cast<std::uint8_t>(i);
  if (!ipv6) {
    const std::uint16_t c = checksum(p.data(), p.size());
    p[2] = static_cast<std::uint8_t>(c >> 8);
    p[3] = static_cast<std::uint8_t>(c);
  }
  return p;
}

std::optional<Reply> parse_reply(const std::uint8_t* data, std::size_t len, bool ipv6,
                                 bool ip_header) {
  if (!data) return std::nullopt;
  if (ip_header && !ipv6) {
    const std::size_t ihl = ipv4_header_len(data, len);
    if (ihl == 0) return std::nullopt;
    data += ihl;
    len -= ihl;
  }
  if (len < kIcmpHeader) return std::nullopt;
  const std::uint8_t type = data[0], code = data[1];
  if (type == (ipv6 ? kEchoReply6 : kEchoReply4)) {
    Reply r;
    r.id = be16(data + 4);
    r.seq = be16(data + 6);
    r.payload = data + kIcmpHeader;
    r.payload_len = len - kIcmpHeader;
    return r;
  }
  if (type == (ipv6 ? kUnreachable6 : kUnreachable4))
    return quoted_request(data + kIcmpHeader, len - kIcmpHeader, ipv6, code);
  return std::nullopt;
}

std::optional<Reply> returned_request(const std::uint8_t* p, std::size_t len, bool ipv6,
                                      std::uint8_t code) {
  if (!p || len < kIcmpHeader || p[0] != (ipv6 ? kEchoRequest6 : kEchoRequest4))
    return std::nullopt;
  Reply r;
  r.kind = ReplyKind::unreachable;
  r.code = code;
  r.id = be16(p + 4);
  r.seq = be16(p + 6);
  r.payload = p + kIcmpHeader;
  r.payload_len = len - kIcmpHeader;
  return r;
}

bool cookie_matches(const Reply& r, std::uint64_t cookie, std::size_t sent_payload) {
  const std::size_t n = std::min({r.payload_len, sent_payload, kCookieBytes});
  // An echo reply returns the whole payload; only a quoted request may be cut short.
  if (r.kind == ReplyKind::echo_reply && r.payload_len < std::min(sent_payload, kCookieBytes))
    return false;
  for (std::size_t i = 0; i < n; ++i)
    if (r.payload[i] != static_cast<std::uint8_t>(cookie >> (8 * (7 - i)))) return false;
  return true;
}

Observation summarize(const Round& r) {
  Observation o;
  const std::size_t received = r.rtts_s.size();
  const double loss =
      r.sent ? 1.0 - static_cast<double>(received) / static_cast<double>(r.sent) : 1.0;
  o.facts.reserve(received ? 8 : 4);
  o.facts["loss"] = loss;
  o.facts["sent"] = r.sent;
  o.facts["received"] = received;
  o.facts["address"] = r.address;
  o.metrics.reserve(6);
  o.metrics.push_back({"probe_icmp_loss_ratio", loss});
  o.metrics.push_back({"probe_ip_protocol", r.ipv6 ? 6.0 : 4.0});
  if (received == 0) {
    if (r.unreachable) {
      o.error = "unreachable";
      o.message = fmt::format("{} is unreachable", r.address);
    } else if (!r.send_error.empty()) {
      o.error = "io";
      o.message = "sending failed: " + r.send_error;
    } else {
      o.error = "timeout";
      o.message =
          fmt::format("no reply from {} to {} packet{}", r.address, r.sent, r.sent == 1 ? "" : "s");
    }
    return o;
  }
  double sum = 0, lo = r.rtts_s[0], hi = r.rtts_s[0], jitter = 0;
  for (std::size_t i = 0; i < received; ++i) {
    sum += r.rtts_s[i];
    lo = std::min(lo, r.rtts_s[i]);
    hi = std::max(hi, r.rtts_s[i]);
    if (i > 0) jitter += std::fabs(r.rtts_s[i] - r.rtts_s[i - 1]);
  }
  const double avg = sum / static_cast<double>(received);
  if (received > 1) jitter /= static_cast<double>(received - 1);
  o.ok = true;
  // In whole microseconds: integer formatting is several times cheaper than a fixed-precision
  // float, and this runs for every ping.
  const auto avg_us = static_cast<long long>(std::llround(avg * 1e6));
  o.message = fmt::format("{}/{} replies from {}, avg {}.{:03} ms", received, r.sent, r.address,
                          avg_us / 1000, avg_us % 1000);
  o.facts["latency"] = avg;
  o.facts["rtt_min"] = lo;
  o.facts["rtt_max"] = hi;
  o.facts["jitter"] = jitter;
  o.metrics.push_back({"probe_icmp_rtt_seconds", lo, "stat", "min"});
  o.metrics.push_back({"probe_icmp_rtt_seconds", avg, "stat", "avg"});
  o.metrics.push_back({"probe_icmp_rtt_seconds", hi, "stat", "max"});
  o.metrics.push_back({"probe_icmp_jitter_seconds", jitter});
  return o;
}

}  // namespace tt::probes::icmp
