// http/forwarded.h — who sent a request when reverse proxies stand in front (--trusted-proxy):
// the client's address from X-Forwarded-For or Forwarded (RFC 7239), and the scheme and host it
// used, believed only when the connection comes from a trusted proxy. Anyone can send these
// headers, so from any other peer they are ignored and the peer's own address is the client's.
// Pure functions of their arguments; any thread.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace tt::http {

// The address as text in one canonical form (inet_ntop's; an IPv4-mapped IPv6 address as its
// IPv4 address), or nullopt when `text` is not an IPv4 or IPv6 address.
std::optional<std::string> canonical_address(std::string_view text);

// Which header a trusted proxy writes the client's address into. Only that one is read: a proxy
// passes the other through as the client sent it, so reading both would let a client choose.
enum class ForwardedHeader { x_forwarded_for, forwarded };

class TrustedProxies {
 public:
  TrustedProxies() = default;
  // Networks as "10.0.0.0/8", "fd00::/8" or single addresses ("127.0.0.1", "::1").
  // TRUSTED_PROXY_INVALID (invalid_input) names the first that is none of these.
  static Result<TrustedProxies> parse(const std::vector<std::string>& networks,
                                      ForwardedHeader header = ForwardedHeader::x_forwarded_for);

  bool empty() const { return m_networks.empty(); }
  ForwardedHeader header() const { return m_header; }
  // Whether `address` (any text; not an address is never trusted) is in one of the networks.
  bool contains(std::string_view address) const;

 private:
  struct Network {
    std::array<std::uint8_t, 16> bytes{};  // IPv4 as IPv4-mapped IPv6
    int prefix_bits = 0;                   // of the 128
  };
  std::vector<Network> m_networks;
  ForwardedHeader m_header = ForwardedHeader::x_forwarded_for;
};

// The forwarding headers of one request, each field's values in the order they came (a
// repeated field is one list, RFC 9110 §5.3).
struct ForwardingFields {
  std::vector<std::string_view> forwarded, x_forwarded_for, x_forwarded_proto, x_forwarded_host;
};

struct ClientOrigin {
  std::string address;   // the client's: the peer's, or the one the trusted proxies name
  bool proxied = false;  // the peer is a trusted proxy (scheme and host below are its word)
  std::string scheme;    // "http" or "https" as the proxy saw the client; empty when not said
  std::string host;      // the Host the client asked the proxy for; empty when not said
};

// From a peer that is not trusted: the peer, nothing else. From a trusted one: the hops of the
// chosen header walked from the right (the hop the peer itself added) past every trusted
// address, and the first that is not trusted is the client; when every hop is trusted, the
// leftmost. A hop that is not an address (garbled, "unknown", an obfuscated RFC 7239 name) ends
// the walk at the trusted address before it: what lies further left cannot be checked.
ClientOrigin resolve_origin(std::string_view peer, const ForwardingFields& fields,
                            const TrustedProxies& trusted);

}  // namespace tt::http
