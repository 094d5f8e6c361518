// Lexer and recursive-descent parser for the PromQL subset; see query.h for the contract.
// Operator precedence (low to high), as Prometheus' grammar: or; and unless; comparisons;
// + -; * / %; ^ (right-associative). Unary minus binds like * (so -2^2 == -4).
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <iterator>
#include <string>
#include <utility>

#include "core/scan.h"
#include "core/text.h"
#include "core/utf8.h"
#include "query/ast.h"
#include "query/functions.h"

namespace tt::query {
namespace {

enum class Tok {
  eof,
  ident,
  number,
  duration,
  string,
  lparen,
  rparen,
  lbrace,
  rbrace,
  lbracket,
  rbracket,
  comma,
  assign,
  eq,
  ne,
  re,
  nre,
  add,
  sub,
  mul,
  div,
  mod,
  pow,
  gt,
  ge,
  lt,
  le,
  colon,
  at,
};

struct Token {
  Tok kind = Tok::eof;
  std::size_t pos = 0;
  std::string text;   // identifier / decoded string
  double number = 0;  // number
  TimeMs duration_ms = 0;
};

Error query_error(std::size_t pos, const std::string& msg) {
  return Error::make(ErrorKind::validation, "BAD_QUERY",
                     "at position " + std::to_string(pos) + ": " + msg);
}

// Metric names may hold ':' (recording rules' level:metric:operations).
constexpr std::string_view kNameExtra = ":";
bool is_ident_start(char c) { return scan::is_ident_start(c, kNameExtra); }
bool is_ident_char(char c) { return scan::is_ident_char(c, kNameExtra); }
using scan::is_digit;

// Parses a Prometheus duration (units y w d h m s ms, each at most once, in that order) at
// s[i..]; returns the length consumed or 0 when there is no duration there.
std::size_t scan_duration(std::string_view s, std::size_t i, TimeMs& out_ms, bool& overflow) {
  std::size_t start = i, next_unit = 0;
  TimeMs total = 0;
  overflow = false;
  while (i < s.size() && is_digit(s[i])) {
    std::size_t j = i;
    long double n = 0;
    while (j < s.size() && is_digit(s[j])) n = n * 10 + (s[j++] - '0');
    std::size_t k = j;
    while (k < s.size() && scan::is_alpha(s[k])) ++k;
    std::string_view unit = s.substr(j, k - j);
    std::size_t u = next_unit;
    while (u < std::size(kDurationUnits) && kDurationUnits[u].unit != unit) ++u;
    if (unit.empty() || u == std::size(kDurationUnits)) break;
    long double add = n * kDurationUnits[u].ms;
    if (add + total > 4e18L)
      overflow = true;
    else
      total += static_cast<TimeMs>(add);
    next_unit = u + 1;
    i = k;
  }
  if (i == start || (i < s.size() && scan::is_ident_char(s[i]))) return 0;
  out_ms = total;
  return i - start;
}

class Lexer {
 public:
  explicit Lexer(std::string_view s) : m_s(s) {}

