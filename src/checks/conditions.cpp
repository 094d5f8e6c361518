// Lexer and recursive-descent parser of check conditions; see conditions.h for the grammar.
// '&&' and '||' chains are kept flat (one node with n children), so only parentheses, '!' and
// function calls nest, and the depth limit bounds both parsing and evaluation recursion.
#include "checks/conditions.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <exception>
#include <utility>

#include "checks/condition_ast.h"
#include "core/scan.h"
#include "core/text.h"

namespace tt::checks {
namespace {

// Operands are named by their text in messages and details; long ones are cut.
constexpr std::size_t kMaxSourceBytes = 120;

// ---------------------------------------------------------------------------------------------
// Lexer

enum class Tok {
  eof,
  ident,
  literal,
  string,
  lparen,
  rparen,
  comma,
  compare,  // == != < <= > >=, the operator in Token::op
  and_,
  or_,
  bang
};

struct Token {
  Tok kind = Tok::eof;
  std::size_t pos = 0, end = 0;
  std::string text;                    // identifier, decoded string
  double number = 0;                   // literal: in seconds for durations, 0..1 for percentages
  ValueType type = ValueType::number;  // literal: number, duration or ratio
  Op op = Op::eq;                      // compare
};

using scan::is_digit;
using scan::is_ident_char;
using scan::is_ident_start;

std::string describe_char(char c) {
  auto u = static_cast<unsigned char>(c);
  if (u >= 0x21 && u < 0x7f) return std::string("'") + c + "'";
  static constexpr char kHex[] = "0123456789abcdef";
  return std::string("byte 0x") + kHex[u >> 4] + kHex[u & 15];
}

class Lexer {
 public:
  Lexer(std::string_view s, ConditionError& err) : m_s(s), m_err(err) {}

  // False (with m_err set) on a malformed token.
  bool next(Token& t) {
    m_i = scan::skip_space(m_s, m_i);
    t = Token{};
    t.pos = m_i;
    if (m_i >= m_s.size()) {
      t.end = m_i;
      return true;
    }
    char c = m_s[m_i];
    char d = m_i + 1 < m_s.size() ? m_s[m_i + 1] : '\0';
    auto one = [&](Tok k, std::size_t n) {
      t.kind = k;
      m_i += n;
      t.end = m_i;
      return true;
    };
    auto compare = [&](Op op, std::size_t n) {
      t.op = op;
      return one(Tok::compare, n);
    };
    switch (c) {
      case '(':
        return one(Tok::lparen, 1);
      case ')':
        return one(Tok::rparen, 1);
      case ',':
        return one(Tok::comma, 1);
      case '<':
        return d == '=' ? compare(Op::le, 2) : compare(Op::lt, 1);
      case '>':
        return d == '=' ? compare(Op::ge, 2) : compare(Op::gt, 1);
      case '!':
        return d == '=' ? compare(Op::ne, 2) : one(Tok::bang, 1);
      case '=':
        if (d == '=') return compare(Op::eq, 2);
        return fail(m_i, "'=' alone is not an operator; write '==' to compare");
      case '&':
        if (d == '&') return one(Tok::and_, 2);
        return fail(m_i, "'&' alone is not an operator; write '&&' or 'and'");
      case '|':
        if (d == '|') return one(Tok::or_, 2);
        return fail(m_i, "'|' alone is not an operator; write '||' or 'or'");
      case '"':
        return lex_string(t);
      default:
        break;
    }
    if (is_digit(c) || ((c == '-' || c == '.') && (is_digit(d) || (c == '-' && d == '.'))))
      return lex_number(t);
    if (is_ident_start(c)) {
      std::size_t j = scan::ident_end(m_s, m_i);
      t.kind = Tok::ident;
      t.text = std::string(m_s.substr(m_i, j - m_i));
      m_i = j;
      t.end = j;
      return true;
    }
    if (c == '\'') return fail(m_i, "strings are written in double quotes");
    return fail(m_i, "unexpected " + describe_char(c));
  }

