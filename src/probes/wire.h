// probes/wire.h — a probe run sent to another host and its answer, as JSON messages on an agent's
// WebSocket (docs/api.md, "Checks that run on an agent"). The hub keeps scheduling a check whose
// runs_on is an agent's node, sends each run as {"type":"run"}, and concludes on the observation
// the agent answers with, as if its own probe had made it: conditions, state, samples and events
// stay the hub's. Pure: the agent decodes runs from its hub and the hub decodes observations from
// its agents, and the fuzzer feeds both any bytes.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "core/result.h"
#include "probes/descriptor.h"
#include "probes/probe.h"

namespace tt::probes {

// One run of a check, as the hub sends it: the check's kind, target and options as stored
// (normalized, durations as text) so that the agent validates them with the same table.
struct RunRequest {
  std::uint64_t run = 0;  // the hub's number for this run: the answer names it
  std::int64_t check_id = 0;
  std::string kind;
  std::string target;
  nlohmann::json options = nlohmann::json::object();
  std::int64_t timeout_ms = 10000;
};

// Bounds of what an agent may answer: a check's series and events, its message.
inline constexpr std::size_t kMaxWireMetrics = 4096;
inline constexpr std::size_t kMaxWireEvents = 100;
inline constexpr std::size_t kMaxWireMessage = 4096;
inline constexpr std::int64_t kMaxWireTimeoutMs = 300'000;

std::string run_message(const RunRequest& run);

// A run the agent can start: its kind (one that runs: not push) and the probe's request, after
// the kind's own validation of target and options. Errors: RUN_INVALID with what is wrong (the
// hub and agent disagree on a kind's table: an agent older than its hub).
struct DecodedRun {
  std::uint64_t run = 0;  // 0 when the message names none
  Result<std::pair<const KindDescriptor*, Request>> request;
};
DecodedRun decode_run(const nlohmann::json& message);

// {"type":"observation","run":N,...}: everything the probe saw; non-finite values as
// Prometheus spells them ("NaN", "+Inf", "-Inf").
std::string observation_message(std::uint64_t run, const Observation& o);

// The run it answers and what was seen. Metric and label names become the process's own
// (interned: a probe's names are literals, and an agent's must live as long); names that are not
// Prometheus names, or new names beyond a bound, drop their metric. Errors: OBSERVATION_INVALID.
Result<std::pair<std::uint64_t, Observation>> decode_observation(const nlohmann::json& message);

}  // namespace tt::probes
