// The condition language of checks, as tables: texts evaluated against observations (verdict
// and the detail people read) and texts that must not parse (position and message).
#include "checks/conditions.h"

#include <doctest/doctest.h>

#include <string>

#include "probes/kinds.h"

using namespace tt;
using namespace tt::checks;
using nlohmann::json;

namespace {

const std::vector<probes::FactSpec>& http() { return probes::http_kind().facts; }

json http_facts_json() {
  return json{
      {"status", 200},
      {"latency", 0.412},
      {"dns_time", 0.002},
      {"body",
       R"({"health":{"status":"green","checks":[1,2,3]},"ok":true,"weird key":"x","n":null})"},
      {"body_size", 77},
      {"headers",
       {{"content-type", "application/json; charset=utf-8"},
        {"set-cookie", json::array({"a=1", "b=2"})}}},
      {"final_url", "https://example.org/health"},
      {"http_version", "2"}};
}

Facts http_facts() { return Facts(http_facts_json()); }

struct EvalCase {
  const char* text;
  json facts;
  bool pass;
  std::string detail;  // a substring of the verdict's detail; "" to skip
};

struct ErrorCase {
  const char* text;
  std::size_t position;
  const char* message;  // a substring
};

void run_eval(const std::vector<probes::FactSpec>& kind, const std::vector<EvalCase>& cases) {
  for (const auto& c : cases) {
    std::string text = c.text;
    CAPTURE(text);
    ConditionError err;
    auto cond = Condition::parse(c.text, kind, err);
    INFO("parse error at ", err.position, ": ", err.message);
    REQUIRE(cond.has_value());
    CHECK(cond->text() == c.text);
    auto v = cond->evaluate(Facts(c.facts));
    INFO("detail: ", v.detail);
    CHECK(v.pass == c.pass);
    CHECK(v.detail.find(c.detail) != std::string::npos);
  }
}

void run_errors(const std::vector<probes::FactSpec>& kind, const std::vector<ErrorCase>& cases) {
  for (const auto& c : cases) {
    std::string text = c.text;
    CAPTURE(text);
    ConditionError err;
    auto cond = Condition::parse(c.text, kind, err);
    REQUIRE_FALSE(cond.has_value());
    INFO("message: ", err.message);
    CHECK(err.position == c.position);
    CHECK(err.message.find(c.message) != std::string::npos);
  }
}

}  // namespace