 private:
  bool fail(std::size_t pos, std::string msg) {
    m_err = ConditionError{pos, std::move(msg)};
    return false;
  }

  // A number, optionally with a percent sign or units (several in a row: 1h30m).
  bool lex_number(Token& t) {
    // ms divides rather than multiplies by 0.001, so 412ms is the same double as 0.412.
    static constexpr struct {
      std::string_view unit;
      double mul, div;
    } kUnits[] = {{"ms", 1, 1000}, {"s", 1, 1}, {"m", 60, 1}, {"h", 3600, 1}, {"d", 86400, 1}};
    double total = 0;
    bool negative = m_s[m_i] == '-';
    if (negative) ++m_i;
    t.type = ValueType::number;
    for (int part = 0;; ++part) {
      std::size_t start = m_i, j = scan::digits_end(m_s, m_i);
      if (j < m_s.size() && m_s[j] == '.') {
        ++j;
        if (j >= m_s.size() || !is_digit(m_s[j])) return fail(j, "expected a digit after '.'");
        j = scan::digits_end(m_s, j);
      }
      j = scan::exponent_end(m_s, j);
      double v = 0;
      auto r = std::from_chars(m_s.data() + start, m_s.data() + j, v);
      if (r.ec != std::errc() || r.ptr != m_s.data() + j || !std::isfinite(v))
        return fail(start, "number out of range");
      m_i = j;
      if (m_i < m_s.size() && m_s[m_i] == '%') {
        if (part > 0) return fail(m_i, "a duration cannot end in '%'");
        ++m_i;
        t.type = ValueType::ratio;
        total = v / 100;
        break;
      }
      std::size_t k = m_i;
      while (k < m_s.size() && is_ident_char(m_s[k]) && !is_digit(m_s[k])) ++k;
      if (k == m_i) {
        if (part > 0) return fail(m_i, "expected a unit after the number (ms, s, m, h or d)");
        total = v;
        break;
      }
      std::string_view unit = m_s.substr(m_i, k - m_i);
      const auto* u = std::find_if(std::begin(kUnits), std::end(kUnits),
                                   [&](const auto& x) { return x.unit == unit; });
      if (u == std::end(kUnits))
        return fail(m_i,
                    "unknown unit '" + std::string(unit) + "'; durations use ms, s, m, h or d");
      t.type = ValueType::duration;
      total += v * u->mul / u->div;
      m_i = k;
      if (m_i >= m_s.size() || !(is_digit(m_s[m_i]) || m_s[m_i] == '.')) break;  // else 1h30m
    }
    if (m_i < m_s.size() &&
        (is_ident_char(m_s[m_i]) || m_s[m_i] == '.' || m_s[m_i] == '%' || m_s[m_i] == '"'))
      return fail(m_i, "unexpected " + describe_char(m_s[m_i]) + " after a number");
    if (!std::isfinite(total)) return fail(t.pos, "number out of range");
    t.kind = Tok::literal;
    t.number = negative ? -total : total;
    t.end = m_i;
    return true;
  }

  bool lex_string(Token& t) {
    auto q = scan::quoted_string(m_s, m_i, scan::Escapes::basic, false);
    if (q.problem == scan::QuotedString::Problem::unterminated)
      return fail(q.problem_pos, std::string(scan::to_string(q.problem)));
    if (q.problem != scan::QuotedString::Problem::none)  // the basic escapes have no bad ones
      return fail(q.problem_pos, "unknown escape '\\" + std::string(1, m_s[q.problem_pos + 1]) +
                                     "'; use \\\", \\\\, \\n or \\t");
    t.kind = Tok::string;
    t.text = std::move(q.text);
    m_i = q.end;
    t.end = q.end;
    return true;
  }

