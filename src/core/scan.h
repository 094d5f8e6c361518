// core/scan.h — the character-level scanning that the PromQL lexer (query/parser.cpp) and the
// condition lexer (checks/conditions.cpp) share: character classes, digit runs, exponents,
// identifiers and quoted strings with escapes. Each function takes the text and a position and
// returns the position after what it read, so each lexer keeps its own tokens and messages;
// where the two languages differ (':' in PromQL names, Go's escapes), a parameter says which.
// Pure functions, ASCII only.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace tt::scan {

inline bool is_digit(char c) { return c >= '0' && c <= '9'; }
inline bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
inline bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

// Identifiers: a letter, '_' or one of `extra`, then those or digits.
inline bool is_ident_start(char c, std::string_view extra = {}) {
  return is_alpha(c) || c == '_' || extra.find(c) != std::string_view::npos;
}
inline bool is_ident_char(char c, std::string_view extra = {}) {
  return is_ident_start(c, extra) || is_digit(c);
}
// The end of the identifier characters from i (i itself when there are none).
std::size_t ident_end(std::string_view s, std::size_t i, std::string_view extra = {});

// The end of the whitespace from i.
std::size_t skip_space(std::string_view s, std::size_t i);
// The end of the digits from i.
std::size_t digits_end(std::string_view s, std::size_t i);
// The end of an exponent (e or E, an optional sign, digits) at i; i when there is none.
std::size_t exponent_end(std::string_view s, std::size_t i);

// Which backslash escapes a quoted string knows.
enum class Escapes {
  basic,  // \" (the string's own quote), \\, \n, \t
  go,     // Go's, as PromQL: also \a \b \f \r \v, \xHH, \uHHHH, \UHHHHHHHH, \OOO octal
};

struct QuotedString {
  enum class Problem { none, unterminated, unknown_escape, bad_escape };
  std::string text;     // decoded
  std::size_t end = 0;  // after the closing quote
  Problem problem = Problem::none;
  std::size_t problem_pos = 0;  // the opening quote (unterminated), else the escape's backslash
};

// "unterminated string", "unknown escape sequence", "bad escape sequence" (empty for none).
std::string_view to_string(QuotedString::Problem p);

// The quoted string whose opening quote is s[i]. A backtick string is raw (no escapes, may span
// lines); with `newline_ends` a line break inside another one leaves it unterminated.
QuotedString quoted_string(std::string_view s, std::size_t i, Escapes escapes, bool newline_ends);

}  // namespace tt::scan
