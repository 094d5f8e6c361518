#include "agent/probe_runs.h"

#include "probes/wire.h"

namespace tt::agent {

ProbeRuns::ProbeRuns(Answer answer) : m_answer(std::move(answer)) {}

ProbeRuns::~ProbeRuns() {
  if (!m_loop) return;
  m_loop->stop([this] {
    for (auto& [kind, probe] : m_probes) probe->close();
  });
}

void ProbeRuns::submit(nlohmann::json message) {
  if (!m_loop) {
    m_loop = std::make_unique<bus::CoreLoop>();
    m_loop->start();
  }
  m_loop->post([this, message = std::move(message)] { start_run(message); });
}

void ProbeRuns::start_run(const nlohmann::json& message) {
  auto decoded = probes::decode_run(message);
  if (decoded.run == 0) return;  // nothing to answer to
  if (!decoded.request.ok())
    return m_answer(probes::observation_message(
        decoded.run, probes::failed("invalid", decoded.request.error().message)));
  if (m_in_flight >= kMaxInFlight)
    return m_answer(probes::observation_message(
        decoded.run, probes::failed("busy", "the agent is running as many checks as it may")));
  auto& [kind, request] = decoded.request.value();
  auto& probe = m_probes[kind->kind];
  if (!probe) probe = kind->make(m_loop->uv());
  ++m_in_flight;
  probe->run(request, [this, run = decoded.run](probes::Observation o) {
    --m_in_flight;
    m_answer(probes::observation_message(run, o));
  });
}

}  // namespace tt::agent
