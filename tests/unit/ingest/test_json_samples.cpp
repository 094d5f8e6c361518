#include <doctest/doctest.h>
#include <fmt/format.h>

#include <bit>
#include <cmath>
#include <string>

#include "ingest/ingest.h"
#include "render.h"

using namespace tt;
using namespace tt::ingest;
using tt::ingest::test::render;

namespace {

struct TextCase {
  const char* what;
  std::string_view input;
  std::string_view expected;
};

struct ErrorCase {
  const char* what;
  std::string input;
  std::string_view path;
  std::string_view message_part;
};

}  // namespace

TEST_CASE("JSON samples: accepted input, table") {
  const TextCase cases[] = {
      {"one series",
       R"({"series":[{"metric":"up","labels":{"job":"a","env":"p"},"timestamps":[1,2],"values":[1,0]}]})",
       "up{env=\"p\",job=\"a\"} 1@1 0@2\n"},
      {"labels are optional", R"({"series":[{"metric":"up","timestamps":[5],"values":[2.5]}]})",
       "up{} 2.5@5\n"},
      {"special values as strings",
       R"({"series":[{"metric":"m","timestamps":[1,2,3,4],"values":["NaN","+Inf","-Inf","Inf"]}]})",
       "m{} NaN@1 +Inf@2 -Inf@3 +Inf@4\n"},
      {"integers, exponents, negative timestamps",
       R"({"series":[{"metric":"m","timestamps":[-1,0],"values":[-7,1e3]}]})",
       "m{} -7@-1 1000@0\n"},
      {"empty label values are dropped",
       R"({"series":[{"metric":"m","labels":{"a":"","b":"x"},"timestamps":[1],"values":[1]}]})",
       "m{b=\"x\"} 1@1\n"},
      {"consecutive entries of one series are merged", R"({"series":[
         {"metric":"m","labels":{"a":"1"},"timestamps":[1],"values":[1]},
         {"metric":"m","labels":{"a":"1"},"timestamps":[2],"values":[2]},
         {"metric":"n","timestamps":[3],"values":[3]}]})",
       "m{a=\"1\"} 1@1 2@2\nn{} 3@3\n"},
      {"an entry without samples adds nothing",
       R"({"series":[{"metric":"m","timestamps":[],"values":[]}]})", ""},
      {"no series", R"({"series":[]})", ""},
      {"key order does not matter", R"({"series":[{"values":[1],"timestamps":[1],"metric":"m"}]})",
       "m{} 1@1\n"},
  };
  for (const auto& c : cases) {
    INFO(std::string(c.what));
    auto r = parse_json_samples(c.input);
    CHECK(render(r) == c.expected);
    CHECK(r.error_count == 0);
  }
}

TEST_CASE("JSON samples: rejected entries, table (path, message)") {
  const ErrorCase cases[] = {
      {"not JSON", "{\"series\":[", "", "malformed JSON at byte"},
      {"too deep", std::string(100, '[') + std::string(100, ']'), "", "deeper than"},
      {"not an object", "[]", "", "must be an object"},
      {"no series", "{}", "series", "is required"},
      {"series not an array", R"({"series":{}})", "series", "must be an array"},
      {"unknown top-level key", R"({"series":[],"extra":1})", "extra", "unknown field"},
      {"entry not an object", R"({"series":[1]})", "series[0]", "must be an object"},
      {"missing metric", R"({"series":[{"timestamps":[1],"values":[1]}]})", "series[0].metric",
       "is required"},
      {"metric not a string", R"({"series":[{"metric":1,"timestamps":[1],"values":[1]}]})",
       "series[0].metric", "must be a string"},
      {"invalid metric name", R"({"series":[{"metric":"a-b","timestamps":[1],"values":[1]}]})",
       "series[0].metric", "invalid metric name \"a-b\""},
      {"labels not an object",
       R"({"series":[{"metric":"m","labels":[],"timestamps":[1],"values":[1]}]})",
       "series[0].labels", "must be an object"},
      {"label value not a string",
       R"({"series":[{"metric":"m","labels":{"a":1},"timestamps":[1],"values":[1]}]})",
       "series[0].labels.a", "must be a string"},
      {"invalid label name",
       R"({"series":[{"metric":"m","labels":{"1a":"x"},"timestamps":[1],"values":[1]}]})",
       "series[0].labels.1a", "invalid label name \"1a\""},
      {"reserved label name",
       R"({"series":[{"metric":"m","labels":{"__name__":"x"},"timestamps":[1],"values":[1]}]})",
       "series[0].labels.__name__", "reserved"},
      {"missing timestamps", R"({"series":[{"metric":"m","values":[1]}]})", "series[0].timestamps",
       "is required"},
      {"missing values", R"({"series":[{"metric":"m","timestamps":[1]}]})", "series[0].values",
       "is required"},
      {"float timestamp", R"({"series":[{"metric":"m","timestamps":[1,1.5],"values":[1,2]}]})",
       "series[0].timestamps[1]", "must be an integer"},
      {"timestamp beyond int64",
       R"({"series":[{"metric":"m","timestamps":[9223372036854775808],"values":[1]}]})",
       "series[0].timestamps[0]", "out of range"},
      {"string timestamp", R"({"series":[{"metric":"m","timestamps":["1"],"values":[1]}]})",
       "series[0].timestamps[0]", "must be an integer"},
      {"bad special value", R"({"series":[{"metric":"m","timestamps":[1,2],"values":[1,"nan"]}]})",
       "series[0].values[1]", "must be a number or one of"},
      {"null value", R"({"series":[{"metric":"m","timestamps":[1],"values":[null]}]})",
       "series[0].values[0]", "must be a number"},
      {"lengths differ", R"({"series":[{"metric":"m","timestamps":[1,2],"values":[1]}]})",
       "series[0].values", "has 1 elements but timestamps has 2"},
      {"unknown key in an entry",
       R"({"series":[{"metric":"m","value":[1],"timestamps":[1],"values":[1]}]})",
       "series[0].value", "unknown field"},
      {"too many labels",
       fmt::format(
           R"({{"series":[{{"metric":"m","labels":{{{}}},"timestamps":[1],"values":[1]}}]}})",
           [] {
             std::string s;
             for (int i = 0; i < 65; ++i) s += fmt::format("{}\"l{}\":\"v\"", i ? "," : "", i);
             return s;
           }()),
       "series[0].labels", "too many labels: 65"},
  };
  for (const auto& c : cases) {
    INFO(std::string(c.what));
    auto r = parse_json_samples(c.input);
    CHECK(r.series.empty());
    REQUIRE(r.error_count == 1);
    CHECK(r.errors[0].line == 0);
    CHECK(r.errors[0].column == 0);
    CHECK(r.errors[0].path == c.path);
    CHECK_MESSAGE(r.errors[0].message.find(c.message_part) != std::string::npos,
                  r.errors[0].message);
  }
}

