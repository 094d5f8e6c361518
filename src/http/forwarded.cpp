#include "http/forwarded.h"

#include <arpa/inet.h>
#include <fmt/format.h>

#include <charconv>
#include <cstring>

#include "core/text.h"

namespace tt::http {

namespace {

constexpr std::array<std::uint8_t, 12> kMappedPrefix = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

// The 16 bytes of an IPv4 (as IPv4-mapped IPv6) or IPv6 address.
std::optional<std::array<std::uint8_t, 16>> address_bytes(std::string_view text) {
  if (text.empty() || text.size() >= INET6_ADDRSTRLEN) return std::nullopt;
  char buf[INET6_ADDRSTRLEN] = {};
  std::memcpy(buf, text.data(), text.size());
  std::array<std::uint8_t, 16> out{};
  in_addr v4{};
  if (::inet_pton(AF_INET, buf, &v4) == 1) {
    std::memcpy(out.data(), kMappedPrefix.data(), kMappedPrefix.size());
    std::memcpy(out.data() + 12, &v4, 4);
    return out;
  }
  in6_addr v6{};
  if (::inet_pton(AF_INET6, buf, &v6) != 1) return std::nullopt;
  std::memcpy(out.data(), &v6, 16);
  return out;
}

bool is_mapped(const std::array<std::uint8_t, 16>& bytes) {
  return std::memcmp(bytes.data(), kMappedPrefix.data(), kMappedPrefix.size()) == 0;
}

// Splits at `sep` outside quoted strings (RFC 9110 §5.6.4, with backslash escapes).
std::vector<std::string_view> split_unquoted(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  bool quoted = false;
  std::size_t start = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (quoted && s[i] == '\\') {
      ++i;
    } else if (s[i] == '"') {
      quoted = !quoted;
    } else if (!quoted && s[i] == sep) {
      out.push_back(s.substr(start, i - start));
      start = i + 1;
    }
  }
  out.push_back(s.substr(start));
  return out;
}

// The items of a list-valued field, over all its lines, empty items skipped (RFC 9110 §5.6.1).
std::vector<std::string_view> list_items(const std::vector<std::string_view>& lines) {
  std::vector<std::string_view> out;
  for (auto line : lines)
    for (auto item : split_unquoted(line, ','))
      if (auto t = trim(item); !t.empty()) out.push_back(t);
  return out;
}

// A token or a quoted string's content, unescaped; nullopt when it is neither.
std::optional<std::string> unquote(std::string_view v) {
  if (v.empty() || v.front() != '"') {
    if (v.find_first_of("\" \t\\") != std::string_view::npos) return std::nullopt;
    return std::string(v);
  }
  if (v.size() < 2 || v.back() != '"') return std::nullopt;
  std::string out;
  for (std::size_t i = 1; i + 1 < v.size(); ++i) {
    if (v[i] == '\\') {
      if (++i + 1 >= v.size()) return std::nullopt;
    } else if (v[i] == '"') {
      return std::nullopt;
    }
    out += v[i];
  }
  return out;
}

// One hop as a proxy wrote it: an address, maybe with a port ("192.0.2.1:4711",
// "[2001:db8::1]:4711", a bare "2001:db8::1" in X-Forwarded-For). nullopt for anything else.
std::optional<std::string> hop_address(std::string_view node) {
  std::string_view address = node;
  std::string_view port;
  if (node.starts_with('[')) {
    auto close = node.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    address = node.substr(1, close - 1);
    auto rest = node.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') return std::nullopt;
      port = rest.substr(1);
    }
  } else if (auto colon = node.find(':'); colon != std::string_view::npos &&
                                          node.find(':', colon + 1) == std::string_view::npos) {
    address = node.substr(0, colon);
    port = node.substr(colon + 1);
  }
  if (!port.empty() || node.ends_with(':')) {
    unsigned value = 0;
    auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
    // RFC 7239 also allows an obfuscated port ("_abc"): the address is what matters.
    bool obfuscated = port.starts_with('_');
    if (!obfuscated && (ec != std::errc() || end != port.data() + port.size() || value > 65535))
      return std::nullopt;
  }
  return canonical_address(address);
}

std::string scheme_of(std::string_view value) {
  auto v = ascii_lower(trim(value));
  return v == "http" || v == "https" ? v : std::string();
}

// The chosen header's hops, left to right, with the scheme and host each element says (for
// X-Forwarded-For, those of X-Forwarded-Proto and -Host: the value at the hop's place when the
// lists are as long, else their last).
struct Hop {
  std::optional<std::string> address;
  std::string scheme, host;
};