  Result<Token> next() {
    while (m_i < m_s.size()) {
      char c = m_s[m_i];
      if (scan::is_space(c)) {
        ++m_i;
        continue;
      }
      if (c == '#') {  // comment to end of line
        while (m_i < m_s.size() && m_s[m_i] != '\n') ++m_i;
        continue;
      }
      break;
    }
    Token t;
    t.pos = m_i;
    if (m_i >= m_s.size()) return t;
    char c = m_s[m_i];
    auto one = [&](Tok k, std::size_t n = 1) {
      t.kind = k;
      m_i += n;
      return t;
    };
    char d = m_i + 1 < m_s.size() ? m_s[m_i + 1] : '\0';
    switch (c) {
      case '(':
        return one(Tok::lparen);
      case ')':
        return one(Tok::rparen);
      case '{':
        return one(Tok::lbrace);
      case '}':
        return one(Tok::rbrace);
      case '[':
        return one(Tok::lbracket);
      case ']':
        return one(Tok::rbracket);
      case ',':
        return one(Tok::comma);
      case '+':
        return one(Tok::add);
      case '-':
        return one(Tok::sub);
      case '*':
        return one(Tok::mul);
      case '/':
        return one(Tok::div);
      case '%':
        return one(Tok::mod);
      case '^':
        return one(Tok::pow);
      case ':':
        if (!is_ident_start(d)) return one(Tok::colon);
        break;
      case '@':
        return one(Tok::at);
      case '=':
        if (d == '=') return one(Tok::eq, 2);
        if (d == '~') return one(Tok::re, 2);
        return one(Tok::assign);
      case '!':
        if (d == '=') return one(Tok::ne, 2);
        if (d == '~') return one(Tok::nre, 2);
        return query_error(m_i, "unexpected character '!'");
      case '>':
        if (d == '=') return one(Tok::ge, 2);
        return one(Tok::gt);
      case '<':
        if (d == '=') return one(Tok::le, 2);
        return one(Tok::lt);
      case '"':
      case '\'':
      case '`':
        return lex_string(t);
      default:
        break;
    }
    if (is_digit(c) || (c == '.' && is_digit(d))) return lex_number(t);
    if (is_ident_start(c)) {
      std::size_t j = scan::ident_end(m_s, m_i, kNameExtra);
      t.text = std::string(m_s.substr(m_i, j - m_i));
      m_i = j;
      std::string l = ascii_lower(t.text);
      if (l == "inf" || l == "nan") {
        t.kind = Tok::number;
        t.number = l == "inf" ? HUGE_VAL : std::nan("");
        return t;
      }
      t.kind = Tok::ident;
      return t;
    }
    return query_error(m_i, std::string("unexpected character '") + c + "'");
  }

 private:
  Result<Token> lex_number(Token& t) {
    bool overflow = false;
    TimeMs ms = 0;
    if (std::size_t n = scan_duration(m_s, m_i, ms, overflow)) {
      if (overflow) return query_error(m_i, "duration out of range");
      t.kind = Tok::duration;
      t.duration_ms = ms;
      t.text = std::string(m_s.substr(m_i, n));
      m_i += n;
      return t;
    }
    std::size_t j = m_i;
    if (m_s[j] == '0' && j + 1 < m_s.size() && (m_s[j + 1] == 'x' || m_s[j + 1] == 'X')) {
      j += 2;
      while (j < m_s.size() && std::isxdigit(static_cast<unsigned char>(m_s[j]))) ++j;
    } else {
      j = scan::digits_end(m_s, j);
      if (j < m_s.size() && m_s[j] == '.') j = scan::digits_end(m_s, j + 1);
      j = scan::exponent_end(m_s, j);
    }
    if (j < m_s.size() && (is_ident_char(m_s[j]) || m_s[j] == '.'))
      return query_error(m_i, "bad number or duration syntax");
    std::string num(m_s.substr(m_i, j - m_i));
    if (num == "0x" || num == "0X") return query_error(m_i, "bad number syntax");
    t.kind = Tok::number;
    t.number = std::strtod(num.c_str(), nullptr);
    m_i = j;
    return t;
  }

  Result<Token> lex_string(Token& t) {
    auto q = scan::quoted_string(m_s, m_i, scan::Escapes::go, true);
    if (q.problem != scan::QuotedString::Problem::none)
      return query_error(q.problem_pos, std::string(scan::to_string(q.problem)));
    t.kind = Tok::string;
    t.text = std::move(q.text);
    m_i = q.end;
    return t;
  }

