// alerts/inhibit.h — inhibition, as Alertmanager's inhibit_rules: while a firing alert matches a
// rule's `source` matchers, the alerts that match its `target` matchers and carry the same
// values of its `equal` labels are muted (a missing label equals a missing one). An alert that
// matches both sides is inhibited only by a source that does not match the target side too, so
// a rule never makes alerts of one kind mute each other. Built in: while a node is down and an
// alert about the node itself fires (label `node`, no `check` label), the alerts of its checks
// (the same `node`, with a `check` label) are muted: one message says the node is down, not
// one per service on it. Like silences, inhibition is worked out when alerts are read and
// changes no alert's state. Pure code.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "alerts/alert.h"
#include "core/options.h"
#include "core/result.h"
#include "query/query.h"

namespace tt::alerts {

struct InhibitRule {
  std::int64_t id = 0;
  std::string name;
  std::string comment;
  std::string source_text, target_text;  // selectors over alert labels
  std::vector<query::Matcher> source, target;
  std::vector<std::string> equal;  // label names, sorted
  std::string created_by;
  TimeMs created_at = 0, updated_at = 0;
};

// The fields of an inhibit rule's body, for the decoder and the UI's form.
const OptionSpecs& inhibit_rule_fields();

// `{"name","comment"?,"source","target","equal"?}`. Errors: VALIDATION_FAILED with each bad
// field (a bad selector names its position).
Result<InhibitRule> decode_inhibit_rule(const nlohmann::json& body);
// A PATCH: `patch` merged into the rule's input document (RFC 7386) and decoded again.
Result<InhibitRule> apply_patch(const InhibitRule& r, const nlohmann::json& patch);
nlohmann::json to_input_json(const InhibitRule& r);
nlohmann::json to_json(const InhibitRule& r);

// Which firing alert inhibits an alert, given the rules, the firing alerts (id and labels
// suffice) and the names of the nodes that are down. Built once per read: each rule's sources
// are indexed by their `equal` values, so a lookup costs a few matcher runs per rule whatever
// the number of firing alerts.
class Inhibition {
 public:
  Inhibition(const std::vector<InhibitRule>& rules, const std::vector<Alert>& firing,
             const std::set<std::string>& down_nodes);
  // The id of an alert that inhibits one with these labels; 0 for none.
  std::int64_t source_of(const LabelSet& labels) const;

 private:
  struct Indexed {
    InhibitRule rule;
    // equal values → a source; `one_sided` holds only the sources that do not match `target`.
    std::map<std::vector<std::string>, std::int64_t> any, one_sided;
  };
  std::vector<Indexed> m_rules;
  std::map<std::string, std::int64_t> m_down_node_source;  // node name → a node-level firing alert
};

}  // namespace tt::alerts
