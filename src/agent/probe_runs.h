// agent/probe_runs.h — the runs of the checks that run on this host (their runs_on is the agent's
// node). The hub schedules them and sends each run over the agent's WebSocket; here a run is
// validated with its kind's own table and made by the same probe the hub would use, on a loop
// thread of its own, started with the first run (an agent without such checks never has it).
// Each observation goes back through `answer` as {"type":"observation"} (probes/wire.h). The hub
// times runs out and concludes on them: conditions, state and samples are its.
#pragma once

#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "bus/bus.h"
#include "probes/probe.h"

namespace tt::agent {

class ProbeRuns {
 public:
  // Called on the probes' loop thread, once per run, in the order they end.
  using Answer = std::function<void(std::string message)>;
  // Runs at once beyond which a run is answered "busy": a hub's runs wait on the hub.
  static constexpr std::size_t kMaxInFlight = 256;

  explicit ProbeRuns(Answer answer);
  // Runs in flight end as cancelled (answered), then the loop stops.
  ~ProbeRuns();
  ProbeRuns(const ProbeRuns&) = delete;
  ProbeRuns& operator=(const ProbeRuns&) = delete;

  // Any thread: a {"type":"run"} message from the hub. One that cannot run is answered with a
  // failed observation saying why (error "invalid").
  void submit(nlohmann::json message);

 private:
  void start_run(const nlohmann::json& message);  // loop thread

  Answer m_answer;
  std::unique_ptr<bus::CoreLoop> m_loop;  // created by the first submit()
  // The loop thread's only:
  std::map<std::string, std::unique_ptr<probes::Probe>, std::less<>> m_probes;  // by kind
  std::size_t m_in_flight = 0;
};

}  // namespace tt::agent
