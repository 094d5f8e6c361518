#include "core/scan.h"

#include "core/utf8.h"

namespace tt::scan {

namespace {

std::optional<std::uint32_t> hex_digit(char c) {
  if (is_digit(c)) return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return std::nullopt;
}

// Go's escapes beyond the basic ones: e is the character after the backslash, s[j..] what
// follows it. Appends the character and returns how many of the following bytes it took; nullopt
// when e starts no such escape (unknown), -1 when it does but is malformed (bad).
std::optional<int> go_escape(std::string_view s, std::size_t j, char e, std::string& out) {
  switch (e) {
    case 'r':
      out += '\r';
      return 0;
    case 'a':
      out += '\a';
      return 0;
    case 'b':
      out += '\b';
      return 0;
    case 'f':
      out += '\f';
      return 0;
    case 'v':
      out += '\v';
      return 0;
    case 'x':
    case 'u':
    case 'U': {
      std::size_t n = e == 'x' ? 2 : e == 'u' ? 4 : 8;
      if (j + n > s.size()) return -1;
      std::uint32_t cp = 0;
      for (std::size_t k = 0; k < n; ++k) {
        auto h = hex_digit(s[j + k]);
        if (!h) return -1;
        cp = cp * 16 + *h;
      }
      if (e == 'x')
        out += static_cast<char>(cp);
      else if (cp > 0x10FFFF || (cp >= 0xD800 && cp < 0xE000))
        return -1;
      else
        append_utf8(out, cp);
      return static_cast<int>(n);
    }
    default:
      break;
  }
  if (e < '0' || e > '7') return std::nullopt;
  if (j + 2 > s.size()) return -1;
  auto v = static_cast<std::uint32_t>(e - '0');
  for (std::size_t k = 0; k < 2; ++k) {
    char o = s[j + k];
    if (o < '0' || o > '7') return -1;
    v = v * 8 + static_cast<std::uint32_t>(o - '0');
  }
  if (v > 255) return -1;
  out += static_cast<char>(v);
  return 2;
}

}  // namespace

std::size_t ident_end(std::string_view s, std::size_t i, std::string_view extra) {
  while (i < s.size() && is_ident_char(s[i], extra)) ++i;
  return i;
}

std::size_t skip_space(std::string_view s, std::size_t i) {
  while (i < s.size() && is_space(s[i])) ++i;
  return i;
}

std::size_t digits_end(std::string_view s, std::size_t i) {
  while (i < s.size() && is_digit(s[i])) ++i;
  return i;
}

std::size_t exponent_end(std::string_view s, std::size_t i) {
  if (i >= s.size() || (s[i] != 'e' && s[i] != 'E')) return i;
  std::size_t k = i + 1;
  if (k < s.size() && (s[k] == '+' || s[k] == '-')) ++k;
  return k < s.size() && is_digit(s[k]) ? digits_end(s, k) : i;
}

std::string_view to_string(QuotedString::Problem p) {
  switch (p) {
    case QuotedString::Problem::none:
      break;
    case QuotedString::Problem::unterminated:
      return "unterminated string";
    case QuotedString::Problem::unknown_escape:
      return "unknown escape sequence";
    case QuotedString::Problem::bad_escape:
      return "bad escape sequence";
  }
  return {};
}

QuotedString quoted_string(std::string_view s, std::size_t i, Escapes escapes, bool newline_ends) {
  QuotedString r;
  const char q = s[i];
  auto fail = [&](QuotedString::Problem p, std::size_t pos) {
    r.problem = p;
    r.problem_pos = pos;
    return r;
  };
  std::size_t j = i + 1;
  while (true) {
    if (j >= s.size()) return fail(QuotedString::Problem::unterminated, i);
    char c = s[j];
    if (c == q) break;
    if (q != '`' && newline_ends && c == '\n') return fail(QuotedString::Problem::unterminated, i);
    if (q == '`' || c != '\\') {
      r.text += c;
      ++j;
      continue;
    }
    if (j + 1 >= s.size()) return fail(QuotedString::Problem::unterminated, i);
    const std::size_t backslash = j;
    const char e = s[j + 1];
    j += 2;
    switch (e) {
      case 'n':
        r.text += '\n';
        continue;
      case 't':
        r.text += '\t';
        continue;
      case '\\':
        r.text += '\\';
        continue;
      case '"':
      case '\'':
        if (e != q) return fail(QuotedString::Problem::unknown_escape, backslash);
        r.text += e;
        continue;
      default:
        break;
    }
    if (escapes == Escapes::basic) return fail(QuotedString::Problem::unknown_escape, backslash);
    auto took = go_escape(s, j, e, r.text);
    if (!took) return fail(QuotedString::Problem::unknown_escape, backslash);
    if (*took < 0) return fail(QuotedString::Problem::bad_escape, backslash);
    j += static_cast<std::size_t>(*took);
  }
  r.end = j + 1;
  return r;
}

}  // namespace tt::scan
