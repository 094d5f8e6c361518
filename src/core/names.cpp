#include "core/names.h"

namespace tt {

namespace {

// Decodes the UTF-8 sequence at s[i], advancing i; nullopt when it is not well formed
// (overlong forms and surrogates included).
std::optional<char32_t> next_code_point(std::string_view s, std::size_t& i) {
  auto byte = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
  unsigned char b = byte(i);
  if (b < 0x80) {
    ++i;
    return b;
  }
  int extra = b >= 0xC2 && b <= 0xDF   ? 1
              : b >= 0xE0 && b <= 0xEF ? 2
              : b >= 0xF0 && b <= 0xF4 ? 3
                                       : -1;
  if (extra < 0 || s.size() - i <= static_cast<std::size_t>(extra)) return std::nullopt;
  char32_t cp = b & (0x3F >> extra);
  for (int k = 1; k <= extra; ++k) {
    unsigned char c = byte(i + k);
    if ((c & 0xC0) != 0x80) return std::nullopt;
    cp = (cp << 6) | (c & 0x3F);
  }
  constexpr char32_t kMin[] = {0, 0x80, 0x800, 0x10000};
  if (cp < kMin[extra] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return std::nullopt;
  i += static_cast<std::size_t>(extra) + 1;
  return cp;
}

bool is_bidi_control(char32_t cp) {
  return cp == 0x061C || cp == 0x200E || cp == 0x200F || (cp >= 0x202A && cp <= 0x202E) ||
         (cp >= 0x2066 && cp <= 0x2069);
}

}  // namespace

std::optional<std::string> display_name_problem(std::string_view name) {
  for (std::size_t i = 0; i < name.size();) {
    auto cp = next_code_point(name, i);
    if (!cp) return "must be valid UTF-8";
    if (*cp < 0x20 || (*cp >= 0x7F && *cp <= 0x9F)) return "must not contain control characters";
    if (is_bidi_control(*cp))
      return "must not contain bidirectional control characters (U+061C, U+200E, U+200F, "
             "U+202A to U+202E, U+2066 to U+2069)";
  }
  return std::nullopt;
}

}  // namespace tt
