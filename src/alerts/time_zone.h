// alerts/time_zone.h — named time zones (IANA: "Europe/Amsterdam") from the system's database
// (/usr/share/zoneinfo, Debian's tzdata), through Howard Hinnant's date library: libstdc++ 12
// has no std::chrono::locate_zone. Maintenance windows recur at a wall-clock time in one, across
// its daylight-saving changes. Thread-safe: the database is loaded once, on first use, and never
// changes while the process runs.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/clock.h"

namespace date {
class time_zone;
}

namespace tt::alerts {

class TimeZone {
 public:
  // nullopt for a name the database does not have (or when there is no database).
  static std::optional<TimeZone> locate(std::string_view name);

  const std::string& name() const { return m_name; }
  // Wall-clock time (milliseconds since 1970-01-01 00:00 local) to UTC. A time that does not
  // exist (skipped when clocks go forward) is the instant the skip ends; one that happens twice
  // (clocks go back) is the first.
  TimeMs to_utc(std::int64_t local_ms) const;
  // UTC to wall-clock time.
  std::int64_t to_local(TimeMs utc_ms) const;

  bool operator==(const TimeZone& other) const { return m_zone == other.m_zone; }

 private:
  TimeZone(const date::time_zone* zone, std::string name) : m_zone(zone), m_name(std::move(name)) {}
  const date::time_zone* m_zone;  // the database's, which lives as long as the process
  std::string m_name;
};

}  // namespace tt::alerts