  std::string_view m_s;
  ConditionError& m_err;
  std::size_t m_i = 0;
};

// ---------------------------------------------------------------------------------------------
// Parser

ValueType fact_value_type(probes::FactType t) {
  switch (t) {
    case probes::FactType::number:
      return ValueType::number;
    case probes::FactType::duration:
      return ValueType::duration;
    case probes::FactType::ratio:
      return ValueType::ratio;
    case probes::FactType::string:
      return ValueType::string;
    case probes::FactType::boolean:
      return ValueType::boolean;
  }
  return ValueType::number;
}

class Parser {
 public:
  Parser(std::string_view text, const std::vector<probes::FactSpec>& facts, ConditionError& err)
      : m_s(text), m_facts(facts), m_err(err), m_lex(text, err) {}

  std::optional<ConditionNode> parse_all() {
    if (!advance()) return std::nullopt;
    if (m_tok.kind == Tok::eof) return fail(0, "the condition is empty");
    auto n = parse_or();
    if (!n) return std::nullopt;
    if (m_tok.kind != Tok::eof)
      return fail(m_tok.pos, "unexpected " + describe(m_tok) + "; expected '&&', '||' or the end");
    return n;
  }

 private:
  std::nullopt_t fail(std::size_t pos, std::string msg) {
    m_err = ConditionError{pos, std::move(msg)};
    return std::nullopt;
  }

  bool advance() { return m_lex.next(m_tok); }

  std::string describe(const Token& t) const {
    if (t.kind == Tok::eof) return "end of the condition";
    std::string_view s = m_s.substr(t.pos, t.end - t.pos);
    if (s.size() > 40) return "'" + std::string(s.substr(0, 40)) + "…'";
    return "'" + std::string(s) + "'";
  }

  bool is_word(std::string_view w) const {
    return m_tok.kind == Tok::ident && ascii_lower(m_tok.text) == w;
  }
  bool at_not() const { return m_tok.kind == Tok::bang || is_word("not"); }

  struct DepthGuard {
    int& d;
    explicit DepthGuard(int& x) : d(x) { ++d; }
    ~DepthGuard() { --d; }
  };
  bool too_deep(std::size_t pos) {
    if (m_depth <= kMaxConditionDepth) return false;
    fail(pos, "the condition is nested too deeply (more than " +
                  std::to_string(kMaxConditionDepth) + " levels)");
    return true;
  }

  std::optional<ConditionNode> parse_or() {
    return parse_chain(ConditionNode::Kind::any, Tok::or_, "or", &Parser::parse_and);
  }
  std::optional<ConditionNode> parse_and() {
    return parse_chain(ConditionNode::Kind::all, Tok::and_, "and", &Parser::parse_unary);
  }

  // Operands of `next` joined by `op` (or its word), kept flat: one node with n children.
  std::optional<ConditionNode> parse_chain(ConditionNode::Kind kind, Tok op, std::string_view word,
                                           std::optional<ConditionNode> (Parser::*next)()) {
    auto first = (this->*next)();
    if (!first) return std::nullopt;
    auto at_op = [&] { return m_tok.kind == op || is_word(word); };
    if (!at_op()) return first;
    ConditionNode n;
    n.kind = kind;
    n.children.push_back(std::move(*first));
    while (at_op()) {
      std::string spelled = describe(m_tok);
      if (!advance()) return std::nullopt;
      if (m_tok.kind == Tok::eof) return fail(m_tok.pos, "expected a condition after " + spelled);
      auto operand = (this->*next)();
      if (!operand) return std::nullopt;
      n.children.push_back(std::move(*operand));
    }
    return n;
  }

  std::optional<ConditionNode> parse_unary() {
    if (at_not() || m_tok.kind == Tok::lparen) {
      DepthGuard g(m_depth);
      if (too_deep(m_tok.pos)) return std::nullopt;
      return m_tok.kind == Tok::lparen ? parse_group() : parse_not();
    }
    return parse_comparison();
  }

