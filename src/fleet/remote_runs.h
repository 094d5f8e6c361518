// fleet/remote_runs.h — the hub's end of the checks that run on agents. The checks runner keeps
// scheduling such a check; each run goes to the agent of its runs_on node over that agent's
// ingest WebSocket ({"type":"run"}), and the agent's answer ({"type":"observation"}) comes back on
// the same socket and concludes the run as the hub's own probe would. A run no connected agent can
// take fails at once (error agent_offline); one unanswered within its timeout and a grace fails
// then (timeout). Nothing is buffered: while its agent is away a check says so, each run.
//
// Loop thread only (the socket hub's and the runner's).
#pragma once

#include <uv.h>

#include <cstdint>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <string>

#include "probes/probe.h"
#include "probes/wire.h"

namespace tt::metrics {
class Counter;
}  // namespace tt::metrics

namespace tt::fleet {

class RemoteRuns {
 public:
  // Sends `text` on the open socket of the node's agent; false when it has none.
  using Send = std::function<bool(std::int64_t node_id, const std::string& text)>;
  // What an answer may take beyond the run's own timeout: the way there and back.
  static constexpr std::int64_t kGraceMs = 5000;

  RemoteRuns(uv_loop_t* loop, Send send, std::int64_t grace_ms = kGraceMs);
  ~RemoteRuns();
  RemoteRuns(const RemoteRuns&) = delete;
  RemoteRuns& operator=(const RemoteRuns&) = delete;

  void run(std::int64_t node_id, probes::RunRequest run, probes::Done done);
  // A text message from an ingest socket of the agent of `node_id` (0: not an agent's): true when
  // it answered a run and is done with, false when it is for the ingestor (a batch). Agents send
  // their batches binary, so their text messages are answers, small, and parsed here on the loop.
  bool take(std::int64_t node_id, std::string_view message);
  // An answer. One to a run sent to another node, or to none in flight (late, after its timeout),
  // is dropped.
  void answer(std::int64_t node_id, const nlohmann::json& message);
  // Ends every run in flight (error "cancelled") and closes the timer.
  void close();

  std::size_t in_flight() const { return m_pending.size(); }

 private:
  struct Pending {
    std::int64_t node_id = 0;
    std::uint64_t deadline = 0;  // uv_now
    std::int64_t timeout_ms = 0;
    probes::Done done;
  };
  void expire();
  static void on_timer(uv_timer_t* timer);

  uv_loop_t* m_loop;
  Send m_send;
  std::int64_t m_grace_ms;
  uv_timer_t* m_timer = nullptr;  // freed in its close callback
  std::map<std::uint64_t, Pending> m_pending;
  std::uint64_t m_next = 1;
  metrics::Counter* m_answered;
  metrics::Counter* m_offline;
  metrics::Counter* m_timeout;
  metrics::Counter* m_invalid;
};

}  // namespace tt::fleet
