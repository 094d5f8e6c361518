#include "probes/wire.h"

#include <doctest/doctest.h>

#include <cmath>

#include "core/json.h"

using namespace tt;
using nlohmann::json;

namespace {

json parsed(const std::string& text) { return parse_json(text).value(); }

json tcp_run() {
  return parsed(probes::run_message({7, 3, "tcp", "127.0.0.1:22", json::object(), 2000}));
}

}  // namespace

TEST_CASE("wire: a run arrives as the probe's request, validated with the kind's table") {
  auto decoded = probes::decode_run(tcp_run());
  CHECK(decoded.run == 7);
  REQUIRE(decoded.request.ok());
  auto& [kind, req] = decoded.request.value();
  CHECK(kind->kind == "tcp");
  CHECK(req.target == "127.0.0.1:22");
  CHECK(req.timeout.count() == 2000);
  CHECK(req.check_id == 3);
  CHECK(req.options->is_object());  // defaults filled in, as the hub's runner has them
}

TEST_CASE("wire: a run that cannot run names itself and why") {
  auto with = [](const char* key, json value) {
    auto m = tcp_run();
    m[key] = std::move(value);
    return probes::decode_run(m);
  };
  CHECK(probes::decode_run(json::array()).run == 0);
  CHECK(with("run", 0).run == 0);
  CHECK(with("run", -1).run == 0);
  for (auto bad :
       {with("kind", "push"), with("kind", "nope"), with("kind", 3), with("target", "no port"),
        with("target", nullptr), with("timeout_ms", 0), with("timeout_ms", 10'000'000),
        with("timeout_ms", "1s"), with("options", json{{"nope", 1}})}) {
    CHECK(bad.run == 7);
    REQUIRE_FALSE(bad.request.ok());
    CHECK(bad.request.error().code == "RUN_INVALID");
  }
}

TEST_CASE("wire: an observation comes back as the probe made it") {
  probes::Observation o;
  o.ok = true;
  o.message = "connected";
  o.duration_s = 0.0125;
  o.metrics.push_back({"probe_icmp_rtt_seconds", 0.001, "stat", "avg"});
  o.metrics.push_back({"probe_http_status_code", std::nan(""), "", "", "ifIndex", "2"});
  o.metrics.push_back({"probe_dns_answer_rrs", -INFINITY});
  o.facts["latency"] = 0.0125;
  o.facts["values"] = json{{"sysName", "r1"}};
  o.events.push_back({"snmp.interface_down", json{{"ifIndex", 2}}});
  auto back = probes::decode_observation(parsed(probes::observation_message(9, o)));
  REQUIRE(back.ok());
  auto& [run, seen] = back.value();
  CHECK(run == 9);
  CHECK(seen.ok);
  CHECK(seen.message == "connected");
  CHECK(seen.duration_s == doctest::Approx(0.0125));
  REQUIRE(seen.metrics.size() == 3);
  CHECK(seen.metrics[0].name == "probe_icmp_rtt_seconds");
  CHECK(seen.metrics[0].label == "stat");
  CHECK(seen.metrics[0].label_value == "avg");
  CHECK(std::isnan(seen.metrics[1].value));
  CHECK(seen.metrics[1].label.empty());
  CHECK(seen.metrics[1].label2 == "ifIndex");
  CHECK(seen.metrics[2].value == -INFINITY);
  CHECK(seen.facts["latency"] == 0.0125);
  CHECK(seen.facts["values"]["sysName"] == "r1");
  REQUIRE(seen.events.size() == 1);
  CHECK(seen.events[0].kind == "snmp.interface_down");

  // The same name twice is one interned string.
  auto again = probes::decode_observation(parsed(probes::observation_message(10, o)));
  CHECK(again->second.metrics[0].name.data() == seen.metrics[0].name.data());
}

TEST_CASE("wire: a failed run's observation keeps its error; a malformed one is refused") {
  auto back = probes::decode_observation(
      parsed(probes::observation_message(4, probes::failed("refused", "connection refused", 0.5))));
  REQUIRE(back.ok());
  CHECK_FALSE(back->second.ok);
  CHECK(back->second.error == "refused");

  auto base = parsed(probes::observation_message(4, probes::failed("refused", "no")));
  auto with = [&](const char* key, json value) {
    auto m = base;
    m[key] = std::move(value);
    return probes::decode_observation(m);
  };
  for (auto bad : {with("type", "run"), with("run", 0), with("ok", "yes"), with("duration_s", -1),
                   with("metrics", json::object()), with("metrics", json::array({1})),
                   with("metrics", json::array({{{"name", "x"}}})), with("facts", json::array()),
                   with("events", json::array({json::object()}))}) {
    REQUIRE_FALSE(bad.ok());
    CHECK(bad.error().code == "OBSERVATION_INVALID");
  }
  // Names that are not Prometheus names drop their metric, not the run.
  auto odd = with("metrics", json::array({{{"name", "bad name"}, {"value", 1}},
                                          {{"name", "ok_name"}, {"value", 2}}}));
  REQUIRE(odd.ok());
  REQUIRE(odd->second.metrics.size() == 1);
  CHECK(odd->second.metrics[0].name == "ok_name");
}