  std::optional<ConditionNode> parse_not() {
    std::size_t bang_pos = m_tok.pos;
    std::string bang = describe(m_tok);
    std::string raw = m_tok.kind == Tok::bang ? "!" : "not ";
    if (!advance()) return std::nullopt;
    if (m_tok.kind == Tok::eof) return fail(m_tok.pos, "expected a condition after " + bang);
    bool grouped = m_tok.kind == Tok::lparen || at_not();
    auto inner = parse_unary();
    if (!inner) return std::nullopt;
    // '!' binds tighter than a comparison: `!status == 200` would compare a negated number.
    if (!grouped && inner->kind == ConditionNode::Kind::compare && !m_last_was_bare)
      return fail(bang_pos, bang + " applies to what follows it directly; write " + raw +
                                "(...) around the comparison, or use != / not contains");
    ConditionNode n;
    n.kind = ConditionNode::Kind::negate;
    n.children.push_back(std::move(*inner));
    return n;
  }

  std::optional<ConditionNode> parse_group() {
    std::size_t open = m_tok.pos;
    if (!advance()) return std::nullopt;
    if (m_tok.kind == Tok::rparen) return fail(m_tok.pos, "expected a condition inside '()'");
    auto inner = parse_or();
    if (!inner) return std::nullopt;
    if (m_tok.kind != Tok::rparen)
      return fail(m_tok.pos, "expected ')' to close the '(' at " + std::to_string(open) + ", got " +
                                 describe(m_tok));
    if (!advance()) return std::nullopt;
    if (comparison_op())
      return fail(m_tok.pos, describe(m_tok) + " cannot follow a parenthesised condition");
    return inner;
  }

  // The comparison operator at the current token, not consumed.
  std::optional<Op> comparison_op() {
    if (m_tok.kind == Tok::compare) return m_tok.op;
    if (is_word("contains")) return Op::contains;
    if (is_word("startswith")) return Op::starts;
    if (is_word("endswith")) return Op::ends;
    return std::nullopt;
  }

  // Reads and consumes the operator at the current token, if any: one token, or two for
  // `!contains` and `not contains`. False with m_err set on an error.
  bool read_op(std::optional<Op>& op, std::string& spelled) {
    op = comparison_op();
    std::size_t start = m_tok.pos;
    if (op) {
      spelled = describe(m_tok);
      return advance();
    }
    if (!at_not()) return true;
    // '!' or 'not' in operator position must start a negated string operator.
    Token saved = m_tok;
    if (!advance()) return false;
    auto base = comparison_op();
    if (!base || !is_string_op(*base)) {
      fail(saved.pos,
           describe(saved) + " here must be followed by contains, startswith or endswith");
      return false;
    }
    op = negated(*base);
    spelled = "'" + std::string(m_s.substr(start, m_tok.end - start)) + "'";
    return advance();
  }

  std::optional<ConditionNode> parse_comparison() {
    m_last_was_bare = false;
    auto lhs = parse_operand("a value");
    if (!lhs) return std::nullopt;
    std::size_t op_pos = m_tok.pos;
    std::optional<Op> op;
    std::string spelled;
    if (!read_op(op, spelled)) return std::nullopt;
    ConditionNode n;
    n.kind = ConditionNode::Kind::compare;
    if (!op) {
      // A bare operand: a boolean, or a JSON value taken as `== true`.
      if (lhs->type != ValueType::boolean && lhs->type != ValueType::dynamic) {
        if (m_tok.kind == Tok::eof || m_tok.kind == Tok::rparen || m_tok.kind == Tok::and_ ||
            m_tok.kind == Tok::or_ || is_word("and") || is_word("or"))
          return fail(op_pos, "expected a comparison after " + lhs->source + ", which is " +
                                  std::string(type_name(lhs->type)) + " (e.g. ==, <, contains)");
        return fail(op_pos, "expected a comparison operator after " + lhs->source + ", got " +
                                describe(m_tok));
      }
      m_last_was_bare = true;
      n.lhs = std::move(*lhs);
      n.op = Op::eq;
      n.rhs.kind = Operand::Kind::literal;
      n.rhs.type = ValueType::boolean;
      n.rhs.literal = true;
      n.rhs.source = "true";
      return n;
    }
    if (m_tok.kind == Tok::eof || m_tok.kind == Tok::rparen || m_tok.kind == Tok::and_ ||
        m_tok.kind == Tok::or_)
      return fail(m_tok.pos, "expected a value after " + spelled);
    auto rhs = parse_operand("a value after " + spelled);
    if (!rhs) return std::nullopt;
    if (!check_types(*lhs, *op, *rhs, op_pos, spelled)) return std::nullopt;
    if (lhs->kind == Operand::Kind::literal && rhs->kind != Operand::Kind::literal &&
        !is_string_op(*op)) {
      std::swap(*lhs, *rhs);
      *op = mirrored(*op);
    }
    if (comparison_op()) return fail(m_tok.pos, "comparisons do not chain; join them with '&&'");
    n.lhs = std::move(*lhs);
    n.rhs = std::move(*rhs);
    n.op = *op;
    return n;
  }

