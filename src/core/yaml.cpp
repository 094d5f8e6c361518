#include "core/yaml.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <optional>
#include <vector>

#include "core/json.h"
#include "core/text.h"
#include "core/utf8.h"

namespace tt {

namespace {

using json = nlohmann::json;

struct Line {
  std::size_t number = 0;  // from 1
  std::string_view raw;    // without its line break
  std::size_t start = 0;   // where the content starts; moved right past a sequence entry's "- "
  bool blank = true;       // only spaces, or a comment
};

bool is_space(char c) { return c == ' ' || c == '\t'; }

std::string_view trim_right(std::string_view s) {
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

// The content without a trailing comment: '#' after a space (or at the start), outside quotes.
// A quote opens a quoted scalar only where a scalar may start.
std::string_view strip_comment(std::string_view s) {
  char quote = 0;
  char previous = ' ';  // the last non-space character before the current one
  for (std::size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (quote) {
      if (quote == '\'' && c == '\'' && i + 1 < s.size() && s[i + 1] == '\'') {
        ++i;
      } else if (quote == '"' && c == '\\') {
        ++i;
      } else if (c == quote) {
        quote = 0;
      }
    } else if ((c == '"' || c == '\'') &&
               std::string_view(" :-[{,?").find(previous) != std::string_view::npos &&
               (i == 0 || is_space(s[i - 1]) ||
                std::string_view("[{,").find(s[i - 1]) != std::string_view::npos)) {
      quote = c;
    } else if (c == '#' && (i == 0 || is_space(s[i - 1]))) {
      return trim_right(s.substr(0, i));
    }
    if (!is_space(c)) previous = c;
  }
  return trim_right(s);
}

std::optional<std::uint32_t> hex_value(std::string_view digits) {
  std::uint32_t v = 0;
  const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), v, 16);
  if (digits.empty() || ec != std::errc() || end != digits.data() + digits.size())
    return std::nullopt;
  return v;
}

bool all_digits(std::string_view s, std::string_view allowed) {
  return !s.empty() && s.find_first_not_of(allowed) == std::string_view::npos;
}

// YAML 1.2's core schema for a plain scalar; nullopt for a number JSON cannot hold (.inf, .nan).
std::optional<json> resolve_plain(std::string_view s) {
  if (s.empty() || s == "~" || s == "null" || s == "Null" || s == "NULL") return json(nullptr);
  if (s == "true" || s == "True" || s == "TRUE") return json(true);
  if (s == "false" || s == "False" || s == "FALSE") return json(false);
  std::string_view body = s;
  const bool negative = !body.empty() && body[0] == '-';
  if (!body.empty() && (body[0] == '-' || body[0] == '+')) body.remove_prefix(1);
  if (body == ".inf" || body == ".Inf" || body == ".INF" || s == ".nan" || s == ".NaN" ||
      s == ".NAN")
    return std::nullopt;
  auto radix = [&](std::string_view digits, int base) -> std::optional<json> {
    std::uint64_t v = 0;
    const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), v, base);
    if (ec != std::errc() || end != digits.data() + digits.size()) return json(std::string(s));
    return json(v);
  };
  if (s.starts_with("0o") && all_digits(s.substr(2), "01234567")) return radix(s.substr(2), 8);
  if (s.starts_with("0x") && all_digits(s.substr(2), "0123456789abcdefABCDEF"))
    return radix(s.substr(2), 16);
  if (all_digits(body, "0123456789")) {
    std::int64_t i = 0;
    const std::string text(s[0] == '+' ? s.substr(1) : s);
    if (auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), i);
        ec == std::errc() && end == text.data() + text.size())
      return json(i);
    std::uint64_t u = 0;
    if (!negative)
      if (auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), u);
          ec == std::errc() && end == text.data() + text.size())
        return json(u);
    const double v = std::strtod(text.c_str(), nullptr);
    if (!std::isfinite(v)) return std::nullopt;
    return json(v);
  }
  // [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?
  std::size_t i = 0;
  const auto digits = [&] {
    const std::size_t from = i;
    while (i < body.size() && body[i] >= '0' && body[i] <= '9') ++i;
    return i - from;
  };
  const std::size_t whole = digits();
  std::size_t fraction = 0;
  if (i < body.size() && body[i] == '.') {
    ++i;
    fraction = digits();
  }
  if (whole == 0 && fraction == 0) return json(std::string(s));
  if (i < body.size() && (body[i] == 'e' || body[i] == 'E')) {
    ++i;
    if (i < body.size() && (body[i] == '-' || body[i] == '+')) ++i;
    if (digits() == 0) return json(std::string(s));
  }
  if (i != body.size()) return json(std::string(s));
  const double v = std::strtod(std::string(s).c_str(), nullptr);
  if (!std::isfinite(v)) return std::nullopt;
  return json(v);
}