TEST_CASE("conditions on http facts: verdicts and details") {
  const json f = http_facts_json();
  json https = f;
  https["cert_days"] = 9;
  json slow = f;
  slow["latency"] = 1.234;
  json not_json = f;
  not_json["body"] = "<html>ok</html>";
  json long_body = f;
  long_body["body"] = std::string(200, 'x');
  run_eval(
      http(),
      {
          {"status == 200", f, true, "status = 200"},
          {"status == 200 && latency < 300ms", f, false, "latency = 412ms, wanted < 300ms"},
          {"status == 200 && latency < 0.5s", f, true, "status = 200, latency = 412ms"},
          {"latency < 1s", slow, false, "latency = 1.23s, wanted < 1s"},
          {"latency <= 412ms and latency >= 412ms", f, true, ""},
          {"latency < 1m30s", f, true, ""},
          {"status != 200 || latency > 300ms", f, true, "latency = 412ms"},
          {"status == 500 or status == 404", f, false,
           "status = 200, wanted == 500; status = 200, wanted == 404"},
          {"status >= 200 && status < 300 || status == 304", f, true, ""},
          {"status == 500 || status == 200 && latency < 1s", f, true, ""},  // && binds tighter
          {"(status == 500 || status == 200) && latency < 100ms", f, false, "latency = 412ms"},
          {"300ms > latency", f, false, "latency = 412ms, wanted < 300ms"},  // said fact-first
          {"body contains \"green\"", f, true, ""},
          {"body contains \"ok\"", not_json, true, ""},
          {"body !contains \"error\"", f, true, ""},
          {"body not contains \"green\"", f, false, "wanted not contains \"green\""},
          {"body startswith \"{\" and body endswith \"}\"", f, true, ""},
          {"final_url startswith \"http://\"", f, false,
           "final_url = \"https://example.org/health\""},
          {"http_version == \"2\"", f, true, ""},
          {"body contains \"ok\"", long_body, false, "body = \"" + std::string(80, 'x') + "\"…"},
          {"json(\"$.health.status\") == \"green\"", f, true, ""},
          {"json(\"$.health.status\") != \"green\"", f, false,
           "json(\"$.health.status\") = \"green\", wanted != \"green\""},
          {"json(\"$.health.checks[2]\") == 3", f, true, ""},
          {"json(\"$['weird key']\") == \"x\"", f, true, ""},
          {"json(\"$.ok\")", f, true, ""},
          {"json(\"$.ok\") == true", f, true, ""},
          {"!json(\"$.ok\")", f, false, "wanted != true"},
          {"json(\"$.health.status\") == 1", f, false, "cannot be compared"},
          {"json(\"$.health.missing\") == \"green\"", f, false,
           "json(\"$.health.missing\") is not available: the body has no $.health.missing"},
          {"json(\"$.health.checks[9]\") == 1", f, false, "the body has no $.health.checks[9]"},
          {"json(\"$.health\") == \"green\"", not_json, false, "the body is not JSON"},
          {"len(json(\"$.health.checks\")) == 3", f, true, ""},
          {"len(body) == 77 || len(body) > 10", f, true, ""},
          {"len(json(\"$.n\")) > 0", f, false, "not a string, array or object"},
          {"header(\"Content-Type\") contains \"json\"", f, true, ""},
          {"header(\"set-cookie\") == \"a=1, b=2\"", f, true, ""},
          {"header(\"x-missing\") == \"1\"", f, false, "header(\"x-missing\") is not available"},
          {"cert_days > 14", f, false, "cert_days is not available"},
          {"cert_days > 14", https, false, "cert_days = 9, wanted > 14"},
          {"!(cert_days > 14)", f, false, "cert_days is not available"},  // missing never passes
          {"!(status == 200)", f, false, "status = 200, wanted != 200"},
          {"not (status == 500 || status == 404)", f, true, ""},
          {"!!(status == 200)", f, true, ""},
          {"status == 200", json::array(), false, "status is not available"},
          {"latency < 1s", json{{"latency", "fast"}}, false, "latency is not a duration"},
          {"true", f, true, ""},
          {"false || status == 200", f, true, ""},
          {"status == 2e2 && status > -1 && status < 1.5e3", f, true, ""},
          {"body == \"say \\\"hi\\\"\\n\\t\\\\\"", json{{"body", "say \"hi\"\n\t\\"}}, true, ""},
      });
}

TEST_CASE("conditions on icmp, tcp, dns and push facts") {
  run_eval(probes::icmp_kind().facts,
           {
               {"loss < 20%", json{{"loss", 0.25}}, false, "loss = 25%, wanted < 20%"},
               {"loss < 0.3", json{{"loss", 0.25}}, true, ""},
               {"loss == 0% && latency < 50ms", json{{"loss", 0.0}, {"latency", 0.0123}}, true,
                "latency = 12ms"},
               {"jitter < 5ms", json{{"jitter", 0.0051}}, false, "jitter = 5.1ms"},
               {"received >= sent", json{{"received", 3}, {"sent", 5}}, false,
                "received = 3, wanted >= sent (5)"},
           });
  run_eval(probes::tcp_kind().facts,
           {
               {"cert_days > 14 && tls_version == \"TLSv1.3\"",
                json{{"cert_days", 30}, {"tls_version", "TLSv1.3"}}, true, ""},
               {"response startswith \"SSH-2.0\"", json{{"response", "SSH-2.0-OpenSSH_9.2\r\n"}},
                true, ""},
           });
  run_eval(probes::dns_kind().facts,
           {
               {"rcode == \"NOERROR\" and answer_count > 0",
                json{{"rcode", "NXDOMAIN"}, {"answer_count", 0}}, false, "rcode = \"NXDOMAIN\""},
           });
  run_eval(probes::push_kind().facts,
           {
               {"status == \"up\" && value < 90", json{{"status", "up"}, {"value", 12.5}}, true,
                "value = 12.5"},
           });
}

