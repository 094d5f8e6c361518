#include <doctest/doctest.h>

#include <condition_variable>
#include <mutex>

#include "../probes/fixture.h"
#include "agent/probe_runs.h"
#include "core/json.h"
#include "probes/wire.h"

using namespace tt;

namespace {

// Answers as the sender would take them.
struct Answers {
  std::mutex mutex;
  std::condition_variable cv;
  std::vector<nlohmann::json> got;
  agent::ProbeRuns::Answer sink() {
    return [this](std::string message) {
      std::lock_guard lock(mutex);
      got.push_back(parse_json(message).value());
      cv.notify_all();
    };
  }
  std::vector<nlohmann::json> wait_for(std::size_t n) {
    std::unique_lock lock(mutex);
    cv.wait_for(lock, std::chrono::seconds(10), [&] { return got.size() >= n; });
    return got;
  }
};

nlohmann::json run(std::uint64_t n, std::string kind, std::string target) {
  return parse_json(probes::run_message({n, 1, std::move(kind), std::move(target), {}, 2000}))
      .value();
}

}  // namespace

TEST_CASE("agent probe runs: the hub's runs are made by the real probes and answered") {
  probe_test::RawServer open;
  Answers answers;
  {
    agent::ProbeRuns runs(answers.sink());
    runs.submit(run(1, "tcp", open.target()));
    runs.submit(run(2, "tcp", "127.0.0.1:" + std::to_string(probe_test::closed_port())));
    runs.submit(run(3, "push", "x"));              // not a kind that runs
    runs.submit(nlohmann::json{{"type", "run"}});  // names no run: nothing to answer
    auto got = answers.wait_for(3);
    REQUIRE(got.size() == 3);
    std::map<std::uint64_t, probes::Observation> by_run;
    for (const auto& m : got) {
      auto o = probes::decode_observation(m);
      REQUIRE(o.ok());
      by_run[o->first] = o->second;
    }
    CHECK(by_run[1].ok);
    CHECK_FALSE(by_run[2].ok);
    CHECK(by_run[2].error == "refused");
    CHECK(by_run[3].error == "invalid");
  }
  CHECK(answers.got.size() == 3);
}
