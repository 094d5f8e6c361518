// alerts/alert.h — an alert: one label set of one rule, from the first evaluation that found it
// (pending) through firing to resolved. The state machine (RuleAlerts) is Prometheus' alerting
// rule, evaluation by evaluation, so firing and resolve times match Prometheus'. Pure code.
#pragma once

#include <deque>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "alerts/rule.h"
#include "core/series.h"

namespace tt::alerts {

enum class AlertState { pending, firing, resolved };
std::string_view to_string(AlertState s);
std::optional<AlertState> parse_alert_state(std::string_view s);

struct Ack {
  std::string by;
  TimeMs at = 0;
  std::string comment;
};

// A maintenance window that mutes an alert, as alerts name it.
struct WindowRef {
  std::int64_t id = 0;
  std::string name;
};

struct Alert {
  std::int64_t id = 0;  // 0 until stored
  std::int64_t rule_id = 0;
  std::string rule_name;
  Severity severity = Severity::warning;
  LabelSet labels;  // series labels without __name__, the rule's labels, severity, alertname
  Labels annotations;
  AlertState state = AlertState::pending;
  double value = 0;
  TimeMs active_at = 0;  // the first evaluation that found the label set; `for` counts from here
  std::optional<TimeMs> fired_at, resolved_at;
  std::optional<TimeMs> keep_firing_since;  // firing, but the expression stopped finding it
  bool flapping =
      false;  // fired often enough for the rule's flap damping: held firing while it bounces
  TimeMs last_eval_at = 0;
  std::optional<Ack> ack;
  bool silenced = false;               // an active silence selects its labels (set when read)
  std::vector<WindowRef> maintenance;  // the active maintenance windows covering it (set when read)
  std::int64_t inhibited_by = 0;  // a firing alert that inhibits it, 0 for none (set when read)
  // What notifiers skip: silenced, in maintenance or inhibited.
  bool muted() const { return silenced || !maintenance.empty() || inhibited_by != 0; }
};

nlohmann::json to_json(const Alert& a);

// One change of an alert's state, as the evaluator stores it (a row of alert_transitions) and
// publishes it. `from` is empty for a new alert.
struct Transition {
  Alert alert;  // after the change
  std::optional<AlertState> from;
  TimeMs at = 0;
};

// The alerts of one rule between evaluations. Not thread-safe: the evaluator thread owns it.
class RuleAlerts {
 public:
  // One evaluation at time t of the rule's result (Prometheus' AlertingRule.Eval): a label set
  // found for the first time (or again after it resolved) becomes pending; pending turns firing
  // once t - active_at >= for; a pending alert not found is dropped (resolved without having
  // fired), a firing one resolves unless keep_firing_for holds it, or flap damping: a label set
  // firing for the `fires`-th time within the window is flapping, held firing until it has been
  // gone for a whole window. Two samples with the same
  // label set after the rule's labels are applied are an error (ALERT_DUPLICATE_LABELS), and
  // nothing changes. Returns the transitions in label order.
  Result<std::vector<Transition>> evaluate(const Rule& rule, const query::Vector& result, TimeMs t);

  // After a restart: the stored active alerts continue (their active_at keeps counting `for`).
  void restore(std::vector<Alert> active);
  // The rule was deleted or disabled: every active alert resolves at t.
  std::vector<Transition> resolve_all(TimeMs t);
  // Alerts stored by the evaluator get their ids here.
  void set_id(const LabelSet& labels, std::int64_t id);

  // Pending and firing alerts (and firing ones held by keep_firing_for), by labels.
  const std::map<LabelSet, Alert>& active() const { return m_active; }

 private:
  std::map<LabelSet, Alert> m_active;
  // For flap damping: when each label set fired, within the rule's window.
  std::map<LabelSet, std::deque<TimeMs>> m_fired;
};

}  // namespace tt::alerts