  std::string_view m_s;
  std::size_t m_i = 0;
};

// Aggregation names, in the order of AggOp.
constexpr const char* kAggNames[] = {"sum",    "avg",    "min",  "max",     "count",   "group",
                                     "stddev", "stdvar", "topk", "bottomk", "quantile"};
static_assert(std::size(kAggNames) == static_cast<std::size_t>(AggOp::quantile) + 1);

std::optional<AggOp> aggregator(std::string_view name) {
  std::string l = ascii_lower(name);
  for (std::size_t i = 0; i < std::size(kAggNames); ++i)
    if (l == kAggNames[i]) return static_cast<AggOp>(i);
  return std::nullopt;
}

// Binary operators, in the order of BinOp: the token that spells each (an identifier for the
// set operators, matched by name) and its precedence.
struct BinInfo {
  BinOp op;
  const char* name;
  Tok tok;
  int prec;
};
constexpr BinInfo kBinOps[] = {
    {BinOp::add, "+", Tok::add, 4},
    {BinOp::sub, "-", Tok::sub, 4},
    {BinOp::mul, "*", Tok::mul, 5},
    {BinOp::div, "/", Tok::div, 5},
    {BinOp::mod, "%", Tok::mod, 5},
    {BinOp::pow, "^", Tok::pow, 6},
    {BinOp::eq, "==", Tok::eq, 3},
    {BinOp::ne, "!=", Tok::ne, 3},
    {BinOp::gt, ">", Tok::gt, 3},
    {BinOp::lt, "<", Tok::lt, 3},
    {BinOp::ge, ">=", Tok::ge, 3},
    {BinOp::le, "<=", Tok::le, 3},
    {BinOp::land, "and", Tok::ident, 2},
    {BinOp::lor, "or", Tok::ident, 1},
    {BinOp::lunless, "unless", Tok::ident, 2},
};
constexpr bool bin_ops_in_order() {
  for (std::size_t i = 0; i < std::size(kBinOps); ++i)
    if (kBinOps[i].op != static_cast<BinOp>(i)) return false;
  return std::size(kBinOps) == static_cast<std::size_t>(BinOp::lunless) + 1;
}
static_assert(bin_ops_in_order());

std::optional<BinInfo> binary_op(const Token& t) {
  std::string word = t.kind == Tok::ident ? ascii_lower(t.text) : std::string();
  for (const auto& b : kBinOps)
    if (b.tok == t.kind && (t.kind != Tok::ident || word == b.name)) return b;
  return std::nullopt;
}

// The label matching operator a token spells.
std::optional<MatchOp> match_op(Tok t) {
  static constexpr std::pair<Tok, MatchOp> kMatchOps[] = {{Tok::assign, MatchOp::equal},
                                                          {Tok::ne, MatchOp::not_equal},
                                                          {Tok::re, MatchOp::regex},
                                                          {Tok::nre, MatchOp::not_regex}};
  for (auto [tok, op] : kMatchOps)
    if (tok == t) return op;
  return std::nullopt;
}

constexpr int kPowPrec = 6;

class Parser {
 public:
  explicit Parser(std::string_view s) : m_lex(s) {}

  Result<ExprPtr> parse_all() {
    TT_TRY(advance());
    auto e = parse_expr(1);
    if (!e) return e;
    if (m_tok.kind != Tok::eof) return query_error(m_tok.pos, "unexpected " + describe(m_tok));
    return e;
  }

  // Parses only a selector (for parse_selector): a metric name and/or a brace block.
  Result<std::vector<Matcher>> parse_selector_only() {
    TT_TRY(advance());
    std::size_t pos = m_tok.pos;
    std::string name;
    if (m_tok.kind == Tok::ident) {
      name = m_tok.text;
      TT_TRY(advance());
    } else if (m_tok.kind != Tok::lbrace) {
      return query_error(m_tok.pos, "expected a metric name or '{'");
    }
    auto sel = parse_vector_selector(name, pos);
    if (!sel) return sel.error();
    if (m_tok.kind != Tok::eof) return query_error(m_tok.pos, "unexpected " + describe(m_tok));
    return sel.value()->matchers;
  }

 private:
  static std::string describe(const Token& t) {
    switch (t.kind) {
      case Tok::eof:
        return "end of input";
      case Tok::ident:
        return "identifier \"" + t.text + "\"";
      case Tok::number:
        return "number";
      case Tok::duration:
        return "duration \"" + t.text + "\"";
      case Tok::string:
        return "string";
      case Tok::colon:
        return "':' (subqueries are not supported)";
      case Tok::at:
        return "'@' (the @ modifier is not supported)";
      default:
        return "token";
    }
  }

