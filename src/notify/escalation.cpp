#include "notify/escalation.h"

#include <string>

namespace tt::notify {

namespace {

// The unacknowledged firing alerts, the step channels whose time has come, and the alert's
// latest firing transition; rows already queued for it are skipped by the UNIQUE key.
constexpr const char* kEscalationSelect =
    "FROM alerts a JOIN alert_rules r ON r.id = a.rule_id, json_each(r.escalations) e, "
    "json_each(e.value, '$.channels') ch JOIN channels c ON c.id = ch.value "
    "JOIN alert_transitions t ON t.id = (SELECT max(id) FROM alert_transitions WHERE alert_id = "
    "a.id AND to_state = 'firing') "
    "WHERE a.state = 'firing' AND a.acked_at IS NULL AND a.fired_at + json_extract(e.value, "
    "'$.after_ms') <= ?1 "
    "AND NOT EXISTS(SELECT 1 FROM notifications n WHERE n.transition_id = t.id AND n.channel_id = "
    "c.id)";

}  // namespace

int escalate(SQLite::Database& db, TimeMs now) {
  SQLite::Statement st(
      db,
      std::string(
          "INSERT OR IGNORE INTO notifications(channel_id, transition_id, alert_id, event, "
          "payload, created_at, next_at) SELECT c.id, t.id, a.id, 'firing', json_object('id', "
          "a.id, 'rule_name', a.rule_name, 'severity', a.severity, 'labels', json(a.labels), "
          "'annotations', json(a.annotations), 'value', a.value, 'active_at_ms', a.active_at, "
          "'fired_at_ms', a.fired_at, 'escalated_after_ms', json_extract(e.value, '$.after_ms')), "
          "t.at, ?1 ") +
          kEscalationSelect + " ORDER BY a.id, e.key, ch.key");
  st.bind(1, static_cast<std::int64_t>(now));
  return st.exec();
}

bool escalations_due(SQLite::Database& db, TimeMs now) {
  SQLite::Statement st(db, std::string("SELECT 1 ") + kEscalationSelect + " LIMIT 1");
  st.bind(1, static_cast<std::int64_t>(now));
  return st.executeStep();
}

}  // namespace tt::notify
