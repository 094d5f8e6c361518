#include <doctest/doctest.h>
#include <fmt/format.h>

#include <bit>
#include <chrono>
#include <cmath>
#include <string>

#include "ingest/ingest.h"
#include "render.h"

using namespace tt;
using namespace tt::ingest;
using tt::ingest::test::render;

namespace {

constexpr TimeMs kNow = 1'700'000'000'000;

struct TextCase {
  const char* what;
  std::string_view input;
  std::string_view expected;  // render() of the result
};

struct ErrorCase {
  const char* what;
  std::string_view input;
  std::size_t line;
  std::size_t column;
  std::string_view message_part;
};

}  // namespace

TEST_CASE("prometheus text: accepted input, table") {
  const TextCase cases[] = {
      {"bare sample takes the default timestamp", "up 1\n", "up{} 1@1700000000000\n"},
      {"labels and a timestamp", "up{job=\"api\",instance=\"a:1\"} 0 1234\n",
       "up{instance=\"a:1\",job=\"api\"} 0@1234\n"},
      {"last line without newline", "a 1\nb 2", "a{} 1@1700000000000\nb{} 2@1700000000000\n"},
      {"CRLF line ends", "a{x=\"1\"} 1 5\r\nb 2 6\r\n", "a{x=\"1\"} 1@5\nb{} 2@6\n"},
      {"HELP, TYPE and other comments are skipped",
       "# HELP a Some help, with \"quotes\" and \\ backslashes\n# TYPE a counter\n#just a "
       "comment\n  # indented comment\na 1 7\n",
       "a{} 1@7\n"},
      {"blank and whitespace-only lines", "\n  \n\t\na 1 1\n\n", "a{} 1@1\n"},
      {"blanks around tokens, as Prometheus allows",
       "  a \t{ x = \"1\" ,\ty=\"2\" }\t 3  \t 9 \t\n", "a{x=\"1\",y=\"2\"} 3@9\n"},
      {"no blank between } and the value", "a{x=\"1\"}3 9\n", "a{x=\"1\"} 3@9\n"},
      {"trailing comma in the label list", "a{x=\"1\",} 1 1\n", "a{x=\"1\"} 1@1\n"},
      {"empty label list", "a{} 1 1\n", "a{} 1@1\n"},
      {"empty label value means absent", "a{x=\"\",y=\"2\"} 1 1\n", "a{y=\"2\"} 1@1\n"},
      {"escapes in label values", R"(a{x="back\\slash",y="q\"uote",z="new\nline"} 1 1)",
       "a{x=\"back\\slash\",y=\"q\"uote\",z=\"new\nline\"} 1@1\n"},
      {"an unknown escape is kept as written", R"(a{x="tab\there"} 1 1)",
       "a{x=\"tab\\there\"} 1@1\n"},
      {"braces, commas, '=' and '#' inside a value", R"(a{x="{a=b},#c"} 1 1)",
       "a{x=\"{a=b},#c\"} 1@1\n"},
      {"UTF-8 in values", "a{x=\"température ☃\"} 1 1\n", "a{x=\"température ☃\"} 1@1\n"},
      {"colons in metric names", "job:rate5m:sum 1 1\n", "job:rate5m:sum{} 1@1\n"},
      {"labels are sorted, __name__ among them", "a{Z=\"1\",b=\"2\",_c=\"3\",A=\"4\"} 1 1\n",
       "a{A=\"4\",Z=\"1\",_c=\"3\",b=\"2\"} 1@1\n"},
      {"consecutive samples of one series are grouped",
       "a{x=\"1\"} 1 1\na{x=\"1\"} 2 2\na{x=\"1\"} 3 3\n", "a{x=\"1\"} 1@1 2@2 3@3\n"},
      {"grouped also when spelled differently",
       "a{x=\"1\",y=\"2\"} 1 1\na{ y=\"2\", x=\"1\" } 2 2\n", "a{x=\"1\",y=\"2\"} 1@1 2@2\n"},
      {"interleaved series are separate entries", "a 1 1\nb 2 2\na 3 3\n",
       "a{} 1@1\nb{} 2@2\na{} 3@3\n"},
      {"a name that prefixes the previous one is another series", "ab 1 1\na 2 2\nabc 3 3\n",
       "ab{} 1@1\na{} 2@2\nabc{} 3@3\n"},
      {"numbers", "a 1e3 1\na -2.5E-3 2\na .5 3\na 1. 4\na +7 5\na 0001 6\n",
       "a{} 1000@1 -0.0025@2 0.5@3 1@4 7@5 1@6\n"},
      {"special values", "a NaN 1\na +Inf 2\na -Inf 3\na Inf 4\na nan 5\na -inf 6\na Infinity 7\n",
       "a{} NaN@1 +Inf@2 -Inf@3 +Inf@4 NaN@5 -Inf@6 +Inf@7\n"},
      {"tiny values underflow to zero as in Go", "a 1e-400 1\n", "a{} 0@1\n"},
      {"timestamps: negative, signed, zero", "a 1 -5\na 1 +6\na 1 0\n", "a{} 1@-5 1@6 1@0\n"},
      {"int64 timestamp extremes", "a 1 9223372036854775807\nb 1 -9223372036854775808\n",
       "a{} 1@9223372036854775807\nb{} 1@-9223372036854775808\n"},
      {"empty body", "", ""},
  };
  for (const auto& c : cases) {
    INFO(std::string(c.what));
    auto r = parse_prometheus_text(c.input, kNow);
    CHECK(render(r) == c.expected);
    CHECK(r.error_count == 0);
  }
}

