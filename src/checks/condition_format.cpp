// Formatting of values, operators and paths for condition errors and verdict details.
#include <cctype>
#include <charconv>
#include <cmath>
#include <iterator>

#include "checks/condition_ast.h"

namespace tt::checks {

namespace {

// One row per operator, in the order of Op.
struct OpInfo {
  Op op;
  std::string_view text;
  Op negated;   // holds exactly when `op` does not
  Op mirrored;  // `a op b` said as `b mirrored a`, so details can name the fact first
};

constexpr OpInfo kOps[] = {
    {Op::eq, "==", Op::ne, Op::eq},
    {Op::ne, "!=", Op::eq, Op::ne},
    {Op::lt, "<", Op::ge, Op::gt},
    {Op::le, "<=", Op::gt, Op::ge},
    {Op::gt, ">", Op::le, Op::lt},
    {Op::ge, ">=", Op::lt, Op::le},
    {Op::contains, "contains", Op::not_contains, Op::contains},
    {Op::not_contains, "not contains", Op::contains, Op::not_contains},
    {Op::starts, "startswith", Op::not_starts, Op::starts},
    {Op::not_starts, "not startswith", Op::starts, Op::not_starts},
    {Op::ends, "endswith", Op::not_ends, Op::ends},
    {Op::not_ends, "not endswith", Op::ends, Op::not_ends},
};

constexpr bool rows_in_op_order() {
  for (std::size_t i = 0; i < std::size(kOps); ++i)
    if (kOps[i].op != static_cast<Op>(i)) return false;
  return std::size(kOps) == static_cast<std::size_t>(Op::not_ends) + 1;
}
static_assert(rows_in_op_order());

const OpInfo& info(Op op) { return kOps[static_cast<std::size_t>(op)]; }

}  // namespace

std::string_view op_text(Op op) { return info(op).text; }
Op negated(Op op) { return info(op).negated; }
Op mirrored(Op op) { return info(op).mirrored; }
bool is_string_op(Op op) { return op >= Op::contains; }
bool is_order_op(Op op) { return op >= Op::lt && op <= Op::ge; }

std::string_view type_name(ValueType t) {
  // In the order of ValueType.
  static constexpr std::string_view kNames[] = {"a number", "a duration", "a ratio",
                                                "a string", "a boolean",  "a JSON value"};
  static_assert(std::size(kNames) == static_cast<std::size_t>(ValueType::dynamic) + 1);
  return kNames[static_cast<std::size_t>(t)];
}

std::string format_number(double v) {
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  return r.ec == std::errc() ? std::string(buf, r.ptr) : std::string("?");
}

namespace {

// Rounded to `decimals` places without trailing zeros: 412, 1.2, 12.5.
std::string format_rounded(double v, int decimals) {
  double scale = std::pow(10.0, decimals);
  double r = std::round(v * scale) / scale;
  if (!std::isfinite(r)) return format_number(v);
  return format_number(r);
}

std::string format_duration(double seconds) {
  double a = std::fabs(seconds);
  if (!std::isfinite(a)) return format_number(seconds) + "s";
  if (a < 1) return format_rounded(seconds * 1000, a < 0.01 ? 2 : 0) + "ms";
  if (a < 120) return format_rounded(seconds, 2) + "s";
  if (a < 7200) return format_rounded(seconds / 60, 1) + "m";
  if (a < 172800) return format_rounded(seconds / 3600, 1) + "h";
  return format_rounded(seconds / 86400, 1) + "d";
}

std::string format_ratio(double r) { return format_rounded(r * 100, 1) + "%"; }

}  // namespace

// Quoted, escaped, and cut to 80 bytes on a UTF-8 boundary.
std::string quote(std::string_view s) {
  constexpr std::size_t kMax = 80;
  bool cut = s.size() > kMax;
  if (cut) {
    std::size_t n = kMax;
    while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
    s = s.substr(0, n);
  }
  std::string out = "\"";
  for (char c : s) {
    auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\t') {
      out += "\\t";
    } else if (u < 0x20 || u == 0x7f) {
      static constexpr char kHex[] = "0123456789abcdef";
      out += "\\x";
      out += kHex[u >> 4];
      out += kHex[u & 15];
    } else {
      out += c;
    }
  }
  out += cut ? "\"…" : "\"";
  return out;
}

// A value as people read it; numbers in the unit of `as` (the operand's type, or its partner's
// when the operand is a JSON value).
std::string format_value(const json& v, ValueType as) {
  if (v.is_number()) {
    double d = v.get<double>();
    if (as == ValueType::duration) return format_duration(d);
    if (as == ValueType::ratio) return format_ratio(d);
    return format_number(d);
  }
  if (v.is_string()) return quote(v.get_ref<const std::string&>());
  if (v.is_boolean()) return v.get<bool>() ? "true" : "false";
  if (v.is_null()) return "null";
  if (v.is_array()) return "an array of " + std::to_string(v.size());
  if (v.is_object()) return "an object of " + std::to_string(v.size()) + " keys";
  return "?";
}

std::string format_path(const std::vector<PathStep>& path) {
  std::string out = "$";
  for (const auto& step : path) {
    if (const auto* key = std::get_if<std::string>(&step)) {
      bool plain = !key->empty();
      for (char c : *key)
        if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-')) plain = false;
      out += plain ? "." + *key : "[" + quote(*key) + "]";
    } else {
      out += "[" + std::to_string(std::get<std::size_t>(step)) + "]";
    }
  }
  return out;
}

std::string shorten(std::string_view s, std::size_t max_bytes) {
  if (s.size() <= max_bytes) return std::string(s);
  std::size_t n = max_bytes;
  while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
  return std::string(s.substr(0, n)) + "…";
}

}  // namespace tt::checks