  bool check_types(const Operand& a, Op op, const Operand& b, std::size_t op_pos,
                   const std::string& spelled) {
    for (const Operand* x : {&a, &b}) {
      if (is_string_op(op) && x->type != ValueType::string && x->type != ValueType::dynamic) {
        fail(op_pos, spelled + " compares strings, and " + x->source + " is " +
                         std::string(type_name(x->type)));
        return false;
      }
      if (is_order_op(op) && (x->type == ValueType::string || x->type == ValueType::boolean)) {
        fail(op_pos, spelled + " does not apply to " + x->source + ", which is " +
                         std::string(type_name(x->type)) +
                         (x->type == ValueType::string
                              ? "; strings take ==, !=, contains, !contains, startswith, endswith"
                              : "; booleans take == and !="));
        return false;
      }
    }
    if (a.type == b.type || a.type == ValueType::dynamic || b.type == ValueType::dynamic)
      return true;
    // A plain number against a duration or ratio fact: say how to write it.
    for (auto [fact, lit] : {std::pair{&a, &b}, std::pair{&b, &a}}) {
      if (lit->kind != Operand::Kind::literal || lit->type != ValueType::number) continue;
      if (fact->type == ValueType::duration) {
        fail(lit->pos, fact->source + " is a duration: write a unit, e.g. 300ms or 0.3s");
        return false;
      }
      if (fact->type == ValueType::ratio) {
        double v = lit->literal.get<double>();
        if (v >= 0 && v <= 1) return true;  // 0.2 for 20% is fine
        fail(lit->pos, fact->source + " is a ratio from 0 to 1: write " + format_number(v) +
                           "% or " + format_number(v / 100));
        return false;
      }
    }
    fail(op_pos, "cannot compare " + a.source + " (" + std::string(type_name(a.type)) + ") with " +
                     b.source + " (" + std::string(type_name(b.type)) + ")");
    return false;
  }

  std::optional<Operand> parse_operand(const std::string& what) {
    std::size_t start = m_tok.pos;
    Operand o;
    o.pos = start;
    switch (m_tok.kind) {
      case Tok::literal:
        o.kind = Operand::Kind::literal;
        o.type = m_tok.type;
        o.literal = m_tok.number;
        break;
      case Tok::string:
        o.kind = Operand::Kind::literal;
        o.type = ValueType::string;
        o.literal = m_tok.text;
        break;
      case Tok::ident: {
        std::string l = ascii_lower(m_tok.text);
        if (l == "true" || l == "false") {
          o.kind = Operand::Kind::literal;
          o.type = ValueType::boolean;
          o.literal = l == "true";
          break;
        }
        Token name = m_tok;
        if (!advance()) return std::nullopt;
        if (m_tok.kind == Tok::lparen) return parse_call(name, start);
        if (!fact_operand(name, o)) return std::nullopt;
        o.source = shorten(name.text, kMaxSourceBytes);
        return o;
      }
      default:
        return fail(m_tok.pos, "expected " + what + ", got " + describe(m_tok));
    }
    o.source = shorten(m_s.substr(start, m_tok.end - start), kMaxSourceBytes);
    if (!advance()) return std::nullopt;
    return o;
  }