TEST_CASE("prometheus text: rejected lines, table (line, column, message)") {
  const ErrorCase cases[] = {
      {"invalid metric name", "1abc 1\n", 1, 1, "invalid metric name \"1abc\""},
      {"invalid metric name char", "a-b 1\n", 1, 1, "invalid metric name \"a-b\""},
      {"invalid label name", "a{b-c=\"x\"} 1\n", 1, 3, "invalid label name \"b-c\""},
      {"label name starting with a digit", "a{1b=\"x\"} 1\n", 1, 3, "invalid label name \"1b\""},
      {"reserved label name", "a{__x=\"y\"} 1\n", 1, 3, "label name \"__x\" is reserved"},
      {"__name__ inside braces is reserved", "a{__name__=\"y\"} 1\n", 1, 3, "reserved"},
      {"duplicate label names", "a{x=\"1\",y=\"2\",x=\"3\"} 1\n", 1, 15,
       "duplicate label name \"x\""},
      {"duplicate even with an empty value", "a{x=\"\",x=\"3\"} 1\n", 1, 8,
       "duplicate label name \"x\""},
      {"missing value", "a\n", 1, 2, "expected a sample value"},
      {"missing value after labels", "a{x=\"1\"}\n", 1, 9, "expected a sample value"},
      {"bad value", "a xyz\n", 1, 3, "invalid sample value \"xyz\""},
      {"hex is not accepted", "a 0x10\n", 1, 3, "invalid sample value \"0x10\""},
      {"underscores are not accepted", "a 1_000\n", 1, 3, "invalid sample value"},
      {"signed NaN is not Go syntax", "a +NaN\n", 1, 3, "invalid sample value"},
      {"nan(payload) is not Go syntax", "a nan(1)\n", 1, 3, "invalid sample value"},
      {"overflowing value", "a 1e309\n", 1, 3, "invalid sample value \"1e309\""},
      {"incomplete exponent", "a 1e\n", 1, 3, "invalid sample value"},
      {"float timestamp", "a 1 1.5\n", 1, 5, "invalid timestamp \"1.5\""},
      {"timestamp beyond int64", "a 1 9223372036854775808\n", 1, 5, "invalid timestamp"},
      {"text after the timestamp", "a 1 2 3\n", 1, 7, "unexpected text after the timestamp"},
      {"unterminated label value", "a{x=\"1} 1\n", 1, 5, "unterminated value of label \"x\""},
      {"escaped closing quote leaves it unterminated", "a{x=\"1\\\"} 1\n", 1, 5, "unterminated"},
      {"missing '='", "a{x \"1\"} 1\n", 1, 5, "expected '=' after label name \"x\""},
      {"unquoted value", "a{x=1} 1\n", 1, 5, "expected '\"' to open the value of label \"x\""},
      {"missing comma", "a{x=\"1\" y=\"2\"} 1\n", 1, 9, "expected ',' or '}'"},
      {"unclosed label list", "a{x=\"1\"\n", 1, 8, "unexpected end of line in the label list"},
      {"double comma", "a{x=\"1\",,} 1\n", 1, 9, "expected a label name, found \",\""},
      {"lone brace", "{x=\"1\"} 1\n", 1, 1, "expected a metric name"},
      {"TYPE with an unknown type", "# TYPE a countr\n", 1, 10, "unknown metric type \"countr\""},
      {"TYPE with an invalid name", "# TYPE a-b counter\n", 1, 8, "invalid metric name \"a-b\""},
      {"TYPE without a type", "# TYPE a\n", 1, 9, "unknown metric type \"\""},
      {"error on the third line counts lines", "# c\n\nb{\n", 3, 3, "unexpected end of line"},
      {"columns count leading blanks", "   a xyz\n", 1, 6, "invalid sample value"},
      {"CR is not part of the line", "a 1 x\r\n", 1, 5, "invalid timestamp \"x\""},
      {"invalid UTF-8 value", "a{x=\"\xff\"} 1\n", 1, 3, "value of label \"x\" is not valid UTF-8"},
      {"overlong UTF-8", "a{x=\"\xc0\xaf\"} 1\n", 1, 3, "not valid UTF-8"},
      {"UTF-8 surrogate", "a{x=\"\xed\xa0\x80\"} 1\n", 1, 3, "not valid UTF-8"},
  };
  for (const auto& c : cases) {
    INFO(std::string(c.what));
    auto r = parse_prometheus_text(c.input, kNow);
    CHECK(r.series.empty());
    CHECK(r.sample_count == 0);
    REQUIRE(r.error_count == 1);
    REQUIRE(r.errors.size() == 1);
    CHECK(r.errors[0].line == c.line);
    CHECK(r.errors[0].column == c.column);
    CHECK(r.errors[0].path.empty());
    CHECK_MESSAGE(r.errors[0].message.find(c.message_part) != std::string::npos,
                  r.errors[0].message);
  }
}