std::vector<Hop> hops_of(const ForwardingFields& f, ForwardedHeader header) {
  std::vector<Hop> out;
  if (header == ForwardedHeader::forwarded) {
    for (auto element : list_items(f.forwarded)) {
      Hop hop;
      bool valid = true;
      for (auto pair : split_unquoted(element, ';')) {
        pair = trim(pair);
        auto eq = pair.find('=');
        auto value =
            eq == std::string_view::npos ? std::nullopt : unquote(trim(pair.substr(eq + 1)));
        if (!value) {
          valid = false;
          continue;
        }
        auto name = ascii_lower(trim(pair.substr(0, eq)));
        if (name == "for") hop.address = hop_address(*value);
        if (name == "proto") hop.scheme = scheme_of(*value);
        if (name == "host") hop.host = *value;
      }
      if (!valid) hop.address.reset();
      out.push_back(std::move(hop));
    }
    return out;
  }
  auto items = list_items(f.x_forwarded_for);
  auto protos = list_items(f.x_forwarded_proto);
  auto hosts = list_items(f.x_forwarded_host);
  auto at = [&](const std::vector<std::string_view>& values, std::size_t i) {
    if (values.empty()) return std::string_view{};
    return values.size() == items.size() ? values[i] : values.back();
  };
  for (std::size_t i = 0; i < items.size(); ++i)
    out.push_back({hop_address(items[i]), scheme_of(at(protos, i)), std::string(at(hosts, i))});
  return out;
}

}  // namespace

std::optional<std::string> canonical_address(std::string_view text) {
  auto bytes = address_bytes(text);
  if (!bytes) return std::nullopt;
  char buf[INET6_ADDRSTRLEN] = {};
  if (is_mapped(*bytes))
    ::inet_ntop(AF_INET, bytes->data() + 12, buf, sizeof buf);
  else
    ::inet_ntop(AF_INET6, bytes->data(), buf, sizeof buf);
  return std::string(buf);
}

Result<TrustedProxies> TrustedProxies::parse(const std::vector<std::string>& networks,
                                             ForwardedHeader header) {
  TrustedProxies out;
  out.m_header = header;
  for (const auto& text : networks) {
    auto invalid = [&text] {
      return Error::make(ErrorKind::invalid_input, "TRUSTED_PROXY_INVALID",
                         fmt::format("--trusted-proxy '{}' is not an address or a network such as "
                                     "10.0.0.0/8 or fd00::/8",
                                     text));
    };
    std::string_view s = trim(text);
    auto slash = s.find('/');
    auto bytes = address_bytes(s.substr(0, slash));
    if (!bytes) return invalid();
    const bool v4 = is_mapped(*bytes);
    int bits = v4 ? 32 : 128;
    if (slash != std::string_view::npos) {
      auto digits = s.substr(slash + 1);
      auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), bits);
      if (ec != std::errc() || end != digits.data() + digits.size() || digits.empty() || bits < 0 ||
          bits > (v4 ? 32 : 128))
        return invalid();
    }
    Network n{*bytes, v4 ? bits + 96 : bits};
    // The host bits are cleared, so "10.1.2.3/8" means 10.0.0.0/8 as it would to ip(8).
    for (int i = n.prefix_bits; i < 128; ++i)
      n.bytes[static_cast<std::size_t>(i / 8)] &= static_cast<std::uint8_t>(~(0x80 >> (i % 8)));
    out.m_networks.push_back(n);
  }
  return out;
}

bool TrustedProxies::contains(std::string_view address) const {
  if (m_networks.empty()) return false;
  auto bytes = address_bytes(address);
  if (!bytes) return false;
  for (const auto& n : m_networks) {
    int full = n.prefix_bits / 8, rest = n.prefix_bits % 8;
    if (std::memcmp(bytes->data(), n.bytes.data(), static_cast<std::size_t>(full)) != 0) continue;
    if (rest == 0) return true;
    auto mask = static_cast<std::uint8_t>(0xff << (8 - rest));
    if (((*bytes)[static_cast<std::size_t>(full)] & mask) ==
        n.bytes[static_cast<std::size_t>(full)])
      return true;
  }
  return false;
}

ClientOrigin resolve_origin(std::string_view peer, const ForwardingFields& fields,
                            const TrustedProxies& trusted) {
  ClientOrigin out;
  out.address = canonical_address(peer).value_or(std::string(peer));
  if (!trusted.contains(out.address)) return out;
  out.proxied = true;
  auto hops = hops_of(fields, trusted.header());
  if (hops.empty()) return out;
  // The element the peer wrote says how its sender came, until the walk finds a farther one.
  out.scheme = hops.back().scheme;
  out.host = hops.back().host;
  for (auto it = hops.rbegin(); it != hops.rend() && it->address; ++it) {
    out.address = *it->address;
    out.scheme = it->scheme;
    out.host = it->host;
    if (!trusted.contains(out.address)) break;
  }
  return out;
}

}  // namespace tt::http