  bool fact_operand(const Token& name, Operand& o) {
    static constexpr std::string_view kWords[] = {"and",      "or",         "not",
                                                  "contains", "startswith", "endswith"};
    for (auto w : kWords)
      if (ascii_lower(name.text) == w) {
        fail(name.pos, "expected a value, got the operator '" + name.text + "'");
        return false;
      }
    for (const auto& f : m_facts) {
      if (f.name != name.text) continue;
      if (f.name == "headers") {
        fail(name.pos, "headers is an object; write header(\"Name\") for one header");
        return false;
      }
      if (f.name == "values") {
        fail(name.pos, "values is an object; write oid(\"sysName.0\") for one value");
        return false;
      }
      o.kind = Operand::Kind::fact;
      o.type = fact_value_type(f.type);
      o.name = f.name;
      return true;
    }
    std::string known;
    for (const auto& f : m_facts) {
      if (f.name == "headers" || f.name == "values") continue;
      known += known.empty() ? f.name : ", " + f.name;
    }
    fail(name.pos, "unknown fact '" + shorten(name.text, kMaxSourceBytes) + "'; " +
                       (known.empty() ? "this kind has no facts" : known + " are known"));
    return false;
  }

  bool has_fact(std::string_view name) const {
    for (const auto& f : m_facts)
      if (f.name == name) return true;
    return false;
  }

  std::optional<Operand> parse_call(const Token& name, std::size_t start) {
    DepthGuard g(m_depth);
    if (too_deep(name.pos)) return std::nullopt;
    std::string fn = ascii_lower(name.text);
    if (fn != "json" && fn != "header" && fn != "len" && fn != "oid")
      return fail(name.pos,
                  "unknown function '" + name.text + "'; json, header, oid and len are known");
    if (fn == "json" && !has_fact("body"))
      return fail(name.pos, "json() reads the body, which this kind does not have");
    if (fn == "header" && !has_fact("headers"))
      return fail(name.pos, "header() reads headers, which this kind does not have");
    if (fn == "oid" && !has_fact("values"))
      return fail(name.pos, "oid() reads SNMP values, which this kind does not have");
    if (!advance()) return std::nullopt;  // past '('
    Operand o;
    o.pos = start;
    if (fn == "len") {
      auto arg = parse_operand("a string inside len()");
      if (!arg) return std::nullopt;
      if (arg->type != ValueType::string && arg->type != ValueType::dynamic)
        return fail(start, "len() takes a string or a JSON value; " + arg->source + " is " +
                               std::string(type_name(arg->type)));
      o.kind = Operand::Kind::len;
      o.type = ValueType::number;
      o.arg = std::make_unique<Operand>(std::move(*arg));
    } else {
      if (m_tok.kind != Tok::string)
        return fail(m_tok.pos, fn + "() takes a string in double quotes, e.g. " +
                                   (fn == "json"  ? "json(\"$.status\")"
                                    : fn == "oid" ? "oid(\"sysName.0\")"
                                                  : "header(\"content-type\")"));
      if (fn == "json") {
        o.kind = Operand::Kind::json;
        o.type = ValueType::dynamic;
        if (!parse_path(m_tok.text, m_tok.pos, o.path)) return std::nullopt;
      } else if (fn == "oid") {
        if (m_tok.text.empty()) return fail(m_tok.pos, "oid() needs a name from the check's oids");
        o.kind = Operand::Kind::value;
        o.type = ValueType::dynamic;
        o.name = m_tok.text;
      } else {
        if (m_tok.text.empty()) return fail(m_tok.pos, "header() needs a header name");
        o.kind = Operand::Kind::header;
        o.type = ValueType::string;
        o.name = ascii_lower(m_tok.text);
      }
      if (!advance()) return std::nullopt;
    }
    if (m_tok.kind != Tok::rparen)
      return fail(m_tok.pos, "expected ')' to close " + fn + "(, got " + describe(m_tok));
    o.source = shorten(m_s.substr(start, m_tok.end - start), kMaxSourceBytes);
    if (!advance()) return std::nullopt;
    return o;
  }

