#include <doctest/doctest.h>

#include "core/scan.h"

using namespace tt::scan;

TEST_CASE("scan reads digit runs, exponents and identifiers by position") {
  CHECK(digits_end("123abc", 0) == 3);
  CHECK(digits_end("abc", 0) == 0);
  CHECK(exponent_end("1e10x", 1) == 4);
  CHECK(exponent_end("1e-3", 1) == 4);
  CHECK(exponent_end("1e+", 1) == 1);  // no digits: not an exponent
  CHECK(exponent_end("1s", 1) == 1);
  CHECK(ident_end("job_1 x", 0) == 5);
  CHECK(ident_end("a:b:c", 0) == 1);
  CHECK(ident_end("a:b:c", 0, ":") == 5);
  CHECK(skip_space(" \t\r\nx", 0) == 4);
}

TEST_CASE("scan decodes quoted strings with the basic escapes") {
  auto q = quoted_string(R"(x "a\"b\\c\n\t" y)", 2, Escapes::basic, false);
  CHECK(q.problem == QuotedString::Problem::none);
  CHECK(q.text == "a\"b\\c\n\t");
  CHECK(q.end == 15);
  auto unknown = quoted_string(R"("a\x41")", 0, Escapes::basic, false);
  CHECK(unknown.problem == QuotedString::Problem::unknown_escape);
  CHECK(unknown.problem_pos == 2);
  auto other_quote = quoted_string(R"("\'")", 0, Escapes::basic, false);
  CHECK(other_quote.problem == QuotedString::Problem::unknown_escape);
  auto open = quoted_string("\"abc", 0, Escapes::basic, false);
  CHECK(open.problem == QuotedString::Problem::unterminated);
  CHECK(open.problem_pos == 0);
  CHECK(quoted_string("\"a\nb\"", 0, Escapes::basic, false).text == "a\nb");
}

TEST_CASE("scan decodes Go's escapes, raw strings, and ends a line where told") {
  auto q = quoted_string(R"('\x41\u00e9\U0001F600\101\a\'')", 0, Escapes::go, true);
  CHECK(q.problem == QuotedString::Problem::none);
  CHECK(q.text ==
        "A\xC3\xA9\xF0\x9F\x98\x80"
        "A\a'");
  CHECK(quoted_string(R"(`a\nb`)", 0, Escapes::go, true).text == "a\\nb");
  CHECK(quoted_string("`a\nb`", 0, Escapes::go, true).text == "a\nb");
  CHECK(quoted_string("\"a\nb\"", 0, Escapes::go, true).problem ==
        QuotedString::Problem::unterminated);
  auto surrogate = quoted_string(R"("x\uD800")", 0, Escapes::go, true);
  CHECK(surrogate.problem == QuotedString::Problem::bad_escape);
  CHECK(surrogate.problem_pos == 2);
  CHECK(quoted_string(R"("\400")", 0, Escapes::go, true).problem ==
        QuotedString::Problem::bad_escape);
  CHECK(quoted_string(R"("\q")", 0, Escapes::go, true).problem ==
        QuotedString::Problem::unknown_escape);
}

TEST_CASE("scan names a quoted string's problems as PromQL's lexer reports them") {
  CHECK(to_string(QuotedString::Problem::unterminated) == "unterminated string");
  CHECK(to_string(QuotedString::Problem::unknown_escape) == "unknown escape sequence");
  CHECK(to_string(QuotedString::Problem::bad_escape) == "bad escape sequence");
  CHECK(to_string(QuotedString::Problem::none).empty());
}
