// core/text.h — ASCII text helpers for protocol parsing (header names and values, tokens):
// locale-free, as the protocols define them.
#pragma once

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

// Equal but for ASCII letter case.
inline bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (ascii_lower(a[i]) != ascii_lower(b[i])) return false;
  return true;
}

}  // namespace tt
