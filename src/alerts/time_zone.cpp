#include "alerts/time_zone.h"

#include <date/tz.h>

#include <cctype>
#include <chrono>
#include <exception>

namespace tt::alerts {

namespace {

using Ms = std::chrono::milliseconds;

// What may name a zone: the database's names are letters, digits and "/_+-" (Etc/GMT+1), and
// nothing else is looked up.
bool plausible_name(std::string_view name) {
  if (name.empty() || name.size() > 64 || name.front() == '/') return false;
  for (char c : name)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '/' && c != '_' && c != '+' &&
        c != '-')
      return false;
  return name.find("..") == std::string_view::npos;
}

}  // namespace

std::optional<TimeZone> TimeZone::locate(std::string_view name) {
  if (!plausible_name(name)) return std::nullopt;
  try {
    const date::time_zone* zone = date::locate_zone(name);
    return TimeZone(zone, std::string(name));
  } catch (const std::exception&) {
    return std::nullopt;  // not a zone, or no database to look in
  }
}

TimeMs TimeZone::to_utc(std::int64_t local_ms) const {
  const date::local_time<Ms> local{Ms(local_ms)};
  return std::chrono::duration_cast<Ms>(
             m_zone->to_sys(local, date::choose::earliest).time_since_epoch())
      .count();
}

std::int64_t TimeZone::to_local(TimeMs utc_ms) const {
  const date::sys_time<Ms> utc{Ms(utc_ms)};
  return m_zone->to_local(utc).time_since_epoch().count();
}

}  // namespace tt::alerts