TEST_CASE("prometheus text: special values are bit-exact") {
  auto r = parse_prometheus_text("a NaN 1\na +Inf 2\na -Inf 3\na -0 4\na 0 5\na -0.0e5 6\n", kNow);
  REQUIRE(r.series.size() == 1);
  const auto& s = r.series[0].samples;
  REQUIRE(s.size() == 6);
  CHECK(std::isnan(s[0].v));
  CHECK(std::bit_cast<std::uint64_t>(s[0].v) == kNormalNanBits);  // never the stale marker
  CHECK(std::isinf(s[1].v));
  CHECK(s[1].v > 0);
  CHECK(std::isinf(s[2].v));
  CHECK(s[2].v < 0);
  CHECK(s[3].v == 0.0);
  CHECK(std::signbit(s[3].v));
  CHECK(!std::signbit(s[4].v));
  CHECK(std::signbit(s[5].v));
  // Decimal text round-trips to the nearest double, as Go's ParseFloat.
  auto p = parse_prometheus_text("a 0.1\na 1.7976931348623157e308\na 5e-324\n", kNow);
  REQUIRE(p.sample_count == 3);
  CHECK(p.series[0].samples[0].v == 0.1);
  CHECK(p.series[0].samples[1].v == 1.7976931348623157e308);
  CHECK(p.series[0].samples[2].v == 5e-324);
}

TEST_CASE("prometheus text: a bad line is reported and the good lines still parse") {
  auto r = parse_prometheus_text("a 1 1\nb{ 2\nc 3 3\nd x\ne 5 5\n", kNow);
  CHECK(render(r) ==
        "a{} 1@1\nc{} 3@3\ne{} 5@5\n"
        "E 2:4 invalid label name \"2\": must match [a-zA-Z_][a-zA-Z0-9_]*\n"
        "E 4:3 invalid sample value \"x\"\n");
  CHECK(r.sample_count == 3);
  CHECK(r.error_count == 2);
}

TEST_CASE("prometheus text: a failed line does not break grouping of its neighbours") {
  auto r = parse_prometheus_text("a{x=\"1\"} 1 1\na{x=\"1\"} bad 2\na{x=\"1\"} 3 3\n", kNow);
  CHECK(render(r) == "a{x=\"1\"} 1@1 3@3\nE 2:10 invalid sample value \"bad\"\n");
}

TEST_CASE("prometheus text: error messages are short, quoted and printable") {
  std::string name(1000, 'x');
  name += "\x01-";
  auto r = parse_prometheus_text(name + " 1\n", kNow);
  REQUIRE(r.errors.size() == 1);
  CHECK(r.errors[0].message.size() < 200);
  for (char c : r.errors[0].message) CHECK((c >= 0x20 && c < 0x7f));
}