class Parser {
 public:
  explicit Parser(std::string_view text) {
    std::size_t number = 1;
    while (!text.empty()) {
      const std::size_t eol = text.find('\n');
      std::string_view raw = text.substr(0, eol);
      if (!raw.empty() && raw.back() == '\r') raw.remove_suffix(1);
      Line line{number++, raw, 0, true};
      while (line.start < raw.size() && raw[line.start] == ' ') ++line.start;
      const std::string_view rest = strip_comment(raw.substr(line.start));
      line.blank = rest.find_first_not_of(" \t") == std::string_view::npos;
      m_lines.push_back(line);
      text.remove_prefix(eol == std::string_view::npos ? text.size() : eol + 1);
    }
  }

  Result<json> document() {
    skip_blank();
    if (m_at < m_lines.size() && content(m_lines[m_at]) == "---") {
      ++m_at;
      skip_blank();
    }
    json value = nullptr;
    if (m_at < m_lines.size() && !is_end_marker()) value = TT_TRY(block(0, -1));
    skip_blank();
    if (m_at < m_lines.size() && is_end_marker()) {
      if (content(m_lines[m_at]) == "---")
        return fail(m_lines[m_at], 0, "only one document is read");
      ++m_at;
      skip_blank();
    }
    if (m_at < m_lines.size())
      return fail(m_lines[m_at], m_lines[m_at].start, "content after the document's end");
    return value;
  }

 private:
  static std::string_view content(const Line& line) {
    return strip_comment(line.raw.substr(line.start));
  }

  bool is_end_marker() const {
    const Line& line = m_lines[m_at];
    const std::string_view c = content(line);
    return line.start == 0 && (c == "---" || c == "...");
  }

  void skip_blank() {
    while (m_at < m_lines.size() && m_lines[m_at].blank) ++m_at;
  }

  Error fail(const Line& line, std::size_t column, std::string_view what) const {
    return Error::make(ErrorKind::validation, "YAML_INVALID",
                       fmt::format("line {}, column {}: {}", line.number, column + 1, what));
  }

  static bool is_entry(std::string_view c) { return c == "-" || c.starts_with("- "); }

  // The column of the ':' that ends a key on this content, if it is a "key: value" line.
  std::optional<std::size_t> key_end(std::string_view c) const {
    if (c.empty() || c[0] == '[' || c[0] == '{') return std::nullopt;
    std::size_t from = 0;
    if (c[0] == '"' || c[0] == '\'') {
      auto end = quoted_end(c);
      if (!end) return std::nullopt;
      from = *end;
      while (from < c.size() && is_space(c[from])) ++from;
      if (from < c.size() && c[from] == ':' && (from + 1 == c.size() || is_space(c[from + 1])))
        return from;
      return std::nullopt;
    }
    for (std::size_t i = from; i < c.size(); ++i)
      if (c[i] == ':' && (i + 1 == c.size() || is_space(c[i + 1]))) return i;
    return std::nullopt;
  }

  // Where a quoted scalar starting at c[0] ends (one past its closing quote).
  static std::optional<std::size_t> quoted_end(std::string_view c) {
    const char quote = c[0];
    for (std::size_t i = 1; i < c.size(); ++i) {
      if (quote == '"' && c[i] == '\\') {
        ++i;
      } else if (c[i] == quote) {
        if (quote == '\'' && i + 1 < c.size() && c[i + 1] == '\'') {
          ++i;
          continue;
        }
        return i + 1;
      }
    }
    return std::nullopt;
  }

