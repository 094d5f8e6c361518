// notify/grouping.h — channels' grouping of alerts (Alertmanager's group_by, group_wait,
// group_interval, repeat_interval): the option table, and the outbox rows that wait in a group
// until the dispatcher's round turns them into one group row. Reads and writes take the
// connection of the caller's thread (read pool or writer job).
#pragma once

#include <SQLiteCpp/SQLiteCpp.h>

#include "notify/channel.h"

namespace tt::notify {

// A channel's grouping, as Alertmanager groups alerts per receiver: alerts with the same values
// of `group_by` (["..."]: all labels) go out together. A new group waits `group_wait` to collect
// more; news of a group that was notified waits until `group_interval` after its last
// notification (a group quiet for longer starts over with group_wait); a group still firing
// unacknowledged alerts is sent again `repeat_interval` after its last notification.
struct Grouping {
  std::vector<std::string> group_by;
  std::int64_t group_wait_ms = 30'000;
  std::int64_t group_interval_ms = 300'000;
  std::int64_t repeat_interval_ms = 14'400'000;
};
// The option table of channels' `grouping` (validation, defaults, the UI's form).
const std::vector<OptionSpec>& grouping_options();
// From the normalized JSON stored in channels.grouping.
Grouping parse_grouping(const nlohmann::json& normalized);

// A group whose next notification is due at `at`: waiting members to send, or a repeat.
struct DueGroup {
  std::int64_t channel_id = 0;
  std::string key;  // the group's labels (JSON object)
  TimeMs at = 0;
  bool repeat = false;
};
// Every group with waiting members, and every group of a grouped channel that still has firing,
// unacknowledged alerts, nothing queued and nothing waiting (a candidate for a repeat).
std::vector<DueGroup> due_groups(SQLite::Database& db);
// Writer thread: forms the group row of each group due at or before `now` (its waiting members,
// or for a repeat its firing unacknowledged alerts; and its other alerts still firing), marks
// the members grouped, and returns the rows inserted.
int flush_groups(SQLite::Database& db, TimeMs now);

}  // namespace tt::notify
