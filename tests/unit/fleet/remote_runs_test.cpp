#include "fleet/remote_runs.h"

#include <doctest/doctest.h>
#include <uv.h>

#include <map>
#include <set>
#include <vector>

#include "core/json.h"

using namespace tt;

namespace {

// What the hub's sockets would carry: the messages sent to each node's agent.
struct Agents {
  std::map<std::int64_t, std::vector<nlohmann::json>> sent;
  std::set<std::int64_t> connected;
  fleet::RemoteRuns::Send send() {
    return [this](std::int64_t node, const std::string& text) {
      if (!connected.contains(node)) return false;
      sent[node].push_back(parse_json(text).value());
      return true;
    };
  }
};

std::string answer_to(const nlohmann::json& run, bool ok) {
  probes::Observation o;
  o.ok = ok;
  o.error = ok ? "" : "refused";
  o.metrics.push_back({"probe_tcp_connect_seconds", 0.002});
  return probes::observation_message(run["run"].get<std::uint64_t>(), o);
}

}  // namespace

TEST_CASE("remote runs: out to the node's agent and back, or why not") {
  uv_loop_t loop;
  uv_loop_init(&loop);
  Agents agents;
  agents.connected = {5, 6};
  fleet::RemoteRuns runs(&loop, agents.send(), 50);
  std::vector<probes::Observation> seen;
  auto collect = [&](probes::Observation o) { seen.push_back(std::move(o)); };

  // No agent of node 4 is connected: the run fails at once.
  runs.run(4, {0, 1, "tcp", "127.0.0.1:9", {}, 1000}, collect);
  REQUIRE(seen.size() == 1);
  CHECK(seen[0].error == "agent_offline");

  // Sent to node 5's agent, with a number of its own; its answer concludes it.
  runs.run(5, {0, 2, "tcp", "127.0.0.1:9", {}, 1000}, collect);
  REQUIRE(agents.sent[5].size() == 1);
  const auto run = agents.sent[5][0];
  CHECK(run["type"] == "run");
  CHECK(run["check"] == 2);
  CHECK(runs.in_flight() == 1);
  // Another node's agent cannot answer it; text that is no answer is the ingestor's.
  CHECK(runs.take(6, answer_to(run, true)));
  CHECK(seen.size() == 1);
  CHECK_FALSE(runs.take(5, R"({"seq":1,"samples":[]})"));
  CHECK_FALSE(runs.take(0, answer_to(run, true)));  // not an agent's socket
  CHECK(runs.take(5, answer_to(run, false)));
  REQUIRE(seen.size() == 2);
  CHECK(seen[1].error == "refused");
  REQUIRE(seen[1].metrics.size() == 1);
  CHECK(seen[1].metrics[0].name == "probe_tcp_connect_seconds");
  CHECK(runs.in_flight() == 0);
  CHECK(runs.take(5, answer_to(run, true)));  // a repeat: dropped
  CHECK(seen.size() == 2);

  // Unanswered: failed after its timeout and the grace.
  runs.run(6, {0, 3, "tcp", "127.0.0.1:9", {}, 10}, collect);
  const auto started = uv_now(&loop);
  while (seen.size() < 3) uv_run(&loop, UV_RUN_ONCE);
  CHECK(seen[2].error == "timeout");
  CHECK(uv_now(&loop) - started >= 60);

  // Stopping ends what is in flight.
  runs.run(6, {0, 4, "tcp", "127.0.0.1:9", {}, 1000}, collect);
  runs.close();
  REQUIRE(seen.size() == 4);
  CHECK(seen[3].error == "cancelled");
  runs.run(6, {0, 5, "tcp", "127.0.0.1:9", {}, 1000}, collect);
  CHECK(seen.back().error == "cancelled");
  uv_run(&loop, UV_RUN_DEFAULT);
  CHECK(uv_loop_close(&loop) == 0);
}
