#include "notify/grouping.h"

#include "core/options.h"

namespace tt::notify {

const std::vector<OptionSpec>& grouping_options() {
  static const std::vector<OptionSpec> specs = [] {
    std::vector<OptionSpec> o{
        {"group_by", "Group by labels", OptionType::string_list,
         nlohmann::json::array({"alertname"}),
         "labels whose values form a group; `...` alone groups by all labels, none puts every "
         "alert in one group"},
        {"group_wait", "Group wait", OptionType::duration, "30s",
         "how long a new group waits to collect more alerts before its first notification"},
        {"group_interval", "Group interval", OptionType::duration, "5m",
         "how long news of a notified group waits after its last notification"},
        {"repeat_interval", "Repeat interval", OptionType::duration, "4h",
         "a group with firing, unacknowledged alerts is sent again this long after its last "
         "notification"}};
    o[1].max = o[2].max = o[3].max = 7 * 86'400'000.0;
    o[2].min = o[3].min = 1000;
    return o;
  }();
  return specs;
}

Grouping parse_grouping(const nlohmann::json& normalized) {
  auto r = resolved_options(grouping_options(), normalized);
  Grouping g;
  g.group_by = r.value("group_by", std::vector<std::string>{"alertname"});
  g.group_wait_ms = r.value("group_wait", g.group_wait_ms);
  g.group_interval_ms = r.value("group_interval", g.group_interval_ms);
  g.repeat_interval_ms = r.value("repeat_interval", g.repeat_interval_ms);
  return g;
}

std::vector<DueGroup> due_groups(SQLite::Database& db) {
  std::vector<DueGroup> out;
  auto grouping = [](const SQLite::Column& c) {
    return c.isNull() ? std::optional<Grouping>()
                      : parse_grouping(nlohmann::json::parse(c.getString(), nullptr, false));
  };
  // Waiting members: a new group (or one quiet for longer than group_interval) after
  // group_wait, a notified one group_interval after its last row. A channel whose grouping was
  // removed sends what waits at once.
  SQLite::Statement waiting(
      db,
      "SELECT w.channel_id, w.group_key, min(w.created_at), c.grouping, (SELECT max(g.created_at) "
      "FROM notifications g WHERE g.channel_id = w.channel_id AND g.group_key = w.group_key AND "
      "g.event = 'group') FROM notifications w JOIN channels c ON c.id = w.channel_id WHERE "
      "w.state = 'waiting' GROUP BY w.channel_id, w.group_key ORDER BY w.channel_id, min(w.id)");
  while (waiting.executeStep()) {
    DueGroup d{waiting.getColumn(0).getInt64(), waiting.getColumn(1).getString(), 0, false};
    TimeMs first = waiting.getColumn(2).getInt64();
    auto g = grouping(waiting.getColumn(3));
    if (!g) {
      d.at = first;
    } else if (!waiting.getColumn(4).isNull() &&
               waiting.getColumn(4).getInt64() + g->group_interval_ms >= first) {
      d.at = waiting.getColumn(4).getInt64() + g->group_interval_ms;
    } else {
      d.at = first + g->group_wait_ms;
    }
    out.push_back(std::move(d));
  }
  // Repeats, counted from when the group's last row went out: never into a queue (a group row
  // still pending), never over waiting news.
  SQLite::Statement repeats(
      db,
      "SELECT g.channel_id, g.group_key, max(coalesce(g.sent_at, g.created_at)), c.grouping FROM "
      "notifications g JOIN "
      "channels c ON c.id = g.channel_id WHERE g.event = 'group' AND c.grouping IS NOT NULL GROUP "
      "BY g.channel_id, g.group_key HAVING max(g.state = 'pending') = 0 AND NOT EXISTS(SELECT 1 "
      "FROM notifications w WHERE w.channel_id = g.channel_id AND w.group_key = g.group_key AND "
      "w.state = 'waiting') AND EXISTS(SELECT 1 FROM notifications m JOIN alerts a ON a.id = "
      "m.alert_id WHERE m.channel_id = g.channel_id AND m.group_key = g.group_key AND m.event = "
      "'firing' AND a.state = 'firing' AND a.acked_at IS NULL) ORDER BY g.channel_id, min(g.id)");
  while (repeats.executeStep()) {
    auto g = grouping(repeats.getColumn(3));
    out.push_back({repeats.getColumn(0).getInt64(), repeats.getColumn(1).getString(),
                   repeats.getColumn(2).getInt64() + g->repeat_interval_ms, true});
  }
  return out;
}

int flush_groups(SQLite::Database& db, TimeMs now) {
  // Each alert once, as its newest member says: the waiting news, and the alerts of the group
  // still firing (for a repeat only those nobody acknowledged).
  SQLite::Statement members(
      db,
      "SELECT m.event, m.payload FROM notifications m WHERE m.channel_id = ?1 AND m.group_key = "
      "?2 AND m.event != 'group' AND m.id = (SELECT max(x.id) FROM notifications x WHERE "
      "x.channel_id = ?1 AND x.group_key = ?2 AND x.alert_id = m.alert_id AND x.event != 'group') "
      "AND (m.state = 'waiting' OR (m.event = 'firing' AND EXISTS(SELECT 1 FROM alerts a WHERE "
      "a.id = m.alert_id AND a.state = 'firing' AND (?3 = 0 OR a.acked_at IS NULL)))) ORDER BY "
      "m.alert_id");
  SQLite::Statement insert(
      db,
      "INSERT INTO notifications(channel_id, event, payload, created_at, next_at, group_key) "
      "VALUES (?, 'group', ?, ?, ?, ?)");
  SQLite::Statement grouped(
      db,
      "UPDATE notifications SET state = 'grouped', group_id = ?1 WHERE channel_id = ?2 AND "
      "group_key = ?3 AND state = 'waiting'");
  int formed = 0;
  for (const auto& d : due_groups(db)) {
    if (d.at > now) continue;
    members.reset();
    members.bind(1, d.channel_id);
    members.bind(2, d.key);
    members.bind(3, d.repeat ? 1 : 0);
    auto alerts = nlohmann::json::array();
    while (members.executeStep())
      alerts.push_back(
          {{"event", members.getColumn(0).getString()},
           {"alert", nlohmann::json::parse(members.getColumn(1).getString(), nullptr, false)}});
    if (alerts.empty()) continue;
    nlohmann::json payload{{"group_labels", nlohmann::json::parse(d.key, nullptr, false)},
                           {"repeat", d.repeat},
                           {"alerts", std::move(alerts)}};
    insert.reset();
    insert.bind(1, d.channel_id);
    insert.bind(2, payload.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
    insert.bind(3, static_cast<std::int64_t>(now));
    insert.bind(4, static_cast<std::int64_t>(now));
    insert.bind(5, d.key);
    insert.exec();
    grouped.reset();
    grouped.bind(1, db.getLastInsertRowid());
    grouped.bind(2, d.channel_id);
    grouped.bind(3, d.key);
    grouped.exec();
    ++formed;
  }
  return formed;
}

}  // namespace tt::notify
