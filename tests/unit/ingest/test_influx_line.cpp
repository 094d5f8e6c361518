#include <doctest/doctest.h>
#include <fmt/format.h>

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
  std::string_view expected;
};

struct ErrorCase {
  const char* what;
  std::string input;
  std::size_t line;
  std::size_t column;
  std::string_view message_part;
};

ParseResult parse_ms(std::string_view body) { return parse_influx_line(body, Precision::ms, kNow); }

}  // namespace

TEST_CASE("influx line protocol: accepted input, table (precision ms)") {
  const TextCase cases[] = {
      {"measurement_field, tags as labels", "cpu,host=a,region=eu usage=1.5 1000\n",
       "cpu_usage{host=\"a\",region=\"eu\"} 1.5@1000\n"},
      {"the field 'value' names just the measurement", "temp,room=k value=21 5\n",
       "temp{room=\"k\"} 21@5\n"},
      {"no tags, no timestamp", "load x=1\n", "load_x{} 1@1700000000000\n"},
      {"several fields, several series", "cpu,h=a u=1,s=2 7\n",
       "cpu_u{h=\"a\"} 1@7\ncpu_s{h=\"a\"} 2@7\n"},
      {"fields of consecutive lines with the same tags are grouped",
       "cpu,h=a u=1,s=2 1\ncpu,h=a u=3,s=4 2\ncpu,h=b u=5 3\n",
       "cpu_u{h=\"a\"} 1@1 3@2\ncpu_s{h=\"a\"} 2@1 4@2\ncpu_u{h=\"b\"} 5@3\n"},
      {"integers, unsigned, floats", "m a=42i,b=-42i,c=42u,d=1e3,e=-1.5,f=.5,g=+2 1\n",
       "m_a{} 42@1\nm_b{} -42@1\nm_c{} 42@1\nm_d{} 1000@1\nm_e{} -1.5@1\nm_f{} 0.5@1\nm_g{} 2@1\n"},
      {"int64 and uint64 extremes",
       "m a=9223372036854775807i,b=-9223372036854775808i,c=18446744073709551615u 1\n",
       "m_a{} 9.223372036854776e+18@1\nm_b{} -9.223372036854776e+18@1\nm_c{} "
       "1.8446744073709552e+19@1\n"},
      {"booleans", "m a=t,b=T,c=true,d=True,e=TRUE,f=f,g=F,h=false,i=False,j=FALSE 1\n",
       "m_a{} 1@1\nm_b{} 1@1\nm_c{} 1@1\nm_d{} 1@1\nm_e{} 1@1\n"
       "m_f{} 0@1\nm_g{} 0@1\nm_h{} 0@1\nm_i{} 0@1\nm_j{} 0@1\n"},
      {"string fields are skipped, with escapes, blanks, commas and '=' inside",
       "m s=\"a \\\"q\\\" b, c=d \\\\\",x=1,t=\"\" 1\n", "m_x{} 1@1\n"},
      {"escapes in measurement, tag keys and values",
       "my\\ cpu\\,x,ho\\ st=a\\ b\\,c\\=d\\\\e v=1 1\n", "my_cpu_x_v{ho_st=\"a b,c=d\\e\"} 1@1\n"},
      {"escaped '=' and blank in a field key", "m f\\=o\\ o=1 1\n", "m_f_o_o{} 1@1\n"},
      {"other backslashes stay", "m,t=a\\b v=1 1\n", "m_v{t=\"a\\b\"} 1@1\n"},
      {"names are sanitised", "cpu.load-avg,host.name=x 1m=1 1\n",
       "cpu_load_avg_1m{host_name=\"x\"} 1@1\n"},
      {"a leading digit gets an underscore", "1m,2t=x value=1 1\n", "_1m{_2t=\"x\"} 1@1\n"},
      {"one underscore per UTF-8 character", "température,pièce=cuisine value=1 1\n",
       "temp_rature{pi_ce=\"cuisine\"} 1@1\n"},
      {"':' stays in metric names, not in label names", "a:b,c:d=x value=1 1\n",
       "a:b{c_d=\"x\"} 1@1\n"},
      {"UTF-8 tag values are kept", "m,city=Zürich v=1 1\n", "m_v{city=\"Zürich\"} 1@1\n"},
      {"comments, blank lines, CRLF, no final newline", "# a comment\n\n  \r\nm v=1 1\r\nm v=2 2",
       "m_v{} 1@1 2@2\n"},
      {"tags are sorted", "m,z=1,a=2,M=3 v=1 1\n", "m_v{M=\"3\",a=\"2\",z=\"1\"} 1@1\n"},
      {"negative timestamp", "m v=1 -5\n", "m_v{} 1@-5\n"},
      {"blanks around the timestamp", "m v=1   5  \n", "m_v{} 1@5\n"},
  };
  for (const auto& c : cases) {
    INFO(std::string(c.what));
    auto r = parse_ms(c.input);
    CHECK(render(r) == c.expected);
    CHECK(r.error_count == 0);
  }
}

