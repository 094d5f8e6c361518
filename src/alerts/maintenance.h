// alerts/maintenance.h — maintenance windows: planned work during which the alerts of some nodes
// (node_ids) and/or the alerts some label matchers select (the silences' selector syntax) are
// muted. The schedule is one-off ([starts_at, ends_at)) or recurring (daily, or weekly on some
// days, from a time of day for a duration, in a named time zone, whose daylight-saving changes it
// follows (alerts/time_zone.h), or in a fixed UTC offset). Like a silence, a window
// changes no alert's state and no node's status; alerts read through the service name the
// windows that mute them. Pure code.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "alerts/time_zone.h"
#include "core/clock.h"
#include "core/options.h"
#include "core/result.h"
#include "query/query.h"

namespace tt::alerts {

struct Recurrence {
  bool weekly = true;               // false: every day
  std::uint8_t days = 0;            // weekly: bit 0 = Monday .. bit 6 = Sunday
  std::int64_t start_ms = 0;        // time of day, after local midnight
  std::int64_t duration_ms = 0;     // at most 7 days
  std::int32_t utc_offset_min = 0;  // without a zone
  // A named zone: each occurrence starts at start_ms on the zone's wall clock of its day (when
  // that time is skipped by a DST change, at the end of the skip; when it happens twice, the
  // first time) and lasts duration_ms of real time.
  std::optional<TimeZone> zone;
};

struct MaintenanceWindow {
  std::int64_t id = 0;
  std::string name;
  std::string comment;
  std::vector<std::int64_t> node_ids;
  std::vector<std::string> node_names;  // the current names of node_ids (set when read)
  std::string matchers_text;            // empty: no label condition
  std::vector<query::Matcher> matchers;
  std::optional<TimeMs> starts_at, ends_at;  // one-off
  std::optional<Recurrence> recurrence;      // or recurring
  std::string created_by;
  TimeMs created_at = 0, updated_at = 0;

  bool active(TimeMs t) const;
  // Alerts carry their node's name in the `node` label. With both node_ids and matchers, an
  // alert must satisfy both.
  bool covers(const LabelSet& labels) const;
  bool mutes(const LabelSet& labels, TimeMs t) const { return active(t) && covers(labels); }
};

// The fields of a window's body, for the decoder and the UI's form.
const OptionSpecs& maintenance_fields();

// The body a window is created from (and the document a PATCH is merged into, RFC 7386):
// `{"name","comment"?,"node_ids"?,"matchers"?,"starts_at","ends_at"}` or with
// `"recurrence": {"every": "week"|"day", "days"?: ["mon",...], "start_time": "HH:MM",
// "duration": "2h", "time_zone"?: "Europe/Amsterdam"|"UTC"|"+01:00"}` instead of starts_at and
// ends_at.
// Errors: VALIDATION_FAILED with each bad field (`recurrence.days`, ...).
Result<MaintenanceWindow> decode_maintenance(const nlohmann::json& body);
// A PATCH: `patch` merged into the window's input document (RFC 7386) and decoded again; giving
// recurrence drops starts_at and ends_at, and the other way round.
Result<MaintenanceWindow> apply_patch(const MaintenanceWindow& w, const nlohmann::json& patch);
nlohmann::json to_input_json(const MaintenanceWindow& w);
nlohmann::json to_json(const MaintenanceWindow& w, TimeMs now);

}  // namespace tt::alerts
