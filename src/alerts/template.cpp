#include "alerts/template.h"

#include <fmt/format.h>

#include <charconv>
#include <cmath>
#include <sstream>

namespace tt::alerts {

namespace {

// The decimal digits of |v| (no trailing zeros) and the position of the decimal point, as Go's
// strconv holds them: v = 0.d1d2d3... * 10^dp. `precision` < 0: the shortest exact digits.
struct Digits {
  std::string d;
  int dp = 0;
};

Digits digits_of(double v, int precision) {
  char buf[64];
  auto r = precision < 0
               ? std::to_chars(buf, buf + sizeof buf, std::fabs(v), std::chars_format::scientific)
               : std::to_chars(buf, buf + sizeof buf, std::fabs(v), std::chars_format::scientific,
                               std::max(precision - 1, 0));
  std::string s(buf, r.ptr);
  auto e = s.find('e');
  Digits out;
  for (std::size_t i = 0; i < e; ++i)
    if (s[i] != '.') out.d += s[i];
  out.dp = std::stoi(s.substr(e + 1)) + 1;
  while (out.d.size() > 1 && out.d.back() == '0') out.d.pop_back();
  return out;
}

// strconv.FormatFloat(v, 'g', precision, 64) for finite non-zero v.
std::string format_g(double v, int precision) {
  bool shortest = precision < 0;
  if (precision == 0) precision = 1;
  Digits digs = digits_of(v, precision);
  int nd = static_cast<int>(digs.d.size());
  int prec = shortest ? nd : precision;
  int eprec = prec;
  if (eprec > nd && nd >= digs.dp) eprec = nd;
  if (shortest) eprec = 6;
  int exp = digs.dp - 1;
  std::string out = v < 0 ? "-" : "";
  auto digit = [&](int i) { return i >= 0 && i < nd ? digs.d[static_cast<std::size_t>(i)] : '0'; };
  if (exp < -4 || exp >= eprec) {
    if (prec > nd) prec = nd;
    out += digit(0);
    if (prec > 1) {
      out += '.';
      for (int i = 1; i < prec; ++i) out += digit(i);
    }
    out += exp < 0 ? "e-" : "e+";
    int a = std::abs(exp);
    if (a < 10) out += '0';
    out += std::to_string(a);
    return out;
  }
  if (prec > digs.dp) prec = nd;
  int decimals = std::max(prec - digs.dp, 0);
  if (digs.dp > 0)
    for (int i = 0; i < digs.dp; ++i) out += digit(i);
  else
    out += '0';
  if (decimals > 0) {
    out += '.';
    for (int i = 0; i < decimals; ++i) out += digit(digs.dp + i);
  }
  return out;
}

// fmt's %v / %.Ng of a float64: non-finite values and zero first.
std::string go_format(double v, int precision) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  if (v == 0) return std::signbit(v) ? "-0" : "0";
  return format_g(v, precision);
}

bool is_value_ref(const std::string& w) { return w == "$value" || w == ".Value"; }

bool label_ref(const std::string& w, std::string& name) {
  for (std::string_view prefix : {"$labels.", ".Labels."}) {
    if (w.size() > prefix.size() && w.compare(0, prefix.size(), prefix) == 0) {
      name = w.substr(prefix.size());
      return valid_label_name(name);
    }
  }
  return false;
}

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

Error template_error(std::size_t pos, const std::string& what) {
  return Error::make(ErrorKind::validation, "TEMPLATE_INVALID",
                     fmt::format("at position {}: {}", pos, what));
}

}  // namespace

std::string go_float(double v) { return go_format(v, -1); }

std::string humanize(double v) {
  if (v == 0 || std::isnan(v) || std::isinf(v)) return go_format(v, 4);
  const char* prefix = "";
  if (std::fabs(v) >= 1) {
    for (const char* p : {"k", "M", "G", "T", "P", "E", "Z", "Y"}) {
      if (std::fabs(v) < 1000) break;
      prefix = p;
      v /= 1000;
    }
  } else {
    for (const char* p : {"m", "u", "n", "p", "f", "a", "z", "y"}) {
      if (std::fabs(v) >= 1) break;
      prefix = p;
      v *= 1000;
    }
  }
  return go_format(v, 4) + prefix;
}

Result<Template> Template::parse(std::string_view text) {
  Template t;
  t.m_text = std::string(text);
  bool trim_next = false;
  std::size_t at = 0;
  while (at <= text.size()) {
    auto open = text.find("{{", at);
    std::string literal(
        text.substr(at, open == std::string_view::npos ? std::string_view::npos : open - at));
    if (trim_next) literal.erase(0, std::min(literal.size(), literal.find_first_not_of(" \t\r\n")));
    if (open == std::string_view::npos) {
      if (!literal.empty()) t.m_pieces.push_back({Part::literal, std::move(literal)});
      break;
    }
    auto close = text.find("}}", open + 2);
    if (close == std::string_view::npos)
      return template_error(open, "unclosed action: '{{' without '}}'");
    std::string_view action = text.substr(open + 2, close - open - 2);
    // `{{- ` trims the whitespace before the action, ` -}}` the whitespace after it.
    if (action.size() >= 2 && action[0] == '-' && is_space(action[1])) {
      while (!literal.empty() && is_space(literal.back())) literal.pop_back();
      action.remove_prefix(2);
    }
    trim_next = action.size() >= 2 && action.back() == '-' && is_space(action[action.size() - 2]);
    if (trim_next) action.remove_suffix(2);
    if (!literal.empty()) t.m_pieces.push_back({Part::literal, std::move(literal)});

    std::vector<std::string> words;
    std::istringstream in{std::string(action)};
    for (std::string w; in >> w;) words.push_back(w);
    Piece piece;
    std::string name;
    if (words.size() == 1 && is_value_ref(words[0])) {
      piece.part = Part::value;
    } else if (words.size() == 1 && label_ref(words[0], name)) {
      piece = {Part::label, name};
    } else if ((words.size() == 2 && words[0] == "humanize" && is_value_ref(words[1])) ||
               (words.size() == 3 && is_value_ref(words[0]) && words[1] == "|" &&
                words[2] == "humanize")) {
      piece.part = Part::humanized_value;
    } else {
      return template_error(
          open, fmt::format("unsupported action '{{{{{}}}}}': use {{{{ $labels.NAME }}}}, "
                            "{{{{ $value }}}} or {{{{ humanize $value }}}}",
                            std::string(action)));
    }
    t.m_pieces.push_back(std::move(piece));
    at = close + 2;
  }
  return t;
}

std::string Template::expand(const LabelSet& labels, double value) const {
  std::string out;
  for (const auto& p : m_pieces) {
    switch (p.part) {
      case Part::literal:
        out += p.text;
        break;
      case Part::value:
        out += go_float(value);
        break;
      case Part::humanized_value:
        out += humanize(value);
        break;
      case Part::label:
        for (const auto& l : labels)
          if (l.name == p.text) out += l.value;
        break;
    }
  }
  return out;
}

}  // namespace tt::alerts
