#include "fleet/remote_runs.h"

#include <fmt/format.h>

#include "core/duration.h"
#include "core/json.h"
#include "core/log.h"
#include "core/metrics.h"

namespace tt::fleet {

RemoteRuns::RemoteRuns(uv_loop_t* loop, Send send, std::int64_t grace_ms)
    : m_loop(loop), m_send(std::move(send)), m_grace_ms(grace_ms) {
  auto& runs = metrics::registry().family(
      "telltale_agent_check_runs_total",
      "Runs of checks that run on agents, by outcome: answered (the agent's observation came "
      "back), offline (no agent of the node was connected), timeout (no answer in time), invalid "
      "(an answer that could not be read)",
      metrics::Type::counter);
  m_answered = &runs.counter({{"outcome", "answered"}});
  m_offline = &runs.counter({{"outcome", "offline"}});
  m_timeout = &runs.counter({{"outcome", "timeout"}});
  m_invalid = &runs.counter({{"outcome", "invalid"}});
  m_timer = new uv_timer_t;
  uv_timer_init(m_loop, m_timer);
  m_timer->data = this;
}

RemoteRuns::~RemoteRuns() { close(); }

void RemoteRuns::run(std::int64_t node_id, probes::RunRequest run, probes::Done done) {
  if (!m_timer) return done(probes::failed("cancelled", "the hub is stopping"));
  run.run = m_next++;
  if (!m_send(node_id, probes::run_message(run))) {
    m_offline->inc();
    return done(probes::failed("agent_offline",
                               fmt::format("the agent of node {} is not connected", node_id)));
  }
  const std::uint64_t deadline =
      uv_now(m_loop) + static_cast<std::uint64_t>(run.timeout_ms + m_grace_ms);
  m_pending.emplace(run.run, Pending{node_id, deadline, run.timeout_ms, std::move(done)});
  if (!uv_is_active(reinterpret_cast<uv_handle_t*>(m_timer)))
    uv_timer_start(m_timer, on_timer, 1000, 1000);
}

bool RemoteRuns::take(std::int64_t node_id, std::string_view message) {
  if (node_id == 0) return false;
  auto parsed = parse_json(message);
  if (!parsed.ok() || !parsed->is_object() || parsed->value("type", "") != "observation")
    return false;
  answer(node_id, parsed.value());
  return true;
}

void RemoteRuns::answer(std::int64_t node_id, const nlohmann::json& message) {
  auto decoded = probes::decode_observation(message);
  if (!decoded.ok()) {
    m_invalid->inc();
    log::warn("fleet: the agent of node {} answered a run with {}", node_id,
              decoded.error().message);
    return;
  }
  auto& [run, observation] = decoded.value();
  auto it = m_pending.find(run);
  if (it == m_pending.end() || it->second.node_id != node_id) return;
  auto done = std::move(it->second.done);
  m_pending.erase(it);
  m_answered->inc();
  done(std::move(observation));
}

void RemoteRuns::expire() {
  const auto now = uv_now(m_loop);
  for (auto it = m_pending.begin(); it != m_pending.end();) {
    if (it->second.deadline > now) {
      ++it;
      continue;
    }
    auto p = std::move(it->second);
    it = m_pending.erase(it);
    m_timeout->inc();
    p.done(probes::failed("timeout",
                          fmt::format("the agent of node {} did not answer within {}", p.node_id,
                                      format_duration_ms(p.timeout_ms + m_grace_ms)),
                          static_cast<double>(p.timeout_ms) / 1000.0));
  }
  if (m_pending.empty()) uv_timer_stop(m_timer);
}

void RemoteRuns::on_timer(uv_timer_t* timer) { static_cast<RemoteRuns*>(timer->data)->expire(); }

void RemoteRuns::close() {
  if (!m_timer) return;
  auto pending = std::move(m_pending);
  m_pending.clear();
  for (auto& [run, p] : pending) p.done(probes::failed("cancelled", "the hub is stopping"));
  uv_close(reinterpret_cast<uv_handle_t*>(m_timer),
           [](uv_handle_t* h) { delete reinterpret_cast<uv_timer_t*>(h); });
  m_timer = nullptr;
}

}  // namespace tt::fleet
