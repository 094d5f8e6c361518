// PromQL parser: precedence, associativity, literals, durations, selectors, error positions.
#include <doctest/doctest.h>

#include <chrono>
#include <cmath>

#include "query/ast.h"
#include "query/query.h"

using namespace tt;
using namespace tt::query;

namespace {

std::string norm(std::string_view q) {
  auto e = parse_expr(q);
  if (!e) return "ERROR: " + e.error().message;
  return to_string(*e.value());
}

// The "at position N" of a parse error, or -1 when the query parses.
long error_pos(std::string_view q) {
  auto e = parse_expr(q);
  if (e) return -1;
  CHECK(e.error().kind == ErrorKind::validation);
  CHECK(e.error().code == "BAD_QUERY");
  const std::string& m = e.error().message;
  REQUIRE(m.rfind("at position ", 0) == 0);
  return std::stol(m.substr(12));
}

}  // namespace

TEST_CASE("binary operator precedence follows Prometheus") {
  CHECK(norm("1 + 2 * 3") == "(1 + (2 * 3))");
  CHECK(norm("1 * 2 + 3") == "((1 * 2) + 3)");
  CHECK(norm("a - b - c") == "((a - b) - c)");
  CHECK(norm("a / b % c") == "((a / b) % c)");
  CHECK(norm("a > b + 1") == "(a > (b + 1))");
  CHECK(norm("a or b and c") == "(a or (b and c))");
  CHECK(norm("a and b unless c") == "((a and b) unless c)");
  CHECK(norm("a == b or c != d") == "((a == b) or (c != d))");
  CHECK(norm("(1 + 2) * 3") == "((1 + 2) * 3)");
}

TEST_CASE("^ is right-associative and binds tighter than unary minus") {
  CHECK(norm("2 ^ 3 ^ 2") == "(2 ^ (3 ^ 2))");
  CHECK(norm("-2 ^ 2") == "-(2 ^ 2)");
  CHECK(norm("2 ^ -1") == "(2 ^ -1)");
  CHECK(norm("-a * b") == "(-a * b)");
  CHECK(norm("-a + b") == "(-a + b)");
  CHECK(norm("- - 1") == "1");
  CHECK(norm("+1") == "1");
  CHECK(norm("a * -b") == "(a * -b)");
}

