// alerts/builtin.h — the alert rules a server starts with, so that adding a check alerts
// someone without a rule written by hand. Each is a key and an ordinary rule body: at start
// AlertService::seed_builtin creates, once per database, the rules whose keys it has never
// created, as ordinary rows (edited, disabled or deleted like any; a deleted one stays deleted).
// A new built-in rule (the agent's disk filling, host down) is one more entry of the table.
#pragma once

#include <string_view>
#include <vector>

#include "alerts/rule.h"

namespace tt::alerts {

struct BuiltinRule {
  std::string_view key;   // stable: kept in the rule's row and in settings once created
  std::string_view body;  // the rule as the API takes it (JSON), without channels
};

const std::vector<BuiltinRule>& builtin_rules();

}  // namespace tt::alerts