TEST_CASE("prometheus text: limits") {
  SUBCASE("label value of 4 KiB is fine, one byte more is not") {
    std::string ok = "a{x=\"" + std::string(kMaxLabelValueBytes, 'v') + "\"} 1\n";
    CHECK(parse_prometheus_text(ok, kNow).error_count == 0);
    std::string bad = "a{x=\"" + std::string(kMaxLabelValueBytes + 1, 'v') + "\"} 1\n";
    auto r = parse_prometheus_text(bad, kNow);
    REQUIRE(r.error_count == 1);
    CHECK(r.errors[0].column == 3);
    CHECK(r.errors[0].message == "value of label \"x\" is longer than 4096 bytes");
  }
  SUBCASE("metric name of 256 bytes is fine, 257 is not") {
    CHECK(parse_prometheus_text(std::string(256, 'm') + " 1", kNow).error_count == 0);
    auto r = parse_prometheus_text(std::string(257, 'm') + " 1", kNow);
    REQUIRE(r.error_count == 1);
    CHECK(r.errors[0].message.find("longer than 256 bytes") != std::string::npos);
  }
  SUBCASE("label name of 257 bytes") {
    auto r = parse_prometheus_text("a{" + std::string(257, 'n') + "=\"v\"} 1", kNow);
    REQUIRE(r.error_count == 1);
    CHECK(r.errors[0].message.find("longer than 256 bytes") != std::string::npos);
  }
  SUBCASE("64 labels are fine, 65 are not; empty values do not count") {
    auto line = [](int n, int empties) {
      std::string s = "a{";
      for (int i = 0; i < n; ++i) s += fmt::format("l{}=\"v\",", i);
      for (int i = 0; i < empties; ++i) s += fmt::format("e{}=\"\",", i);
      return s + "} 1\n";
    };
    auto ok = parse_prometheus_text(line(64, 10), kNow);
    CHECK(ok.error_count == 0);
    REQUIRE(ok.series.size() == 1);
    CHECK(ok.series[0].labels.size() == 65);
    auto r = parse_prometheus_text(line(65, 0), kNow);
    REQUIRE(r.error_count == 1);
    CHECK(r.errors[0].message == "too many labels: 65 (limit 64)");
    CHECK(r.errors[0].column == 2);
  }
  SUBCASE("at most 100 errors are kept, all are counted") {
    std::string body;
    for (int i = 0; i < 150; ++i) body += "bad-name 1\n";
    body += "good 1\n";
    auto r = parse_prometheus_text(body, kNow);
    CHECK(r.error_count == 150);
    CHECK(r.errors.size() == kMaxErrorsKept);
    CHECK(r.errors.back().line == 100);
    CHECK(r.sample_count == 1);
  }
  SUBCASE("more than a million series in one request") {
    std::string body;
    body.reserve(20'000'000);
    for (std::size_t i = 0; i <= kMaxSeriesPerRequest; ++i)
      fmt::format_to(std::back_inserter(body), "a{{i=\"{}\"}} 1\n", i);
    body += "a{i=\"0\"} 2\n";  // the limit counts entries: this would be a new one too
    auto r = parse_prometheus_text(body, kNow);
    CHECK(r.series.size() == kMaxSeriesPerRequest);
    CHECK(r.error_count == 2);
    REQUIRE(!r.errors.empty());
    CHECK(r.errors[0].line == kMaxSeriesPerRequest + 1);
    CHECK(r.errors[0].message == "too many series in one request (limit 1000000)");
  }
}

TEST_CASE("prometheus text: 10k lines parse quickly and completely") {
  std::string body;
  for (int i = 0; i < 10'000; ++i)
    body += fmt::format("# TYPE m{} gauge\nm{}{{instance=\"host-{}:9100\",job=\"node\"}} {}.5 {}\n",
                        i % 10, i % 10, i, i, 1'700'000'000'000 + i);
  auto t0 = std::chrono::steady_clock::now();
  auto r = parse_prometheus_text(body, kNow);
  auto elapsed = std::chrono::steady_clock::now() - t0;
  CHECK(r.error_count == 0);
  CHECK(r.sample_count == 10'000);
  CHECK(r.series.size() == 10'000);
  CHECK(r.series[9'999].samples[0].v == 9'999.5);
  // Generous: about 3 ms in a release build; sanitizer builds are far slower.
  CHECK(elapsed < std::chrono::seconds(2));
}