TEST_CASE("number and string literals") {
  auto num = [](std::string_view q) { return parse_expr(q).value()->number; };
  CHECK(num("42") == 42);
  CHECK(num("1.5e3") == 1500);
  CHECK(num(".5") == 0.5);
  CHECK(num("0x1F") == 31);
  CHECK(num("-7") == -7);
  CHECK(std::isinf(num("Inf")));
  CHECK(std::isnan(num("nan")));
  CHECK(parse_expr(R"("a\"b\n")").value()->text == "a\"b\n");
  CHECK(parse_expr(R"('it''s')").ok() == false);
  CHECK(parse_expr(R"('x\'y')").value()->text == "x'y");
  CHECK(parse_expr(R"(`raw\n`)").value()->text == "raw\\n");
  CHECK(parse_expr(R"("\u00e9\x41")").value()->text ==
        "\xc3\xa9"
        "A");
  CHECK(error_pos(R"(  "abc)") == 2);
  CHECK(error_pos(R"("a\qb")") == 2);
  CHECK(error_pos("12abc") == 0);
}

TEST_CASE("durations: units combine in order, zero and disorder are rejected") {
  CHECK(parse_expr("x[1h30m]").value()->range_ms == 5'400'000);
  CHECK(parse_expr("x[90s]").value()->range_ms == 90'000);
  CHECK(parse_expr("x[1d2h3m4s5ms]").value()->range_ms ==
        86'400'000 + 7'200'000 + 180'000 + 4'000 + 5);
  CHECK(parse_expr("x[1w]").value()->range_ms == 7 * 86'400'000LL);
  CHECK(parse_expr("x[1y]").value()->range_ms == 365 * 86'400'000LL);
  CHECK(parse_expr("x offset 1m30s").value()->offset_ms == 90'000);
  CHECK(parse_expr("x[5m] offset 1h").value()->offset_ms == 3'600'000);
  CHECK(parse_expr("x offset -5m").value()->offset_ms == -300'000);
  CHECK(error_pos("x[0s]") == 2);
  CHECK(error_pos("x[1m1h]") == 2);
  CHECK(error_pos("x[5]") == 2);
  CHECK(error_pos("x[5m") == 4);
  CHECK(error_pos("x[5m:1m]") == 4);
  CHECK(error_pos("rate(x[5m]) offset 5m") == 12);
  CHECK(error_pos("x offset 5m offset 1m") == 12);
  CHECK(error_pos("x[99999999999999999y]") >= 0);
}

TEST_CASE("aggregations: both grouping positions, case-insensitive keywords, parameters") {
  CHECK(norm("sum by (a, b) (x)") == "sum by (a, b) (x)");
  CHECK(norm("sum(x) by (a)") == "sum by (a) (x)");
  CHECK(norm("SUM WITHOUT (a) (x)") == "sum without (a) (x)");
  CHECK(norm("topk(3, x)") == "topk (3, x)");
  CHECK(norm("count by () (x)") == "count (x)");
  CHECK(error_pos("topk(x)") == 0);
  CHECK(error_pos("sum(1)") == 4);
  CHECK(error_pos("sum(x[5m])") == 4);
  CHECK(error_pos("sum by (a) (x) by (b)") == 15);
  CHECK(error_pos("sum by (1) (x)") == 8);
}

TEST_CASE("functions: argument count and types") {
  CHECK(norm("rate(x[5m])") == "rate(x[5m])");
  CHECK(norm("rate((x[5m]))") == "rate(x[5m])");
  CHECK(norm("round(x, 0.5)") == "round(x, 0.5)");
  CHECK(norm("time()") == "time()");
  CHECK(error_pos("nope(x)") == 0);
  CHECK(error_pos("rate(x)") == 5);
  CHECK(error_pos("abs(x[5m])") == 4);
  CHECK(error_pos("clamp_min(x)") == 0);
  CHECK(error_pos("time(1)") == 0);
  CHECK(error_pos("rate(sum(x)[5m])") == 11);
}

TEST_CASE("binary operator modifiers and type rules") {
  CHECK(norm("a > bool b") == "(a > bool b)");
  CHECK(norm("a + on(x, y) b") == "(a + on(x, y) b)");
  CHECK(norm("a * ignoring(x) group_left(z) b") == "(a * ignoring(x) group_left(z) b)");
  CHECK(norm("a * on(x) group_right b") == "(a * on(x) group_right() b)");
  CHECK(norm("1 < bool 2") == "(1 < bool 2)");
  CHECK(error_pos("1 == 2") == 2);
  CHECK(error_pos("a + bool b") == 4);
  CHECK(error_pos("a and 1") == 2);
  CHECK(error_pos("1 + on(x) a") == 2);
  CHECK(error_pos("a and on(x) group_left b") == 12);
  CHECK(error_pos("a * on(x) group_left(x) b") == 10);
  CHECK(error_pos("x[5m] + 1") == 6);
  CHECK(error_pos("-x[5m]") == 0);
  CHECK(error_pos("\"s\" + 1") == 4);
}

TEST_CASE("error positions point at the offending token") {
  CHECK(error_pos("sum(x") == 5);
  CHECK(error_pos("x{a=\"b\"") == 7);
  CHECK(error_pos("1 +") == 3);
  CHECK(error_pos("1 + )") == 4);
  CHECK(error_pos("x y") == 2);
  CHECK(error_pos("x{a=~\"(\"}") == 5);
  CHECK(error_pos("x{a=b}") == 4);
  CHECK(error_pos("x{a}") == 3);
  CHECK(error_pos("x @ 100") == 2);
  CHECK(error_pos("") == 0);
  CHECK(error_pos("x $") == 2);
  CHECK(error_pos("by") == 0);
}

TEST_CASE("nesting is limited, also for long operator chains") {
  std::string deep(200, '(');
  deep += "1";
  deep += std::string(200, ')');
  CHECK(error_pos(deep) >= 0);
  std::string chain = "1";
  for (int i = 0; i < 100000; ++i) chain += "+1";
  CHECK(parse_expr(chain).ok() == false);  // also too long (> kMaxQueryBytes)
  std::string chain2 = "1";
  for (int i = 0; i < 500; ++i) chain2 += "+1";
  CHECK(error_pos(chain2) >= 0);
  std::string minus(300, '-');
  CHECK(error_pos(minus + "1") >= 0);
  std::string ok = "1";
  for (int i = 0; i < 100; ++i) ok += "+1";
  CHECK(parse_expr(ok).ok());
}

TEST_CASE("parse_selector: all matcher ops, metric name, and BAD_SELECTOR errors") {
  auto m = parse_selector(R"(up{a="x",b=~"r.*",c!="y",d!~"z|w"})");
  REQUIRE(m.ok());
  REQUIRE(m->size() == 5);
  CHECK((*m)[0].name == "__name__");
  CHECK((*m)[0].value == "up");
  CHECK((*m)[1].op == MatchOp::equal);
  CHECK((*m)[2].op == MatchOp::regex);
  CHECK((*m)[3].op == MatchOp::not_equal);
  CHECK((*m)[4].op == MatchOp::not_regex);
  CHECK((*m)[2].matches("rabbit"));
  CHECK(!(*m)[2].matches("carrot"));  // anchored
  CHECK((*m)[4].matches("zw"));
  CHECK(!(*m)[4].matches("w"));
  CHECK(parse_selector(R"({__name__=~"node_.+"})").ok());
  CHECK(parse_selector(R"({a="x",})").ok());
  auto bad = [](std::string_view s) {
    auto r = parse_selector(s);
    if (r) return std::string("parsed");
    CHECK(r.error().kind == ErrorKind::validation);
    CHECK(r.error().code == "BAD_SELECTOR");
    return r.error().message;
  };
  CHECK(bad("{}").find("position 0") != std::string::npos);
  CHECK(bad(R"({a=""})").find("non-empty matcher") != std::string::npos);
  CHECK(bad(R"({a=~".*"})").find("non-empty matcher") != std::string::npos);
  CHECK(bad(R"(up{__name__="x"})").find("position 3") != std::string::npos);
  CHECK(bad(R"(up{a=~"[z-a]"})").find("position 6") != std::string::npos);
  CHECK(bad(R"x(up{a=~"(a)\1"})x") != "parsed");
  CHECK(bad(R"x(up{a=~"(?=a)"})x") != "parsed");
  CHECK(bad(R"(up{a=~"a{1001}"})") != "parsed");
  CHECK(bad("up + 1") != "parsed");
  CHECK(bad("rate(up[5m])") != "parsed");
}

TEST_CASE("regex matchers: a pathological pattern is refused at parse time, naming it") {
  // ~2.3 ms per label value under std::regex; refused before RE2 compiles it (RE2 would too).
  auto r = parse_selector(R"({a=~"((.?){100}){100}x"})");
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == "BAD_SELECTOR");
  CHECK(r.error().message.find("at position 4: ") == 0);
  CHECK(r.error().message.find(
            R"(invalid regex "((.?){100}){100}x": more than 100 repeated elements)") !=
        std::string::npos);
  // Too large for the memory bound: a hundred copies of a many-byte UTF-8 class.
  auto big = make_matcher("a", MatchOp::regex, R"(\pL{100})");
  REQUIRE_FALSE(big.ok());
  CHECK(big.error().message == R"(invalid regex "\pL{100}": pattern too large - compile failed)");
  // What RE2 does not have.
  CHECK(make_matcher("a", MatchOp::regex, R"((a)\1)").error().message ==
        R"(invalid regex "(a)\1": invalid escape sequence: \1)");
  CHECK(make_matcher("a", MatchOp::regex, "(?=a)").error().message ==
        R"x(invalid regex "(?=a)": invalid perl operator: (?=)x");
}

TEST_CASE(
    "regex matchers: repetitions beyond what the DFA holds in 1 MiB are refused; up to it, fast") {
  // RE2 takes this one, but its DFA outgrows the memory bound and the NFA takes ms per value.
  auto slow = make_matcher("a", MatchOp::regex, "((.?){10}){30}x");
  REQUIRE_FALSE(slow.ok());
  CHECK(slow.error().message.find(
            R"(invalid regex "((.?){10}){30}x": more than 100 repeated elements)") !=
        std::string::npos);
  CHECK_FALSE(make_matcher("a", MatchOp::regex, "(.?){60}(.?){50}").ok());  // they add up
  CHECK_FALSE(make_matcher("a", MatchOp::regex, "(?:.?.?.?.?){26}").ok());
  CHECK(make_matcher("a", MatchOp::regex, "(?i:.?){100}").ok());
  CHECK(make_matcher("a", MatchOp::regex,
                     R"([0-9a-f]{64}|\d{1,3}(\.\d{1,3}){3}|\p{Greek}+|[[:alpha:]{}]+\Q{1000}\E)")
            .ok());
  auto m = make_matcher("a", MatchOp::regex, "((.?){10}){10}x");
  REQUIRE(m.ok());
  std::vector<std::string> values;
  for (int i = 0; i < 10'000; ++i)
    values.push_back(std::string(static_cast<std::size_t>(i % 97), 'a') + (i % 2 ? "x" : "y"));
  auto start = std::chrono::steady_clock::now();
  int hits = 0;
  for (const auto& v : values) hits += m->matches(v);
  auto took = std::chrono::steady_clock::now() - start;
  CHECK(hits == 5000);
  CHECK(took < std::chrono::milliseconds(500));
}

TEST_CASE("regex matchers: anchored at both ends as Prometheus' ^(?:re)$, RE2 syntax") {
  auto m = [](const char* re) { return make_matcher("a", MatchOp::regex, re).value(); };
  CHECK(m("b|c").matches("b"));
  CHECK_FALSE(m("b|c").matches("bc"));
  CHECK_FALSE(m("b").matches("ab"));
  CHECK_FALSE(m("b").matches("ba"));
  CHECK(m("").matches(""));
  CHECK_FALSE(m(".").matches("\n"));  // Prometheus 2.x: no (?s)
  CHECK(m("(?s).").matches("\n"));
  CHECK(m("\\d+").matches("42"));
  CHECK(m("[[:alpha:]]+").matches("abc"));
  CHECK(m("é.").matches("éà"));  // UTF-8: one rune per dot
  CHECK(m("a{100}").matches(std::string(100, 'a')));
  // Pasting the pattern into ^(?:...)$ would take this as two half-anchored alternatives.
  CHECK_FALSE(make_matcher("a", MatchOp::regex, "a)|(b").ok());
  // One compiled regex for every matcher of the same pattern while one is alive.
  auto x = m("shared.*");
  CHECK(x.re == m("shared.*").re);
}

TEST_CASE("parse_expr and parse_selector refuse invalid UTF-8 with its position") {
  auto e = parse_expr("up\xff");
  REQUIRE_FALSE(e.ok());
  CHECK(e.error().code == "BAD_QUERY");
  CHECK(e.error().message == "at position 2: invalid UTF-8 rune");
  auto in_string = parse_expr("up{a=\"\xc3\"}");
  REQUIRE_FALSE(in_string.ok());
  CHECK(in_string.error().message == "at position 6: invalid UTF-8 rune");
  auto s = parse_selector("up{a=~\"\xed\xa0\x80\"}");  // a surrogate
  REQUIRE_FALSE(s.ok());
  CHECK(s.error().code == "BAD_SELECTOR");
  CHECK(s.error().message == "at position 7: invalid UTF-8 rune");
  CHECK(parse_expr("up{a=\"é\"}").ok());
}

TEST_CASE("regex matchers: case-insensitive flag, alternation, no catastrophic backtracking") {
  auto m = make_matcher("a", MatchOp::regex, "(?i)foo|bar");
  REQUIRE(m.ok());
  CHECK(m->matches("FOO"));
  CHECK(m->matches("Bar"));
  CHECK(!m->matches("foobar"));
  auto evil = make_matcher("a", MatchOp::regex, "(a|a)*(a|a)*b");
  REQUIRE(evil.ok());
  CHECK(!evil->matches(std::string(3000, 'a')));  // linear time: returns promptly
  auto nre = make_matcher("a", MatchOp::not_regex, "x.*");
  REQUIRE(nre.ok());
  CHECK(nre->matches(""));
  CHECK(!nre->matches("xyz"));
}