  // The node whose first line is the current one, at its content column; lines after it that
  // belong to nobody must not be indented past `parent` (the enclosing collection's column).
  Result<json> block(std::size_t depth, long parent) {
    if (depth > kMaxYamlDepth) return fail(m_lines[m_at], m_lines[m_at].start, "nested too deep");
    Line& line = m_lines[m_at];
    const std::string_view c = content(line);
    if (c[0] == '\t') return fail(line, line.start, "a tab in the indentation");
    if (is_entry(c)) return sequence(line.start, depth);
    if (c.starts_with("? ")) return fail(line, line.start, "complex keys are not supported");
    if (key_end(c)) return mapping(line.start, depth);
    json value = TT_TRY(scalar_or_flow(line, line.start, c, depth, parent));
    return value;
  }

  // A value that is all of its line (after "- " or "key: "), or a block scalar's header.
  Result<json> scalar_or_flow(Line& line, std::size_t column, std::string_view c, std::size_t depth,
                              long parent) {
    if (!c.empty() && (c[0] == '|' || c[0] == '>')) return block_scalar(line, column, c, parent);
    json value = TT_TRY(inline_value(line, column, c, depth));
    ++m_at;
    skip_blank();
    if (m_at < m_lines.size() && static_cast<long>(m_lines[m_at].start) > parent &&
        !is_end_marker())
      return fail(m_lines[m_at], m_lines[m_at].start,
                  "unexpected indentation (a value continued on the next line? quote it on one)");
    return value;
  }

  // The next line of a block at `indent`; null at the block's end (the document's, or a line
  // less indented). A line more indented, or indented with a tab, is an error.
  Result<Line*> line_at(std::size_t indent) {
    skip_blank();
    if (m_at >= m_lines.size() || is_end_marker()) return nullptr;
    Line& line = m_lines[m_at];
    if (line.start < indent) return nullptr;
    if (line.start > indent) return fail(line, line.start, "unexpected indentation");
    if (content(line)[0] == '\t') return fail(line, line.start, "a tab in the indentation");
    return &line;
  }

  Result<json> mapping(std::size_t indent, std::size_t depth) {
    json object = json::object();
    while (Line* at_indent = TT_TRY(line_at(indent))) {
      Line& line = *at_indent;
      const std::string_view c = content(line);
      if (is_entry(c)) return fail(line, line.start, "a sequence entry among a mapping's keys");
      auto colon = key_end(c);
      if (!colon) return fail(line, line.start, "expected \"key: value\"");
      std::string key;
      std::string_view key_text = trim_right(c.substr(0, *colon));
      if (key_text.empty()) return fail(line, line.start, "an empty key");
      if (key_text[0] == '"' || key_text[0] == '\'') {
        json k = TT_TRY(quoted(line, line.start, key_text));
        key = k.get<std::string>();
      } else {
        if (key_text[0] == '&' || key_text[0] == '*' || key_text[0] == '!')
          return fail(line, line.start, "anchors, aliases and tags are not supported");
        key = std::string(key_text);
      }
      if (object.contains(key))
        return fail(line, line.start, fmt::format("the key \"{}\" appears twice", key));
      std::size_t at = *colon + 1;
      while (at < c.size() && is_space(c[at])) ++at;
      const std::string_view rest = c.substr(at);
      if (!rest.empty()) {
        object[key] = TT_TRY(
            scalar_or_flow(line, line.start + at, rest, depth + 1, static_cast<long>(indent)));
        continue;
      }
      ++m_at;
      skip_blank();
      if (m_at < m_lines.size() && !is_end_marker() && m_lines[m_at].start > indent) {
        object[key] = TT_TRY(block(depth + 1, static_cast<long>(indent)));
      } else if (m_at < m_lines.size() && !is_end_marker() && m_lines[m_at].start == indent &&
                 is_entry(content(m_lines[m_at]))) {
        object[key] =
            TT_TRY(sequence(indent, depth + 1));  // "key:\n- a": entries at the key's column
      } else {
        object[key] = nullptr;
      }
    }
    return object;
  }

