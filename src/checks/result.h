// checks/result.h — one run of a check as the runner concluded it on the loop: the outcome, the
// samples for the store, and what changed. It leaves on the runner's results channel for the
// recorder, which makes it durable.
#pragma once

#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/clock.h"
#include "core/facts.h"
#include "core/series.h"

namespace tt::checks {

struct LastRun;

struct CheckResult {
  std::int64_t check_id = 0;
  std::string check_name;
  bool is_run = true;  // false for a state change without a run (paused, resumed)
  TimeMs at = 0;       // the run's scheduled time (wall clock): regular timestamps compress best
  bool up = false;
  std::string error;  // empty when up
  std::string message;
  double duration_s = 0;
  Facts facts;  // what the probe observed, for the API
  std::vector<RefSample> samples;
  // What the probe saw happen (event kind, data), for the events log: interface up/down.
  std::vector<std::pair<std::string, nlohmann::json>> events;
  // Set when this run changed the check's state or flapping flag.
  bool state_changed = false;
  bool flapping_changed = false;
  std::string from_state, state;
  bool flapping = false;
  // The check's node (0: none): an up run is a contact, its last_seen.
  std::int64_t check_node = 0;
  // Set when the node's status may have changed (a state change of one of its checks, or a
  // check that left it): the status derived from all its checks (up, degraded, down, unknown).
  std::optional<std::int64_t> node_id;
  std::string node_status;
  // The run as last_result shows it (a run's; shared with Runner::Live): the recorder keeps it
  // until it writes it.
  std::shared_ptr<const LastRun> last;

  // The run's response time: the probe's latency fact (a ping's average round-trip time, an
  // HTTP request's total time), else the whole run's duration.
  double latency_s() const {
    const auto* l = facts.find("latency");
    return l && l->is_number() ? l->get<double>() : duration_s;
  }

  // Worth a commit at once: people watch states, not samples.
  bool urgent() const {
    return state_changed || flapping_changed || node_id.has_value() || !events.empty();
  }
};

// A run as the API shows it between the recorder's writes (Runner::Live::last), kept for every
// check: what result_json reads, the facts as CBOR (no float formatting on each run, about
// 100 B for a ping's). The whole CheckResult it replaced also held the samples, events and
// copies of names, about 1.1 KB a check.
struct LastRun {
  TimeMs at = 0;
  bool up = false;
  double duration_s = 0, latency_s = 0;
  std::string error, message;
  std::vector<std::uint8_t> facts_cbor;
};

}  // namespace tt::checks
