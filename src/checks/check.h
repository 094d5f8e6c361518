// checks/ — what Telltale checks and what it concluded: check definitions and their validation
// against the probe kinds' descriptors, the condition language, the up/down state machine with
// retries and flap damping, the runner that drives probes on the core loop, and the recorder
// that turns results into rows, samples and events. Called by api/ handlers; no HTTP in here.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "checks/result.h"
#include "core/clock.h"
#include "core/options.h"
#include "core/result.h"
#include "core/series.h"

namespace tt::checks {

enum class CheckState { pending, up, down, paused };
std::string_view to_string(CheckState s);
std::optional<CheckState> parse_check_state(std::string_view s);

using Labels = std::map<std::string, std::string>;

struct Check {
  std::int64_t id = 0;
  std::string name;
  std::string kind;
  std::string target;
  std::int64_t interval_ms = 60000;
  std::int64_t timeout_ms = 10000;
  int retries = 1;  // failures in a row before down (0 and 1 both: the first failure)
  std::optional<std::int64_t> node_id;
  std::string node_name;  // derived: the node's name, for the `node` label of samples
  // The node whose agent runs the probe (a host with an agent); none: the hub runs it.
  std::optional<std::int64_t> runs_on;
  Labels labels;
  bool enabled = true;
  std::vector<std::string> conditions;                // all must hold
  nlohmann::json options = nlohmann::json::object();  // normalized by the kind's descriptor
  std::optional<std::string> push_token;
  CheckState state = CheckState::pending;
  std::optional<TimeMs> state_since;
  bool flapping = false;
  nlohmann::json last_result;  // null before the first run
  TimeMs created_at = 0;
  TimeMs updated_at = 0;
};

// The check as the API shows it: secrets redacted, durations as text, the push URL for push checks.
nlohmann::json to_json(const Check& c);

// A run's result as the API shows it (`last_result`, the answer of "run now"): at, up,
// duration_ms, error, message and the facts without bodies and header sets.
nlohmann::json result_json(const CheckResult& r);
nlohmann::json result_json(const LastRun& r);
LastRun last_run(const CheckResult& r);

// What a client may set. On create, name, kind and (except for push) target are required; on
// PATCH every field is optional, `node_id: null` detaches the check from its node and
// `runs_on: null` brings its runs back to the hub.
struct CheckInput {
  std::optional<std::string> name;
  std::optional<std::string> kind;
  std::optional<std::string> target;
  std::optional<std::int64_t> interval_ms;
  std::optional<std::int64_t> timeout_ms;
  std::optional<int> retries;
  std::optional<std::optional<std::int64_t>> node_id;
  std::optional<std::optional<std::int64_t>> runs_on;
  std::optional<Labels> labels;
  std::optional<bool> enabled;
  std::optional<std::vector<std::string>> conditions;
  std::optional<nlohmann::json> options;
};

using InputMode = tt::InputMode;

// The fields of a check's body, for the decoder and the UI's form.
const OptionSpecs& check_fields();

// Decodes a request body, reporting every malformed field (VALIDATION_FAILED with details).
Result<CheckInput> decode_check_input(const nlohmann::json& body, InputMode mode);

// Applies `in` to `c` and validates the result as a whole against the kind's descriptor: the
// target, the options (normalized, defaults filled), the conditions (parsed against the kind's
// facts), timeout within interval. A kind change starts the options over from the new kind's.
Result<void> apply_input(Check& c, const CheckInput& in);

// The labels of every sample of a check (unsorted): check, kind, node (when set), its labels.
// check_state alert rules match checks by these too.
LabelSet sample_labels(const Check& c);

// Labels every sample of a check carries; a check's own labels may not use these names.
inline constexpr std::string_view kReservedLabels[] = {"check", "kind", "node", "instance", "job"};

}  // namespace tt::checks