  Result<void> advance() {
    auto t = m_lex.next();
    if (!t) return t.error();
    m_tok = std::move(t.value());
    return ok();
  }

  Result<void> expect(Tok k, const char* what) {
    if (m_tok.kind != k)
      return query_error(m_tok.pos, std::string("expected ") + what + ", got " + describe(m_tok));
    return advance();
  }

  bool is_keyword(std::string_view kw) const {
    return m_tok.kind == Tok::ident && ascii_lower(m_tok.text) == kw;
  }

  static std::shared_ptr<Expr> node(ExprKind k, std::size_t pos) {
    auto e = std::make_shared<Expr>();
    e->kind = k;
    e->pos = pos;
    return e;
  }

  Result<void> check_depth(const Expr& e) {
    if (e.depth > kMaxParseDepth) return query_error(e.pos, "expression nested too deeply");
    return ok();
  }

  struct DepthGuard {
    int& d;
    explicit DepthGuard(int& x) : d(x) { ++d; }
    ~DepthGuard() { --d; }
  };

  Result<ExprPtr> parse_expr(int min_prec) {
    DepthGuard g(m_depth);
    if (m_depth > kMaxParseDepth) return query_error(m_tok.pos, "expression nested too deeply");
    auto lhs_r = parse_unary();
    if (!lhs_r) return lhs_r;
    ExprPtr lhs = std::move(lhs_r.value());
    while (true) {
      auto bi = binary_op(m_tok);
      if (!bi || bi->prec < min_prec) break;
      std::size_t op_pos = m_tok.pos;
      TT_TRY(advance());
      auto e = node(ExprKind::binary, op_pos);
      e->op = bi->op;
      TT_TRY(parse_bin_modifiers(*e));
      auto rhs = parse_expr(bi->op == BinOp::pow ? bi->prec : bi->prec + 1);
      if (!rhs) return rhs;
      e->lhs = std::move(lhs);
      e->rhs = std::move(rhs.value());
      e->depth = std::max(e->lhs->depth, e->rhs->depth) + 1;
      TT_TRY(check_depth(*e));
      TT_TRY(check_binary(*e));
      lhs = std::move(e);
    }
    return lhs;
  }

  Result<std::vector<std::string>> parse_label_list() {
    TT_TRY(expect(Tok::lparen, "'('"));
    std::vector<std::string> out;
    while (m_tok.kind != Tok::rparen) {
      if (m_tok.kind != Tok::ident || !valid_label_name(m_tok.text))
        return query_error(m_tok.pos, "expected a label name, got " + describe(m_tok));
      out.push_back(m_tok.text);
      TT_TRY(advance());
      if (m_tok.kind == Tok::comma)
        TT_TRY(advance());
      else if (m_tok.kind != Tok::rparen)
        return query_error(m_tok.pos, "expected ',' or ')' in label list");
    }
    TT_TRY(advance());
    return out;
  }

  Result<void> parse_bin_modifiers(Expr& e) {
    if (is_keyword("bool")) {
      if (!is_comparison(e.op))
        return query_error(m_tok.pos, "bool modifier can only be used on comparison operators");
      e.return_bool = true;
      TT_TRY(advance());
    }
    if (is_set_op(e.op)) e.matching.card = Cardinality::many_to_many;
    if (is_keyword("on") || is_keyword("ignoring")) {
      e.matching.on = is_keyword("on");
      e.has_matching = true;
      TT_TRY(advance());
      auto l = parse_label_list();
      if (!l) return l.error();
      e.matching.labels = std::move(l.value());
      if (is_keyword("group_left") || is_keyword("group_right")) {
        std::size_t gpos = m_tok.pos;
        if (is_set_op(e.op))
          return query_error(
              gpos, std::string("no grouping allowed for \"") + binop_name(e.op) + "\" operation");
        e.matching.card =
            is_keyword("group_left") ? Cardinality::many_to_one : Cardinality::one_to_many;
        TT_TRY(advance());
        if (m_tok.kind == Tok::lparen) {
          auto inc = parse_label_list();
          if (!inc) return inc.error();
          e.matching.include = std::move(inc.value());
        }
        for (const auto& l1 : e.matching.include)
          for (const auto& l2 : e.matching.labels)
            if (l1 == l2 && e.matching.on)
              return query_error(
                  gpos, "label \"" + l1 + "\" must not occur in ON and GROUP clause at once");
      }
    }
    return ok();
  }