  Result<json> sequence(std::size_t indent, std::size_t depth) {
    json array = json::array();
    while (Line* at_indent = TT_TRY(line_at(indent))) {
      Line& line = *at_indent;
      const std::string_view c = content(line);
      if (!is_entry(c)) break;  // the mapping whose key held this sequence goes on
      std::size_t at = 1;
      while (at < c.size() && c[at] == ' ') ++at;
      if (at == c.size()) {
        ++m_at;
        skip_blank();
        if (m_at < m_lines.size() && !is_end_marker() && m_lines[m_at].start > indent)
          array.push_back(TT_TRY(block(depth + 1, static_cast<long>(indent))));
        else
          array.push_back(nullptr);
        continue;
      }
      line.start += at;  // the entry's node starts here, and lines at this column continue it
      array.push_back(TT_TRY(block(depth + 1, static_cast<long>(indent))));
    }
    return array;
  }

  Result<json> block_scalar(Line& line, std::size_t column, std::string_view header, long parent) {
    const bool folded = header[0] == '>';
    char chomp = 0;
    std::size_t explicit_indent = 0;
    for (char ch : header.substr(1)) {
      if ((ch == '-' || ch == '+') && !chomp) {
        chomp = ch;
      } else if (ch >= '1' && ch <= '9' && !explicit_indent) {
        explicit_indent = static_cast<std::size_t>(ch - '0');
      } else {
        return fail(line, column, "a block scalar's header is | or > with - or + and a digit");
      }
    }
    ++m_at;
    const std::size_t base = parent < 0 ? 0 : static_cast<std::size_t>(parent) + 1;
    std::size_t indent = explicit_indent ? (parent < 0 ? 0 : parent) + explicit_indent : 0;
    std::vector<std::string_view> lines;
    for (; m_at < m_lines.size(); ++m_at) {
      const Line& l = m_lines[m_at];
      const bool empty = l.raw.find_first_not_of(' ') == std::string_view::npos;
      if (empty) {
        lines.emplace_back();
        continue;
      }
      if (l.start < base) break;
      if (!indent) indent = l.start;
      if (l.start < indent) {
        return fail(l, l.start, "a block scalar's line indented less than its first");
      }
      lines.push_back(l.raw.substr(indent));
    }
    std::size_t trailing = 0;
    while (!lines.empty() && lines.back().empty()) {
      lines.pop_back();
      ++trailing;
    }
    // The blank lines that were not the scalar's stay for the structure to skip.
    std::string out;
    if (!folded) {
      for (std::size_t i = 0; i < lines.size(); ++i) {
        if (i) out += '\n';
        out += lines[i];
      }
    } else {
      bool previous_text = false;
      std::size_t breaks = 0;
      bool first = true;
      for (std::string_view l : lines) {
        if (l.empty()) {
          ++breaks;
          continue;
        }
        const bool more = l[0] == ' ' || l[0] == '\t';
        if (first)
          out.append(breaks, '\n');
        else if (previous_text && !more && breaks == 0)
          out += ' ';
        else if (previous_text && !more)
          out.append(breaks, '\n');
        else
          out.append(breaks + 1, '\n');
        out += l;
        previous_text = !more;
        breaks = 0;
        first = false;
      }
    }
    if (chomp != '-' && !lines.empty()) out += '\n';
    if (chomp == '+') out.append(trailing, '\n');
    return json(std::move(out));
  }

  Result<json> inline_value(const Line& line, std::size_t column, std::string_view c,
                            std::size_t depth) {
    if (c[0] == '[' || c[0] == '{') {
      std::size_t at = 0;
      json value = TT_TRY(flow(line, column, c, at, depth));
      while (at < c.size() && is_space(c[at])) ++at;
      if (at != c.size()) return fail(line, column + at, "content after a flow collection");
      return value;
    }
    if (c[0] == '"' || c[0] == '\'') {
      auto end = quoted_end(c);
      if (!end) return fail(line, column, "a quoted string must end on its line");
      if (*end != c.size()) return fail(line, column + *end, "content after a quoted string");
      return quoted(line, column, c);
    }
    return plain(line, column, c);
  }