TEST_CASE("influx line protocol: string fields are counted as skipped") {
  auto r = parse_ms("m s=\"x\",v=1 1\nm only=\"strings\",too=\"here\" 2\n");
  CHECK(r.skipped_fields == 3);
  CHECK(r.sample_count == 1);
  CHECK(r.error_count == 0);
}

TEST_CASE("influx line protocol: precision conversions") {
  struct Case {
    Precision p;
    std::string_view ts;
    TimeMs expected_ms;
  };
  const Case cases[] = {
      {Precision::ns, "1700000000123456789", 1'700'000'000'123},
      {Precision::ns, "999999", 0},
      {Precision::ns, "-1", -1},  // floor: the millisecond the instant falls in
      {Precision::ns, "-1000000", -1},
      {Precision::ns, "-1000001", -2},
      {Precision::us, "1700000000123999", 1'700'000'000'123},
      {Precision::us, "-1", -1},
      {Precision::ms, "1700000000123", 1'700'000'000'123},
      {Precision::s, "1700000000", 1'700'000'000'000},
      {Precision::s, "-2", -2'000},
      {Precision::m, "28333333", 1'699'999'980'000},
      {Precision::h, "472222", 1'699'999'200'000},
      {Precision::ns, "9223372036854775807", 9'223'372'036'854},
  };
  for (const auto& c : cases) {
    INFO(std::string(c.ts));
    auto r = parse_influx_line(fmt::format("m v=1 {}\n", c.ts), c.p, kNow);
    REQUIRE(r.sample_count == 1);
    CHECK(r.series[0].samples[0].t == c.expected_ms);
  }
  auto over = parse_influx_line("m v=1 9223372036854776\n", Precision::s, kNow);
  REQUIRE(over.error_count == 1);
  CHECK(over.errors[0].message == "timestamp \"9223372036854776\" out of range");
  CHECK(parse_influx_line("m v=1 2562047788016\n", Precision::h, kNow).error_count == 1);
  CHECK(parse_influx_line("m v=1\n", Precision::h, kNow).series[0].samples[0].t == kNow);
}

TEST_CASE("influx line protocol: precision names") {
  const std::pair<std::string_view, Precision> ok[] = {
      {"n", Precision::ns},  {"ns", Precision::ns}, {"u", Precision::us}, {"us", Precision::us},
      {"ms", Precision::ms}, {"s", Precision::s},   {"m", Precision::m},  {"h", Precision::h}};
  for (auto [text, p] : ok) {
    auto r = parse_precision(text);
    REQUIRE(r.ok());
    CHECK(*r == p);
  }
  for (std::string_view bad : {"", "x", "NS", "sec", "mus", "d"}) {
    auto r = parse_precision(bad);
    REQUIRE(!r.ok());
    CHECK(r.error().code == "INVALID_PRECISION");
    CHECK(r.error().kind == ErrorKind::invalid_input);
  }
}

TEST_CASE("influx line protocol: rejected lines, table (line, column, message)") {
  const ErrorCase cases[] = {
      {"no field set", "cpu\n", 1, 4, "expected a field set"},
      {"no field set after tags", "cpu,h=a\n", 1, 8, "expected a field set"},
      {"blank but no fields", "cpu,h=a  \n", 1, 10, "expected a field set"},
      {"tag named __name__", "cpu,__name__=x v=1\n", 1, 5, "label name \"__name__\" is reserved"},
      {"tag sanitised to a reserved name", "cpu,_.x=y v=1\n", 1, 5, "is reserved"},
      {"empty tag value", "cpu,h= v=1\n", 1, 7, "tag \"h\" has no value"},
      {"tag without '='", "cpu,h v=1\n", 1, 6, "expected '=' after tag key \"h\""},
      {"empty tag key", "cpu,=a v=1\n", 1, 5, "expected a tag key"},
      {"tags equal after sanitising", "cpu,a.b=1,a_b=2 v=1\n", 1, 11,
       "duplicate label name \"a_b\""},
      {"missing measurement", ",h=a v=1\n", 1, 1, "expected a measurement name"},
      {"bad float", "m v=abc\n", 1, 5, "invalid value \"abc\" of field \"v\""},
      {"two dots", "m v=1.5.5\n", 1, 5, "invalid value"},
      {"NaN is not a line-protocol float", "m v=NaN\n", 1, 5, "invalid value \"NaN\""},
      {"Inf is not a line-protocol float", "m v=-Inf\n", 1, 5, "invalid value"},
      {"integer with a fraction", "m v=1.5i\n", 1, 5, "invalid value \"1.5i\""},
      {"integer overflow", "m v=9223372036854775808i\n", 1, 5, "invalid value"},
      {"negative unsigned", "m v=-1u\n", 1, 5, "invalid value \"-1u\""},
      {"bad boolean", "m v=tRUE\n", 1, 5, "invalid value"},
      {"field without a value", "m v=\n", 1, 5, "field \"v\" has no value"},
      {"field without '='", "m v 1\n", 1, 4, "expected '=' after field key \"v\""},
      {"empty field key", "m =1\n", 1, 3, "expected a field key"},
      {"trailing comma in fields", "m v=1, 5\n", 1, 7, "expected a field key"},
      {"unterminated string", "m s=\"abc 5\n", 1, 5, "unterminated string value of field \"s\""},
      {"quote right after a value", "m v=1\"x\"\n", 1, 5, "invalid value"},
      {"bad timestamp", "m v=1 12:00\n", 1, 7, "invalid timestamp \"12:00\""},
      {"float timestamp", "m v=1 1.5\n", 1, 7, "invalid timestamp"},
      {"text after the timestamp", "m v=1 5 6\n", 1, 9, "unexpected text after the timestamp"},
      {"invalid UTF-8 in a tag value", "m,t=\xff v=1\n", 1, 3, "not valid UTF-8"},
      {"tag value too long", "m,t=" + std::string(4097, 'x') + " v=1\n", 1, 3,
       "longer than 4096 bytes"},
      {"metric name too long after adding the field", "m" + std::string(250, 'm') + " field=1\n", 1,
       1, "longer than 256 bytes"},
  };
  for (const auto& c : cases) {
    INFO(std::string(c.what));
    auto r = parse_ms(c.input);
    CHECK(r.series.empty());
    CHECK(r.sample_count == 0);
    REQUIRE(r.error_count == 1);
    CHECK(r.errors[0].line == c.line);
    CHECK(r.errors[0].column == c.column);
    CHECK_MESSAGE(r.errors[0].message.find(c.message_part) != std::string::npos,
                  r.errors[0].message);
  }
}

TEST_CASE("influx line protocol: a line with one bad field contributes nothing") {
  auto r = parse_ms("m a=1,b=oops,c=3 1\nm a=4 2\n");
  CHECK(render(r) ==
        "m_a{} 4@2\nE 1:9 invalid value \"oops\" of field \"b\": expected a finite "
        "float, an integer like 42i or 42u, a boolean, or a \"string\"\n");
  CHECK(r.sample_count == 1);
  CHECK(r.skipped_fields == 0);
}

TEST_CASE("influx line protocol: a failed tag set is rebuilt for the next line") {
  auto r = parse_ms("m,__x=1 v=1 1\nm,__x=1 v=2 2\nm,x=1 v=3 3\n");
  CHECK(r.error_count == 2);
  CHECK(render(r).starts_with("m_v{x=\"1\"} 3@3\n"));
}

TEST_CASE("influx line protocol: limits") {
  SUBCASE("65 tags") {
    std::string line = "m";
    for (int i = 0; i < 65; ++i) line += fmt::format(",t{}=v", i);
    auto r = parse_ms(line + " v=1\n");
    REQUIRE(r.error_count == 1);
    CHECK(r.errors[0].message == "tag: too many labels: 65 (limit 64)");
  }
  SUBCASE("many fields in one line stay fast") {
    std::string line = "m";
    for (int i = 0; i < 20'000; ++i) line += fmt::format("{}f{}=1", i ? ',' : ' ', i);
    auto r = parse_ms(line + "\n" + line + "\n");
    CHECK(r.error_count == 0);
    CHECK(r.sample_count == 40'000);
  }
}

TEST_CASE("influx line protocol: 10k lines parse quickly and completely") {
  std::string body;
  for (int i = 0; i < 10'000; ++i)
    body += fmt::format("cpu,host=h{},cpu=cpu{} user={}.5,system=2i,idle=t {}\n", i / 8, i % 8, i,
                        1'700'000'000'000'000'000 + std::int64_t{i} * 1'000'000);
  auto t0 = std::chrono::steady_clock::now();
  auto r = parse_influx_line(body, Precision::ns, kNow);
  auto elapsed = std::chrono::steady_clock::now() - t0;
  CHECK(r.error_count == 0);
  CHECK(r.sample_count == 30'000);
  CHECK(r.series.back().samples.back().t == 1'700'000'000'000 + 9'999);
  CHECK(elapsed < std::chrono::seconds(2));
}