  Result<void> check_binary(const Expr& e) {
    ValueType lt = e.lhs->type(), rt = e.rhs->type();
    auto ok_type = [](ValueType t) { return t == ValueType::scalar || t == ValueType::vector; };
    if (!ok_type(lt) || !ok_type(rt))
      return query_error(e.pos,
                         "binary expression must contain only scalar and instant vector types");
    if (is_comparison(e.op) && !e.return_bool && lt == ValueType::scalar && rt == ValueType::scalar)
      return query_error(e.pos, "comparisons between scalars must use BOOL modifier");
    if (is_set_op(e.op) && (lt == ValueType::scalar || rt == ValueType::scalar))
      return query_error(e.pos, std::string("set operator \"") + binop_name(e.op) +
                                    "\" not allowed in binary scalar expression");
    if (e.has_matching && (lt == ValueType::scalar || rt == ValueType::scalar))
      return query_error(e.pos, "vector matching only allowed between instant vectors");
    return ok();
  }

  Result<ExprPtr> parse_unary() {
    if (m_tok.kind == Tok::sub || m_tok.kind == Tok::add) {
      bool neg = m_tok.kind == Tok::sub;
      std::size_t pos = m_tok.pos;
      TT_TRY(advance());
      auto operand = parse_expr(kPowPrec);
      if (!operand) return operand;
      ValueType t = operand.value()->type();
      if (t != ValueType::scalar && t != ValueType::vector)
        return query_error(
            pos, "unary expression only allowed on expressions of type scalar or instant vector");
      if (!neg) return operand;
      if (operand.value()->kind == ExprKind::number) {
        auto n = node(ExprKind::number, pos);
        n->number = -operand.value()->number;
        return ExprPtr(n);
      }
      auto e = node(ExprKind::unary_minus, pos);
      e->lhs = std::move(operand.value());
      e->depth = e->lhs->depth + 1;
      TT_TRY(check_depth(*e));
      return ExprPtr(e);
    }
    return parse_postfix();
  }

  Result<ExprPtr> parse_postfix() {
    auto prim = parse_primary();
    if (!prim) return prim;
    ExprPtr e = std::move(prim.value());
    while (true) {
      if (m_tok.kind == Tok::lbracket) {
        std::size_t pos = m_tok.pos;
        if (e->kind != ExprKind::vector_selector || e->offset_ms != 0 || e->has_offset)
          return query_error(
              pos, "ranges only allowed for vector selectors (subqueries are not supported)");
        TT_TRY(advance());
        if (m_tok.kind != Tok::duration)
          return query_error(m_tok.pos,
                             "expected a duration in range selector, got " + describe(m_tok));
        TimeMs range = m_tok.duration_ms;
        std::size_t dpos = m_tok.pos;
        TT_TRY(advance());
        if (m_tok.kind == Tok::colon) return query_error(m_tok.pos, "subqueries are not supported");
        TT_TRY(expect(Tok::rbracket, "']'"));
        if (range <= 0) return query_error(dpos, "range must be greater than 0");
        auto m = std::make_shared<Expr>(*e);
        m->kind = ExprKind::matrix_selector;
        m->range_ms = range;
        e = std::move(m);
        continue;
      }
      if (is_keyword("offset")) {
        std::size_t pos = m_tok.pos;
        if ((e->kind != ExprKind::vector_selector && e->kind != ExprKind::matrix_selector) ||
            e->has_offset)
          return query_error(pos,
                             "offset modifier must be preceded by an instant vector selector or "
                             "range vector selector");
        TT_TRY(advance());
        bool neg = false;
        if (m_tok.kind == Tok::sub) {
          neg = true;
          TT_TRY(advance());
        }
        if (m_tok.kind != Tok::duration)
          return query_error(m_tok.pos, "expected a duration after offset, got " + describe(m_tok));
        auto m = std::make_shared<Expr>(*e);
        m->offset_ms = neg ? -m_tok.duration_ms : m_tok.duration_ms;
        m->has_offset = true;
        TT_TRY(advance());
        e = std::move(m);
        continue;
      }
      if (m_tok.kind == Tok::at) return query_error(m_tok.pos, "the @ modifier is not supported");
      break;
    }
    return e;
  }