  // $ then .name, ["name"] or [index], as in JSONPath; `pos` is the string token's position,
  // and positions inside are exact when the path has no escapes (paths rarely do).
  bool parse_path(const std::string& p, std::size_t pos, std::vector<PathStep>& out) {
    auto bad = [&](std::size_t i, const std::string& msg) {
      fail(pos + 1 + i, "bad JSON path: " + msg);
      return false;
    };
    if (p.empty() || p[0] != '$') return bad(0, "it starts with '$', e.g. \"$.health.status\"");
    std::size_t i = 1;
    while (i < p.size()) {
      if (out.size() >= 64) return bad(i, "more than 64 steps");
      if (p[i] == '.') {
        std::size_t j = ++i;
        while (j < p.size() && p[j] != '.' && p[j] != '[') ++j;
        if (j == i) return bad(i, "expected a name after '.'");
        out.emplace_back(p.substr(i, j - i));
        i = j;
      } else if (p[i] == '[') {
        ++i;
        if (i < p.size() && (p[i] == '"' || p[i] == '\'')) {
          char q = p[i];
          std::size_t j = ++i;
          std::string key;
          while (j < p.size() && p[j] != q) {
            if (p[j] == '\\' && j + 1 < p.size()) ++j;
            key += p[j++];
          }
          if (j >= p.size()) return bad(i - 1, "unterminated name in '[...]'");
          i = j + 1;
          out.emplace_back(std::move(key));
        } else {
          std::size_t j = i;
          std::size_t index = 0;
          while (j < p.size() && is_digit(p[j])) {
            if (index > 100'000'000) return bad(i, "index too large");
            index = index * 10 + static_cast<std::size_t>(p[j] - '0');
            ++j;
          }
          if (j == i) return bad(i, "expected an index or a quoted name after '['");
          i = j;
          out.emplace_back(index);
        }
        if (i >= p.size() || p[i] != ']') return bad(i, "expected ']'");
        ++i;
      } else {
        return bad(i, "expected '.name', '[\"name\"]' or '[index]'");
      }
    }
    return true;
  }

  std::string_view m_s;
  const std::vector<probes::FactSpec>& m_facts;
  ConditionError& m_err;
  Lexer m_lex;
  Token m_tok;
  int m_depth = 0;
  bool m_last_was_bare = false;  // the last comparison parsed was a bare boolean operand
};

}  // namespace

Condition::Condition(std::string text, std::shared_ptr<const ConditionNode> root)
    : m_text(std::move(text)), m_root(std::move(root)) {}

std::optional<Condition> Condition::parse(std::string_view text,
                                          const std::vector<probes::FactSpec>& facts,
                                          ConditionError& err) {
  if (text.size() > kMaxConditionBytes) {
    err = ConditionError{kMaxConditionBytes, "the condition is longer than " +
                                                 std::to_string(kMaxConditionBytes) + " bytes"};
    return std::nullopt;
  }
  try {
    Parser p(text, facts, err);
    auto root = p.parse_all();
    if (!root) return std::nullopt;
    return Condition(std::string(text), std::make_shared<const ConditionNode>(std::move(*root)));
  } catch (const std::exception& e) {  // only allocation failures can get here
    err = ConditionError{0, std::string("the condition could not be parsed: ") + e.what()};
    return std::nullopt;
  }
}

}  // namespace tt::checks