TEST_CASE("JSON samples: bad entries are reported by path, good ones still parse") {
  auto r = parse_json_samples(R"({"series":[
      {"metric":"a","timestamps":[1],"values":[1]},
      {"metric":"b","timestamps":[1,2,3,4,5,6,7,8],"values":[1,2,3,4,5,6,7,"x"]},
      {"metric":"c","timestamps":[3],"values":[3]}]})");
  CHECK(render(r) ==
        "a{} 1@1\nc{} 3@3\n"
        "E series[1].values[7]: must be a number or one of \"NaN\", \"+Inf\", \"-Inf\"\n");
  CHECK(r.sample_count == 2);
}

TEST_CASE("JSON samples: special values are bit-exact") {
  auto r = parse_json_samples(
      R"({"series":[{"metric":"m","timestamps":[1,2,3,4],"values":["NaN","+Inf","-Inf",-0.0]}]})");
  REQUIRE(r.sample_count == 4);
  const auto& s = r.series[0].samples;
  CHECK(std::bit_cast<std::uint64_t>(s[0].v) == kNormalNanBits);
  CHECK((std::isinf(s[1].v) && s[1].v > 0));
  CHECK((std::isinf(s[2].v) && s[2].v < 0));
  CHECK(s[3].v == 0.0);
  CHECK(std::signbit(s[3].v));
}

TEST_CASE("make_label_set: validates, drops empty values, sorts, adds __name__") {
  auto ok = make_label_set("http_requests_total", {{"path", "/"}, {"code", "200"}, {"empty", ""}});
  REQUIRE(ok.ok());
  CHECK(*ok == LabelSet{{"__name__", "http_requests_total"}, {"code", "200"}, {"path", "/"}});

  struct Bad {
    std::string_view metric;
    std::vector<Label> labels;
    std::string_view code;
    std::string_view field;
  };
  const Bad bad[] = {
      {"", {}, "INVALID_METRIC_NAME", "metric"},
      {"a.b", {}, "INVALID_METRIC_NAME", "metric"},
      {"m", {{"a", "1"}, {"a", "2"}}, "DUPLICATE_LABEL", "labels.a"},
      {"m", {{"__x", "1"}}, "INVALID_LABEL", "labels.__x"},
      {"m", {{"a-b", "1"}}, "INVALID_LABEL", "labels.a-b"},
      {"m", {{"", "1"}}, "INVALID_LABEL", "labels."},
      {"m", {{"a", std::string(4097, 'x')}}, "INVALID_LABEL", "labels.a"},
      {"m", {{"a", "\xc3"}}, "INVALID_LABEL", "labels.a"},
  };
  for (const auto& b : bad) {
    INFO(std::string(b.metric), " ", std::string(b.code));
    auto r = make_label_set(b.metric, b.labels);
    REQUIRE(!r.ok());
    CHECK(r.error().kind == ErrorKind::validation);
    CHECK(r.error().code == b.code);
    REQUIRE(r.error().fields.size() == 1);
    CHECK(r.error().fields[0].field == b.field);
  }
  std::vector<Label> many;
  for (int i = 0; i < 65; ++i) many.push_back({fmt::format("l{}", i), "v"});
  auto r = make_label_set("m", many);
  REQUIRE(!r.ok());
  CHECK(r.error().code == "TOO_MANY_LABELS");
  many.pop_back();
  CHECK(make_label_set("m", many).ok());
}