  Result<ExprPtr> parse_primary() {
    std::size_t pos = m_tok.pos;
    switch (m_tok.kind) {
      case Tok::number: {
        auto e = node(ExprKind::number, pos);
        e->number = m_tok.number;
        TT_TRY(advance());
        return ExprPtr(e);
      }
      case Tok::string: {
        auto e = node(ExprKind::string, pos);
        e->text = m_tok.text;
        TT_TRY(advance());
        return ExprPtr(e);
      }
      case Tok::lparen: {
        TT_TRY(advance());
        auto inner = parse_expr(1);
        if (!inner) return inner;
        TT_TRY(expect(Tok::rparen, "')'"));
        auto e = node(ExprKind::paren, pos);
        e->lhs = std::move(inner.value());
        e->depth = e->lhs->depth + 1;
        TT_TRY(check_depth(*e));
        return ExprPtr(e);
      }
      case Tok::lbrace: {
        auto s = parse_vector_selector("", pos);
        if (!s) return s.error();
        return ExprPtr(std::move(s.value()));
      }
      case Tok::ident: {
        std::string name = m_tok.text;
        TT_TRY(advance());
        if (auto agg = aggregator(name);
            agg && (m_tok.kind == Tok::lparen || is_keyword("by") || is_keyword("without")))
          return parse_aggregate(*agg, name, pos);
        if (m_tok.kind == Tok::lparen) return parse_call(name, pos);
        std::string l = ascii_lower(name);
        if (l == "by" || l == "without" || l == "on" || l == "ignoring" || l == "group_left" ||
            l == "group_right" || l == "bool" || l == "offset" || l == "and" || l == "or" ||
            l == "unless" || aggregator(name))
          return query_error(pos, "unexpected keyword \"" + name + "\"");
        auto s = parse_vector_selector(name, pos);
        if (!s) return s.error();
        return ExprPtr(std::move(s.value()));
      }
      case Tok::duration:
        return query_error(pos, "unexpected duration \"" + m_tok.text + "\"");
      default:
        return query_error(pos, "unexpected " + describe(m_tok));
    }
  }

  // After the metric name (possibly empty), at an optional '{'.
  Result<std::shared_ptr<Expr>> parse_vector_selector(const std::string& name, std::size_t pos) {
    auto e = node(ExprKind::vector_selector, pos);
    e->text = name;
    if (!name.empty()) {
      auto m = make_matcher(std::string(kMetricNameLabel), MatchOp::equal, name);
      if (!m) return m.error();
      e->matchers.push_back(std::move(m.value()));
    }
    if (m_tok.kind == Tok::lbrace) {
      TT_TRY(advance());
      while (m_tok.kind != Tok::rbrace) {
        std::size_t lpos = m_tok.pos;
        if (m_tok.kind != Tok::ident || !valid_label_name(m_tok.text))
          return query_error(lpos, "expected a label name in selector, got " + describe(m_tok));
        std::string label = m_tok.text;
        TT_TRY(advance());
        auto op = match_op(m_tok.kind);
        if (!op)
          return query_error(m_tok.pos, "expected a label matching operator (=, !=, =~, !~)");
        TT_TRY(advance());
        if (m_tok.kind != Tok::string)
          return query_error(m_tok.pos,
                             "expected a string after matching operator, got " + describe(m_tok));
        std::size_t vpos = m_tok.pos;
        if (label == kMetricNameLabel && !name.empty())
          return query_error(lpos, "metric name must not be set twice");
        auto m = make_matcher(label, *op, m_tok.text);
        if (!m) return query_error(vpos, m.error().message);
        e->matchers.push_back(std::move(m.value()));
        TT_TRY(advance());
        if (m_tok.kind == Tok::comma)
          TT_TRY(advance());
        else if (m_tok.kind != Tok::rbrace)
          return query_error(m_tok.pos, "expected ',' or '}' in selector, got " + describe(m_tok));
      }
      TT_TRY(advance());
    }
    bool non_empty = false;
    for (const auto& m : e->matchers)
      if (!m.matches_empty()) non_empty = true;
    if (!non_empty)
      return query_error(pos, "vector selector must contain at least one non-empty matcher");
    return e;
  }

