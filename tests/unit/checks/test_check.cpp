#include <doctest/doctest.h>

#include <algorithm>

#include "checks/check.h"
#include "probes/kinds.h"

using namespace tt;
using namespace tt::checks;

namespace {

bool has_field(const Error& e, const std::string& field) {
  return std::any_of(e.fields.begin(), e.fields.end(),
                     [&](const FieldError& f) { return f.field == field; });
}

Result<Check> make(const nlohmann::json& body) {
  auto in = decode_check_input(body, InputMode::create);
  if (!in.ok()) return std::move(in).error();
  Check c;
  TT_TRY(apply_input(c, in.value()));
  return c;
}

}  // namespace

TEST_CASE("checks: a valid definition takes the kind's defaults") {
  auto c = make({{"name", "web"}, {"kind", "http"}, {"target", "http://127.0.0.1:8080/health"}});
  REQUIRE(c.ok());
  CHECK(c->interval_ms == 60'000);
  CHECK(c->timeout_ms == 10'000);
  CHECK(c->options["method"] == "GET");
  CHECK(c->options["follow_redirects"] == true);
  auto j = to_json(c.value());
  CHECK(j["interval"] == "1m");
  CHECK(j["state"] == "pending");
}

TEST_CASE("checks: every problem is reported with its field") {
  struct Case {
    nlohmann::json body;
    std::vector<std::string> fields;
  };
  for (const auto& c : std::vector<Case>{
           {{{"kind", "http"}}, {"name"}},
           {{{"name", "x"}, {"kind", "smtp"}}, {"kind"}},
           {{{"name", "x"}, {"kind", "http"}, {"target", "ftp://a"}}, {"target"}},
           {{{"name", "x"}, {"kind", "tcp"}, {"target", "host"}}, {"target"}},
           {{{"name", "x"}, {"kind", "tcp"}, {"target", "::1:22"}}, {"target"}},
           {{{"name", "x"}, {"kind", "icmp"}, {"target", "a..b"}}, {"target"}},
           {{{"name", "x"}, {"kind", "icmp"}, {"target", "10.0.0.1"}, {"interval", "5x"}},
            {"interval"}},
           {{{"name", "x"}, {"kind", "icmp"}, {"target", "10.0.0.1"}, {"interval", "500ms"}},
            {"interval"}},
           {{{"name", "x"},
             {"kind", "icmp"},
             {"target", "10.0.0.1"},
             {"interval", "10s"},
             {"timeout", "20s"}},
            {"timeout"}},
           {{{"name", "x"},
             {"kind", "icmp"},
             {"target", "10.0.0.1"},
             {"options", {{"packets", 0}, {"flood", true}}}},
            {"options.packets", "options.flood"}},
           {{{"name", "x"},
             {"kind", "http"},
             {"target", "http://a"},
             {"options", {{"method", "BREW"}}}},
            {"options.method"}},
           {{{"name", "x"},
             {"kind", "http"},
             {"target", "http://a"},
             {"labels", {{"check", "y"}, {"9a", "b"}}}},
            {"labels.check", "labels.9a"}},
           {{{"name", "x"},
             {"kind", "http"},
             {"target", "http://a"},
             {"retries", -1},
             {"colour", "red"}},
            {"retries", "colour"}},
       }) {
    auto r = make(c.body);
    REQUIRE_MESSAGE(!r.ok(), c.body.dump());
    CHECK(r.error().code == "VALIDATION_FAILED");
    for (const auto& f : c.fields)
      CHECK_MESSAGE(has_field(r.error(), f), c.body.dump(), " lacks ", f);
  }
}

TEST_CASE("checks: secrets are redacted and a returned placeholder keeps the secret") {
  auto c = make({{"name", "x"},
                 {"kind", "http"},
                 {"target", "http://a"},
                 {"options", {{"basic_auth_user", "u"}, {"basic_auth_password", "s3cret"}}}});
  REQUIRE(c.ok());
  CHECK(to_json(c.value())["options"]["basic_auth_password"] == "********");
  c->id = 1;
  CheckInput patch;
  patch.options = nlohmann::json{{"basic_auth_user", "u2"}, {"basic_auth_password", "********"}};
  REQUIRE(apply_input(c.value(), patch).ok());
  CHECK(c->options["basic_auth_password"] == "s3cret");
  CHECK(c->options["basic_auth_user"] == "u2");
}

TEST_CASE("checks: push checks need no target and ignore one") {
  auto c = make({{"name", "backup"}, {"kind", "push"}, {"target", "whatever"}, {"interval", "1d"}});
  REQUIRE(c.ok());
  CHECK(c->target.empty());
  CHECK(c->options["grace"] == "0s");
  // Stored options validate again unchanged (a PATCH of other fields must not trip on them).
  CHECK(probes::normalize_options(*probes::find_kind("push"), c->options).value() == c->options);
  CHECK(probes::probe_options(*probes::find_kind("push"),
                              nlohmann::json{{"grace", "1m30s"}})["grace"] == 90000);
}

TEST_CASE("checks: a check's last run kept compact answers as the run itself does") {
  CheckResult r;
  r.at = 1'796'256'000'123;
  r.up = false;
  r.error = "timeout";
  r.message = "no reply";
  r.duration_s = 0.9;
  r.facts["latency"] = 0.0123;
  r.facts["status"] = 503;
  r.facts["final_url"] = "http://127.0.0.1/x?token=secret";
  r.facts["server"] = std::string(300, 's');                                 // cut to 256
  r.facts["values"] = nlohmann::json{{"ifInOctets", 1}, {"sysName", "sw"}};  // an SNMP check's
  const auto whole = result_json(r);
  CHECK(result_json(last_run(r)) == whole);
  CHECK(whole["latency_ms"] == 12.3);
  CHECK(whole["facts"]["server"].get<std::string>().size() == 256);
  CHECK(whole["facts"]["final_url"].get<std::string>().find("secret") == std::string::npos);
  CHECK(whole["facts"]["values"]["sysName"] == "sw");
  CHECK(result_json(LastRun{})["facts"] == nlohmann::json::object());  // no facts, no answer lost
}
