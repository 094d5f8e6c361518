// alerts/ — alert rules, their evaluation with Prometheus' semantics, the alerts they raise
// (pending → firing → resolved, acknowledgements) and the events of every transition. Called by
// api/ handlers (rules, alerts, acks) and driven by its own evaluator thread; no HTTP in here.
// Notification senders subscribe to the `alerts` events; an outbox keys by transition id.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "alerts/template.h"
#include "core/clock.h"
#include "core/options.h"
#include "core/result.h"
#include "query/query.h"

namespace tt::alerts {

enum class Severity { critical, warning, info };
std::string_view to_string(Severity s);
std::optional<Severity> parse_severity(std::string_view s);

// What a rule watches: a PromQL expression (every sample of its result is an alert), or the
// state of checks (every matching check that is down is an alert, with the check's labels).
enum class RuleKind { expr, check_state };
std::string_view to_string(RuleKind k);

using Labels = std::map<std::string, std::string>;

// Escalation: an alert still firing and not acknowledged `after_ms` after it fired is also sent
// to `channels` (the notification outbox does it).
struct Escalation {
  std::int64_t after_ms = 0;
  std::vector<std::int64_t> channels;
  bool operator==(const Escalation&) const = default;
};

// Flap damping (off unless set): a label set that fired `fires` times within `window_ms` is
// flapping, and then stays firing until it has been gone for a whole window, so a bouncing
// link is one alert, not a message per bounce.
struct FlapDamping {
  int fires = 0;
  std::int64_t window_ms = 0;
  bool operator==(const FlapDamping&) const = default;
};

struct Rule {
  std::int64_t id = 0;
  std::string name;
  RuleKind kind = RuleKind::expr;
  std::string expr;                      // kind expr: the PromQL text
  query::ExprPtr parsed;                 // kind expr: parsed once, shared by evaluations
  std::optional<std::int64_t> check_id;  // kind check_state: this check, or
  std::string check_selector;  // kind check_state: checks whose labels match, `{kind="icmp"}`
  std::vector<query::Matcher> check_matchers;
  std::int64_t for_ms = 0;
  std::int64_t keep_firing_for_ms = 0;
  Severity severity = Severity::warning;
  Labels labels;       // values are templates
  Labels annotations;  // values are templates
  std::map<std::string, Template> label_templates, annotation_templates;
  std::vector<std::int64_t> channels;
  std::vector<Escalation> escalations;  // after_ms ascending
  std::optional<FlapDamping> flap_damping;
  bool enabled = true;
  std::int64_t interval_ms = 15'000;
  // The key of the built-in definition it was made from (alerts/builtin.h); empty: a person's.
  std::string builtin;
  TimeMs created_at = 0;
  TimeMs updated_at = 0;
};

nlohmann::json to_json(const Rule& r);
// Escalations as the API shows them ({"after": "15m"}) or as stored ({"after_ms": 900000}).
nlohmann::json escalations_json(const std::vector<Escalation>& es, bool stored);
std::vector<Escalation> escalations_from_stored(const nlohmann::json& j);

// What a client may set; on create `name`, `severity` and either `expr` or `kind: check_state`
// with `check_id` or `check_selector` are required; on PATCH every field is optional.
struct RuleInput {
  std::optional<std::string> name;
  std::optional<RuleKind> kind;
  std::optional<std::string> expr;
  std::optional<std::optional<std::int64_t>> check_id;
  std::optional<std::string> check_selector;
  std::optional<std::int64_t> for_ms;
  std::optional<std::int64_t> keep_firing_for_ms;
  std::optional<Severity> severity;
  std::optional<Labels> labels;
  std::optional<Labels> annotations;
  std::optional<std::vector<std::int64_t>> channels;
  std::optional<std::vector<Escalation>> escalations;
  std::optional<std::optional<FlapDamping>> flap_damping;  // a JSON null turns it off
  std::optional<bool> enabled;
  std::optional<std::int64_t> interval_ms;
};

using InputMode = tt::InputMode;

inline constexpr std::int64_t kMinIntervalMs = 1'000;
inline constexpr std::int64_t kMaxIntervalMs = 86'400'000;
inline constexpr std::int64_t kMaxForMs = 30LL * 86'400'000;

// The fields of a rule's body, for the decoder and the UI's form.
const OptionSpecs& rule_fields();

// Decodes a request body; every malformed field is reported (VALIDATION_FAILED with details).
Result<RuleInput> decode_rule_input(const nlohmann::json& body, InputMode mode);

// Applies `in` to `r` and validates the whole: the expression parses (EXPR_INVALID, details
// `expr` with the position), templates parse, the kind's fields are present. Fills `parsed`,
// `check_matchers` and the templates.
Result<void> apply_input(Rule& r, const RuleInput& in);

// Rebuilds the derived fields of a rule read back from storage (parsed expression, matchers,
// templates); fails only when stored text no longer parses.
Result<void> compile(Rule& r);

}  // namespace tt::alerts