  Result<json> plain(const Line& line, std::size_t column, std::string_view c) {
    const char first = c[0];
    if (first == '&' || first == '*' || first == '!')
      return fail(line, column, "anchors, aliases and tags are not supported");
    if (std::string_view("%@`,]}|>").find(first) != std::string_view::npos)
      return fail(line, column,
                  fmt::format("a plain value may not start with '{}': quote it", first));
    if (const std::size_t colon = c.find(": "); colon != std::string_view::npos)
      return fail(line, column + colon, "\": \" inside a plain value: quote it");
    auto value = resolve_plain(c);
    if (!value) return fail(line, column, "a number JSON cannot hold (infinite, NaN or too large)");
    return std::move(*value);
  }

  Result<json> quoted(const Line& line, std::size_t column, std::string_view c) {
    const char quote = c[0];
    const std::string_view body = c.substr(1, c.size() - 2);
    std::string out;
    for (std::size_t i = 0; i < body.size(); ++i) {
      const char ch = body[i];
      if (quote == '\'') {
        out += ch;
        if (ch == '\'') ++i;  // '' is one quote
        continue;
      }
      if (ch != '\\') {
        out += ch;
        continue;
      }
      if (++i >= body.size()) return fail(line, column + i, "an escape at the string's end");
      std::size_t hex = 0;
      switch (body[i]) {
        case '0':
          out += '\0';
          break;
        case 'a':
          out += '\a';
          break;
        case 'b':
          out += '\b';
          break;
        case 't':
        case '\t':
          out += '\t';
          break;
        case 'n':
          out += '\n';
          break;
        case 'v':
          out += '\v';
          break;
        case 'f':
          out += '\f';
          break;
        case 'r':
          out += '\r';
          break;
        case 'e':
          out += '\x1b';
          break;
        case ' ':
          out += ' ';
          break;
        case '"':
          out += '"';
          break;
        case '/':
          out += '/';
          break;
        case '\\':
          out += '\\';
          break;
        case 'N':
          append_utf8(out, 0x85);
          break;
        case '_':
          append_utf8(out, 0xA0);
          break;
        case 'L':
          append_utf8(out, 0x2028);
          break;
        case 'P':
          append_utf8(out, 0x2029);
          break;
        case 'x':
          hex = 2;
          break;
        case 'u':
          hex = 4;
          break;
        case 'U':
          hex = 8;
          break;
        default:
          return fail(line, column + i, fmt::format("an unknown escape \\{}", body[i]));
      }
      if (!hex) continue;
      const std::string_view digits = body.substr(i + 1, hex);
      auto cp = digits.size() == hex ? hex_value(digits) : std::nullopt;
      if (!cp) return fail(line, column + i, "an escape without its hex digits");
      i += hex;
      if (*cp >= 0xD800 && *cp <= 0xDBFF && hex == 4 && body.substr(i + 1, 2) == "\\u") {
        auto low = hex_value(body.substr(i + 3, 4));
        if (low && *low >= 0xDC00 && *low <= 0xDFFF && body.substr(i + 3, 4).size() == 4) {
          *cp = 0x10000 + ((*cp - 0xD800) << 10) + (*low - 0xDC00);
          i += 6;
        }
      }
      if ((*cp >= 0xD800 && *cp <= 0xDFFF) || *cp > 0x10FFFF)
        return fail(line, column + i, "an escape that is no Unicode scalar value");
      append_utf8(out, *cp);
    }
    return json(std::move(out));
  }

