#include "notify/outbox.h"

#include <algorithm>

namespace tt::notify {

std::int64_t backoff_ms(int failures, const OutboxOptions& o) {
  std::int64_t wait = o.backoff_min_ms;
  for (int i = 1; i < failures && wait < o.backoff_max_ms; ++i) wait *= 2;
  return std::min(wait, o.backoff_max_ms);
}

int enqueue(SQLite::Database& db, std::int64_t transition_id, std::int64_t rule_id,
            std::int64_t alert_id, Notice::Event event, const std::string& payload, TimeMs at) {
  // A resolution also goes to every channel that was told of the firing (escalation steps,
  // channels since removed from the rule).
  // On a grouped channel the row waits in its group: the alert's values of group_by.
  SQLite::Statement st(
      db,
      "INSERT OR IGNORE INTO notifications(channel_id, transition_id, alert_id, event, payload, "
      "created_at, next_at, state, group_key) SELECT c.id, ?1, ?2, ?3, ?4, ?5, ?5, "
      "CASE WHEN c.grouping IS NULL THEN 'pending' ELSE 'waiting' END, "
      "CASE WHEN c.grouping IS NULL THEN NULL "
      "WHEN EXISTS(SELECT 1 FROM json_each(c.grouping, '$.group_by') g WHERE g.value = '...') "
      "THEN json(json_extract(?4, '$.labels')) "
      "ELSE (SELECT json_group_object(g.value, coalesce(json_extract(?4, '$.labels.' || g.value), "
      "'')) FROM json_each(c.grouping, '$.group_by') g) END "
      "FROM channels c WHERE c.id IN (SELECT j.value FROM alert_rules r, json_each(r.channels) j "
      "WHERE r.id = ?6 UNION SELECT channel_id FROM notifications WHERE alert_id = ?2 AND event = "
      "'firing' AND ?3 = 'resolved') ORDER BY c.id");
  st.bind(1, transition_id);
  st.bind(2, alert_id);
  st.bind(3, std::string(to_string(event)));
  st.bind(4, payload);
  st.bind(5, static_cast<std::int64_t>(at));
  st.bind(6, rule_id);
  return st.exec();
}

}  // namespace tt::notify