TEST_CASE("conditions that do not parse say where and why") {
  run_errors(
      http(),
      {
          {"", 0, "empty"},
          {"   ", 0, "empty"},
          {"status <", 8, "expected a value after '<'"},
          {"status < && latency", 9, "expected a value after '<'"},
          {"statsu == 200", 0, "unknown fact 'statsu'; status, latency, dns_time"},
          {"status == 200 && latncy < 1s", 17, "unknown fact 'latncy'"},
          {"body contains \"ok", 14, "unterminated string"},
          {"body contains \"a\\q\"", 16, "unknown escape"},
          {"latency < 3sec", 11, "unknown unit 'sec'"},
          {"latency < 5us", 11, "unknown unit 'us'"},
          {"latency < 300", 10, "latency is a duration: write a unit, e.g. 300ms or 0.3s"},
          {"300 > latency", 0, "latency is a duration"},
          {"status == 300ms", 7, "cannot compare status (a number) with 300ms (a duration)"},
          {"status < 20%", 7, "cannot compare status"},
          {"status == \"200\"", 7, "cannot compare status (a number) with \"200\" (a string)"},
          {"body < \"x\"", 5, "'<' does not apply to body, which is a string"},
          {"status contains \"2\"", 7, "'contains' compares strings, and status is a number"},
          {"true > false", 5, "booleans take == and !="},
          {"status", 6, "expected a comparison after status, which is a number"},
          {"status 200", 7, "expected a comparison operator after status, got '200'"},
          {"status = 200", 7, "write '=='"},
          {"status == 200 & latency < 1s", 14, "write '&&'"},
          {"status == 200 | latency < 1s", 14, "write '||'"},
          {"status == 200 &&", 16, "expected a condition after '&&'"},
          {"status == 200 ||", 16, "expected a condition after '||'"},
          {"(status == 200", 14, "expected ')' to close the '(' at 0"},
          {"status == 200)", 13, "unexpected ')'"},
          {"()", 1, "expected a condition inside '()'"},
          {"!status == 200", 0, "write !(...) around the comparison"},
          {"not body contains \"x\"", 0, "write not (...)"},
          {"1 < status < 3", 11, "comparisons do not chain"},
          {"status == 200 latency < 1s", 14, "unexpected 'latency'"},
          {"headers contains \"x\"", 0, "header(\"Name\")"},
          {"foo(\"x\") == 1", 0, "unknown function 'foo'; json, header, oid and len are known"},
          {"json(a) == 1", 5, "json() takes a string in double quotes"},
          {"json($.a) == 1", 5, "unexpected '$'"},
          {"json(\"a.b\") == 1", 6, "bad JSON path: it starts with '$'"},
          {"json(\"$.a[x]\") == 1", 10, "expected an index or a quoted name"},
          {"json(\"$.a[1\") == 1", 11, "expected ']'"},
          {"json(\"$..a\") == 1", 8, "expected a name after '.'"},
          {"json(\"$.a\" == 1", 11, "expected ')' to close json("},
          {"len(status) > 1", 0, "len() takes a string or a JSON value; status is a number"},
          {"body contains 'x'", 14, "double quotes"},
          {"status == 1.", 12, "expected a digit after '.'"},
          {"status == 1e999", 10, "number out of range"},
          {"latency < 1h30", 14, "expected a unit"},
          {"status == 200 # comment", 14, "unexpected '#'"},
          {"status == \x01", 10, "unexpected byte 0x01"},
          {"STATUS == 200", 0, "unknown fact 'STATUS'"},
          {"contains == 1", 0, "expected a value, got the operator 'contains'"},
          {"body ! \"x\"", 5, "must be followed by contains, startswith or endswith"},
          {"(status == 200) == true", 16, "cannot follow a parenthesised condition"},
      });
  run_errors(probes::icmp_kind().facts,
             {
                 {"loss < 20", 7, "loss is a ratio from 0 to 1: write 20% or 0.2"},
                 {"loss < 20ms", 5, "cannot compare loss (a ratio) with 20ms (a duration)"},
                 {"json(\"$.a\") == 1", 0, "json() reads the body, which this kind does not have"},
                 {"header(\"a\") == \"b\"", 0, "header() reads headers"},
                 {"oid(\"sysName.0\") == \"x\"", 0,
                  "oid() reads SNMP values, which this kind does not have"},
             });
}