  // A flow collection or scalar inside one, from c[at]; `at` ends past it.
  Result<json> flow(const Line& line, std::size_t column, std::string_view c, std::size_t& at,
                    std::size_t depth) {
    if (depth > kMaxYamlDepth) return fail(line, column + at, "nested too deep");
    auto skip = [&] {
      while (at < c.size() && is_space(c[at])) ++at;
    };
    skip();
    if (at >= c.size()) return fail(line, column + at, "a flow collection must end on its line");
    const char open = c[at];
    if (open == '[' || open == '{') {
      const char close = open == '[' ? ']' : '}';
      json value = open == '[' ? json::array() : json::object();
      ++at;
      for (;;) {
        skip();
        if (at >= c.size())
          return fail(line, column + at, "a flow collection must end on its line");
        if (c[at] == close) {
          ++at;
          return value;
        }
        json item = TT_TRY(flow(line, column, c, at, depth + 1));
        skip();
        if (open == '{') {
          if (item.is_structured())
            return fail(line, column + at, "a flow mapping's key must be a scalar");
          const std::string key = item.is_string() ? item.get<std::string>() : item.dump();
          if (value.contains(key))
            return fail(line, column + at, fmt::format("the key \"{}\" appears twice", key));
          json v = nullptr;
          if (at < c.size() && c[at] == ':') {
            ++at;
            skip();
            if (at < c.size() && c[at] != ',' && c[at] != '}')
              v = TT_TRY(flow(line, column, c, at, depth + 1));
            skip();
          }
          value[key] = std::move(v);
        } else {
          value.push_back(std::move(item));
        }
        if (at < c.size() && c[at] == ',') {
          ++at;
        } else if (at >= c.size()) {
          return fail(line, column + at, "a flow collection must end on its line");
        } else if (c[at] != close) {
          return fail(line, column + at, fmt::format("expected ',' or '{}'", close));
        }
      }
    }
    if (open == '"' || open == '\'') {
      auto end = quoted_end(c.substr(at));
      if (!end) return fail(line, column + at, "a quoted string must end on its line");
      json value = TT_TRY(quoted(line, column + at, c.substr(at, *end)));
      at += *end;
      return value;
    }
    std::size_t end = at;
    while (end < c.size() && c[end] != ',' && c[end] != ']' && c[end] != '}' &&
           !(c[end] == ':' && (end + 1 == c.size() || std::string_view(" ,]}").find(c[end + 1]) !=
                                                          std::string_view::npos)))
      ++end;
    const std::string_view text = trim_right(c.substr(at, end - at));
    if (text.empty()) return fail(line, column + at, "an empty entry");
    json value = TT_TRY(plain(line, column + at, text));
    at = end;
    return value;
  }

  std::vector<Line> m_lines;
  std::size_t m_at = 0;
};

// Whether YAML 1.1, which many tools still read with, would take `s` for something else than a
// string: its booleans, timestamps and base-60 numbers. Such strings are written quoted, so
// every reader sees a string.
bool yaml11_special(std::string_view s) {
  static const std::vector<std::string_view> words = {"y",  "Y",   "yes", "Yes", "YES", "n",
                                                      "N",  "no",  "No",  "NO",  "on",  "On",
                                                      "ON", "off", "Off", "OFF"};
  if (std::find(words.begin(), words.end(), s) != words.end()) return true;
  const auto digit = [](char c) { return c >= '0' && c <= '9'; };
  if (s.size() >= 8 && digit(s[0]) && digit(s[1]) && digit(s[2]) && digit(s[3]) && s[4] == '-' &&
      digit(s[5]))
    return true;  // 2026-12-06, 2026-12-06T18:30:55Z
  std::string_view body = s;
  if (!body.empty() && (body[0] == '-' || body[0] == '+')) body.remove_prefix(1);
  return !body.empty() && digit(body[0]) && body.find(':') != std::string_view::npos &&
         body.find_first_not_of("0123456789_:.") == std::string_view::npos;  // 1:30, 190:20:30
}

// Whether the plain form of `s` reads back as the same string.
bool plain_safe(std::string_view s) {
  if (yaml11_special(s)) return false;
  if (s.empty() || s == "..." || s.starts_with("\xEF\xBB\xBF") || is_space(s.front()) ||
      is_space(s.back()))
    return false;
  if (std::string_view("-?:,[]{}#&*!|>'\"%@`~").find(s.front()) != std::string_view::npos)
    return false;
  for (char c : s)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7F) return false;
  if (s.find(": ") != std::string_view::npos || s.find(" #") != std::string_view::npos ||
      s.back() == ':')
    return false;
  auto resolved = resolve_plain(s);
  return resolved && resolved->is_string();
}

std::string scalar_text(const json& v) {
  if (v.is_string()) {
    const auto& s = v.get_ref<const std::string&>();
    return plain_safe(s) ? s : v.dump(-1, ' ', false, json::error_handler_t::replace);
  }
  if (v.is_number_float() && !std::isfinite(v.get<double>())) return "null";
  return v.dump();
}

