#include "core/text.h"

#include <algorithm>

namespace tt {

std::optional<std::string> url_problem(std::string_view url,
                                       std::initializer_list<std::string_view> schemes) {
  auto opens_with = [url](std::string_view scheme) {
    return url.substr(0, scheme.size()) == scheme && url.substr(scheme.size(), 3) == "://";
  };
  if (std::none_of(schemes.begin(), schemes.end(), opens_with)) {
    std::string list;
    for (auto s : schemes) list += (list.empty() ? "" : " or ") + std::string(s) + "://";
    return "must be a URL starting with " + list;
  }
  for (char c : url)
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f)
      return "must not contain spaces or control characters";
  auto host = url.find("://") + 3;
  if (host >= url.size() || url[host] == '/') return "needs a host";
  return std::nullopt;
}

std::string percent_encode(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
        c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

}  // namespace tt