  Result<ExprPtr> parse_call(const std::string& name, std::size_t pos) {
    const FunctionInfo* f = find_function(name);
    if (!f) return query_error(pos, "unknown function \"" + name + "\"");
    TT_TRY(expect(Tok::lparen, "'('"));
    auto e = node(ExprKind::call, pos);
    e->func = f;
    e->text = name;
    while (m_tok.kind != Tok::rparen) {
      auto a = parse_expr(1);
      if (!a) return a;
      e->args.push_back(std::move(a.value()));
      if (m_tok.kind == Tok::comma)
        TT_TRY(advance());
      else if (m_tok.kind != Tok::rparen)
        return query_error(m_tok.pos,
                           "expected ',' or ')' in function call, got " + describe(m_tok));
    }
    TT_TRY(advance());
    int n = static_cast<int>(e->args.size());
    if (n < f->min_args || n > static_cast<int>(f->arg_types.size()))
      return query_error(
          pos, "wrong number of arguments for function \"" + name + "\": got " + std::to_string(n));
    for (int i = 0; i < n; ++i) {
      // Range functions need a range selector itself (parentheses around it are dropped).
      while (f->arg_types[i] == ValueType::matrix && e->args[i]->kind == ExprKind::paren)
        e->args[i] = e->args[i]->lhs;
      ValueType t = e->args[i]->type();
      if (t != f->arg_types[i])
        return query_error(e->args[i]->pos,
                           "expected type " + std::string(value_type_name(f->arg_types[i])) +
                               " in call to function \"" + name + "\", got " + value_type_name(t));
      if (f->arg_types[i] == ValueType::matrix && e->args[i]->kind != ExprKind::matrix_selector)
        return query_error(e->args[i]->pos,
                           "expected a range selector in call to function \"" + name + "\"");
      e->depth = std::max(e->depth, e->args[i]->depth + 1);
    }
    TT_TRY(check_depth(*e));
    return ExprPtr(e);
  }