// A multi-line string as a | block: lines of printable text, the first not starting with a
// space (the block's indentation is read from it).
bool literal_block(const std::string& s) {
  if (s.find('\n') == std::string::npos || s.front() == ' ' || s.front() == '\n') return false;
  for (char c : s)
    if ((static_cast<unsigned char>(c) < 0x20 && c != '\n') || c == 0x7F) return false;
  for (std::size_t from = 0; from <= s.size();) {
    const std::size_t eol = std::min(s.find('\n', from), s.size());
    const std::string_view l(s.data() + from, eol - from);
    if (!l.empty() && l.find_first_not_of(' ') == std::string_view::npos)
      return false;  // a line of spaces would read back empty
    from = eol + 1;
  }
  return true;
}

void emit(const json& v, std::size_t indent, std::string& out);

// The value after "key:" or "-": on the same line, or below it.
void emit_after(const json& v, std::size_t indent, std::string& out) {
  if (v.is_object() && !v.empty()) {
    out += '\n';
    emit(v, indent + 2, out);
  } else if (v.is_array() && !v.empty()) {
    out += '\n';
    emit(v, indent + 2, out);
  } else if (v.is_string() && literal_block(v.get_ref<const std::string&>())) {
    const auto& s = v.get_ref<const std::string&>();
    std::size_t trailing = 0;
    while (trailing < s.size() && s[s.size() - 1 - trailing] == '\n') ++trailing;
    out += trailing == 0 ? " |-\n" : trailing == 1 ? " |\n" : " |+\n";
    const std::string_view body(s.data(), s.size() - trailing);
    std::size_t from = 0;
    for (;;) {
      const std::size_t eol = body.find('\n', from);
      const std::string_view l =
          body.substr(from, eol == std::string_view::npos ? body.size() - from : eol - from);
      if (!l.empty()) out.append(indent + 2, ' ').append(l);
      out += '\n';
      if (eol == std::string_view::npos) break;
      from = eol + 1;
    }
    if (trailing > 1) out.append(trailing - 1, '\n');
  } else {
    out += ' ';
    out += v.is_object() ? "{}" : v.is_array() ? "[]" : scalar_text(v);
    out += '\n';
  }
}

void emit(const json& v, std::size_t indent, std::string& out) {
  if (v.is_object()) {
    for (const auto& [key, value] : v.items()) {
      out.append(indent, ' ');
      out += scalar_text(json(key));
      out += ':';
      emit_after(value, indent, out);
    }
  } else if (v.is_array()) {
    for (const auto& item : v) {
      if ((item.is_object() || item.is_array()) && !item.empty()) {
        std::string nested;
        emit(item, indent + 2, nested);
        out.append(indent, ' ');
        out += "- ";
        out += nested.substr(indent + 2);  // the first line after the dash
      } else {
        out.append(indent, ' ');
        out += '-';
        emit_after(item, indent, out);
      }
    }
  } else {
    out.append(indent, ' ');
    out += scalar_text(v);
    out += '\n';
  }
}

}  // namespace

Result<json> parse_yaml(std::string_view text) {
  if (text.size() > kMaxYamlBytes)
    return Error::make(ErrorKind::validation, "YAML_INVALID",
                       fmt::format("larger than {} MiB", kMaxYamlBytes >> 20));
  if (text.starts_with("\xEF\xBB\xBF")) text.remove_prefix(3);
  if (const std::size_t valid = valid_utf8_prefix(text); valid != text.size()) {
    const std::size_t line =
        1 + static_cast<std::size_t>(std::count(text.begin(), text.begin() + valid, '\n'));
    return Error::make(ErrorKind::validation, "YAML_INVALID",
                       fmt::format("line {}: not UTF-8", line));
  }
  return Parser(text).document();
}

Result<json> parse_json_or_yaml(std::string_view text) {
  const std::string_view start = trim(text, " \t\r\n");
  if (!start.empty() && (start[0] == '{' || start[0] == '[')) return parse_json(text);
  return parse_yaml(text);
}

std::string to_yaml(const json& value) {
  std::string out;
  if ((value.is_object() || value.is_array()) && value.empty())
    return value.is_object() ? "{}\n" : "[]\n";
  if (value.is_string() && literal_block(value.get_ref<const std::string&>())) {
    emit_after(value, 0, out);
    return out.substr(1);  // no key before the block's header
  }
  emit(value, 0, out);
  return out;
}

}  // namespace tt
