// core/text.h — ASCII text helpers for protocols (header names and values, tokens, URLs):
// locale-free, as the protocols define them.
#pragma once

#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

namespace tt {

// `s` without the given characters at either end (spaces and tabs by default).
inline std::string_view trim(std::string_view s, std::string_view chars = " \t") {
  auto first = s.find_first_not_of(chars);
  if (first == std::string_view::npos) return {};
  return s.substr(first, s.find_last_not_of(chars) - first + 1);
}

inline char ascii_lower(char c) {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}
inline std::string ascii_lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = ascii_lower(c);
  return out;
}

// Equal but for ASCII letter case.
inline bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (ascii_lower(a[i]) != ascii_lower(b[i])) return false;
  return true;
}

// A CR or LF in a header name or value would start a header (or a request) of its own.
inline bool has_crlf(std::string_view s) {
  return s.find_first_of("\r\n") != std::string_view::npos;
}

// Whether `name: value` may be sent as a request header: a name, without ':', spaces or line
// breaks, and a value without line breaks.
inline bool valid_header(std::string_view name, std::string_view value) {
  return !name.empty() && name.find_first_of(": \r\n") == std::string_view::npos &&
         !has_crlf(value);
}

// Why `url` is not a URL of one of `schemes` ("http", "https") with a host, as a field error's
// message ("needs a host"), or nullopt when it is one. Spaces and control characters are refused.
std::optional<std::string> url_problem(std::string_view url,
                                       std::initializer_list<std::string_view> schemes);

// RFC 3986's percent-encoding of everything but its unreserved characters, for a query
// parameter or a path segment.
std::string percent_encode(std::string_view s);

}  // namespace tt