TEST_CASE("conditions of SNMP checks read the polled values through oid()") {
  json facts{
      {"uptime", 3600.5},
      {"interfaces_down", 0},
      {"values",
       {{"sysName.0", "core-sw"}, {"hrProcessorLoad.196608", 37}, {"ifOperStatus.9", nullptr}}}};
  run_eval(probes::snmp_kind().facts,
           {
               {"oid(\"sysName.0\") == \"core-sw\"", facts, true, ""},
               {"oid(\"hrProcessorLoad.196608\") < 80 && uptime > 1h", facts, true, ""},
               {"oid(\"hrProcessorLoad.196608\") < 30", facts, false, "37"},
               {"oid(\"ifOperStatus.9\") == 1", facts, false,
                "oid(\"ifOperStatus.9\") is not available"},
               {"oid(\"sysLocation.0\") == \"x\"", facts, false, "is not available"},
               {"interfaces_down == 0", facts, true, ""},
           });
  run_errors(probes::snmp_kind().facts,
             {
                 {"values contains \"x\"", 0, "oid(\"sysName.0\")"},
                 {"oid(sysName) == 1", 4,
                  "oid() takes a string in double quotes, e.g. oid(\"sysName.0\")"},
                 {"oid(\"\") == 1", 4, "oid() needs a name"},
             });
}

TEST_CASE("condition limits: length and nesting") {
  ConditionError err;
  std::string ok_nested = std::string(32, '(') + "status == 200" + std::string(32, ')');
  CHECK(Condition::parse(ok_nested, http(), err).has_value());
  std::string too_nested = std::string(33, '(') + "status == 200" + std::string(33, ')');
  CHECK_FALSE(Condition::parse(too_nested, http(), err).has_value());
  CHECK(err.position == 32);
  CHECK(err.message.find("nested too deeply") != std::string::npos);

  std::string bangs = std::string(10000, '!') + "true";  // longer than allowed, and deep
  CHECK_FALSE(Condition::parse(bangs, http(), err).has_value());
  CHECK(err.position == kMaxConditionBytes);
  CHECK(err.message.find("longer than 4096 bytes") != std::string::npos);
  CHECK_FALSE(Condition::parse(std::string(40, '!') + "true", http(), err).has_value());
  CHECK(err.message.find("nested too deeply") != std::string::npos);

  // A long flat chain is not nesting: 200 comparisons under the byte limit parse and evaluate.
  std::string chain = "status == 200";
  for (int i = 0; i < 200; ++i) chain += " && status < 300";
  REQUIRE(chain.size() <= kMaxConditionBytes);
  auto c = Condition::parse(chain, http(), err);
  REQUIRE(c.has_value());
  auto v = c->evaluate(http_facts());
  CHECK(v.pass);
  CHECK(v.detail.size() < 2100);  // the detail is capped
}

TEST_CASE("condition details stay short when the text is long") {
  ConditionError err;
  std::string path = "$";
  for (int i = 0; i < 60; ++i) path += ".k" + std::string(60, 'x');
  auto c = Condition::parse("json(\"" + path + "\") == 1", http(), err);
  REQUIRE(c.has_value());
  auto v = c->evaluate(http_facts());
  CHECK_FALSE(v.pass);
  CHECK(v.detail.find("is not available: the body has no") != std::string::npos);
  CHECK(v.detail.size() < 600);
}

TEST_CASE("conditions are values: copies share the parsed form") {
  ConditionError err;
  auto c = Condition::parse("status == 200", http(), err);
  REQUIRE(c.has_value());
  Condition copy = *c;
  c.reset();
  CHECK(copy.text() == "status == 200");
  CHECK(copy.evaluate(http_facts()).pass);
}

TEST_CASE("every kind's condition example, the check form's placeholder, is a condition of it") {
  for (const auto* k : probes::kinds()) {
    CAPTURE(k->kind);
    ConditionError err;
    INFO("parse error at ", err.position, ": ", err.message);
    CHECK(Condition::parse(k->condition_example, k->facts, err).has_value());
  }
}