  Result<ExprPtr> parse_aggregate(AggOp op, const std::string& name, std::size_t pos) {
    auto e = node(ExprKind::aggregate, pos);
    e->agg = op;
    e->text = ascii_lower(name);
    bool have_grouping = false;
    auto parse_grouping = [&]() -> Result<void> {
      if (have_grouping) return query_error(m_tok.pos, "grouping given twice");
      e->without = is_keyword("without");
      TT_TRY(advance());
      auto l = parse_label_list();
      if (!l) return l.error();
      e->grouping = std::move(l.value());
      have_grouping = true;
      return ok();
    };
    if (is_keyword("by") || is_keyword("without")) TT_TRY(parse_grouping());
    TT_TRY(expect(Tok::lparen, "'('"));
    std::vector<ExprPtr> args;
    while (m_tok.kind != Tok::rparen) {
      auto a = parse_expr(1);
      if (!a) return a;
      args.push_back(std::move(a.value()));
      if (m_tok.kind == Tok::comma)
        TT_TRY(advance());
      else if (m_tok.kind != Tok::rparen)
        return query_error(m_tok.pos, "expected ',' or ')' in aggregation, got " + describe(m_tok));
    }
    TT_TRY(advance());
    if (is_keyword("by") || is_keyword("without")) TT_TRY(parse_grouping());
    bool has_param = op == AggOp::topk || op == AggOp::bottomk || op == AggOp::quantile;
    std::size_t want = has_param ? 2 : 1;
    if (args.size() != want)
      return query_error(pos,
                         "wrong number of arguments for aggregate expression provided, expected " +
                             std::to_string(want) + ", got " + std::to_string(args.size()));
    if (has_param) {
      e->param = std::move(args[0]);
      if (e->param->type() != ValueType::scalar)
        return query_error(e->param->pos, "expected type scalar in aggregation parameter, got " +
                                              std::string(value_type_name(e->param->type())));
      e->depth = e->param->depth + 1;
    }
    e->expr = std::move(args.back());
    if (e->expr->type() != ValueType::vector)
      return query_error(e->expr->pos,
                         "expected type instant vector in aggregation expression, got " +
                             std::string(value_type_name(e->expr->type())));
    e->depth = std::max(e->depth, e->expr->depth + 1);
    TT_TRY(check_depth(*e));
    return ExprPtr(e);
  }

  Lexer m_lex;
  Token m_tok;
  int m_depth = 0;
};

}  // namespace

const char* value_type_name(ValueType t) {
  switch (t) {
    case ValueType::scalar:
      return "scalar";
    case ValueType::vector:
      return "instant vector";
    case ValueType::matrix:
      return "range vector";
    case ValueType::string:
      return "string";
  }
  return "?";
}

bool is_comparison(BinOp op) {
  return op == BinOp::eq || op == BinOp::ne || op == BinOp::gt || op == BinOp::lt ||
         op == BinOp::ge || op == BinOp::le;
}
bool is_set_op(BinOp op) { return op == BinOp::land || op == BinOp::lor || op == BinOp::lunless; }

const char* binop_name(BinOp op) { return kBinOps[static_cast<std::size_t>(op)].name; }

const char* aggop_name(AggOp op) { return kAggNames[static_cast<std::size_t>(op)]; }

ValueType Expr::type() const {
  switch (kind) {
    case ExprKind::number:
      return ValueType::scalar;
    case ExprKind::string:
      return ValueType::string;
    case ExprKind::vector_selector:
      return ValueType::vector;
    case ExprKind::matrix_selector:
      return ValueType::matrix;
    case ExprKind::call:
      return func->result;
    case ExprKind::aggregate:
      return ValueType::vector;
    case ExprKind::binary:
      return lhs->type() == ValueType::scalar && rhs->type() == ValueType::scalar
                 ? ValueType::scalar
                 : ValueType::vector;
    case ExprKind::unary_minus:
    case ExprKind::paren:
      return lhs->type();
  }
  return ValueType::scalar;
}

Result<ExprPtr> parse_expr(std::string_view text) {
  if (text.size() > kMaxQueryBytes)
    return query_error(kMaxQueryBytes,
                       "query longer than " + std::to_string(kMaxQueryBytes) + " bytes");
  // Checked once here, so no message that quotes the query (and no regex) sees broken text.
  if (auto valid = valid_utf8_prefix(text); valid != text.size())
    return query_error(valid, "invalid UTF-8 rune");
  Parser p(text);
  return p.parse_all();
}

Result<std::vector<Matcher>> parse_selector(std::string_view text) {
  if (text.size() > kMaxQueryBytes)
    return Error::make(ErrorKind::validation, "BAD_SELECTOR", "selector too long");
  if (auto valid = valid_utf8_prefix(text); valid != text.size())
    return Error::make(ErrorKind::validation, "BAD_SELECTOR",
                       "at position " + std::to_string(valid) + ": invalid UTF-8 rune");
  Parser p(text);
  auto r = p.parse_selector_only();
  if (!r) {
    Error e = std::move(r).error();
    e.code = "BAD_SELECTOR";
    return e;
  }
  return r;
}

}  // namespace tt::query
