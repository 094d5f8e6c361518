#include "snmp/address.h"

#include <algorithm>
#include <cctype>
#include <charconv>

namespace tt::snmp {

namespace {

constexpr std::size_t kMaxHostLen = 253;

bool valid_host(std::string_view h) {
  if (h.empty() || h.size() > kMaxHostLen) return false;
  for (unsigned char c : h)
    if (!(std::isalnum(c) || c == '.' || c == '-' || c == '_' || c == ':' || c == '%'))
      return false;
  return true;
}

}  // namespace

bool split_address(std::string_view a, std::string& host, std::uint16_t& port) {
  std::string_view port_text;
  if (!a.empty() && a.front() == '[') {
    auto close = a.find(']');
    if (close == std::string_view::npos) return false;
    host = a.substr(1, close - 1);
    auto rest = a.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') return false;
      port_text = rest.substr(1);
      if (port_text.empty()) return false;
    }
  } else if (std::count(a.begin(), a.end(), ':') >= 2) {
    host = a;
  } else if (auto colon = a.find(':'); colon != std::string_view::npos) {
    host = a.substr(0, colon);
    port_text = a.substr(colon + 1);
    if (port_text.empty()) return false;
  } else {
    host = a;
  }
  if (!port_text.empty()) {
    unsigned v = 0;
    auto [p, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), v);
    if (ec != std::errc() || p != port_text.data() + port_text.size() || v < 1 || v > 65535)
      return false;
    port = static_cast<std::uint16_t>(v);
  }
  return valid_host(host);
}

}  // namespace tt::snmp
