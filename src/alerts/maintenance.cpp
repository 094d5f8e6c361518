#include "alerts/maintenance.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cstdlib>

#include "alerts/merge_patch.h"
#include "alerts/silence.h"
#include "core/duration.h"
#include "core/options.h"

namespace tt::alerts {

namespace {

constexpr std::int64_t kDayMs = 86'400'000;
constexpr std::int64_t kMaxDurationMs = 7 * kDayMs;
constexpr std::array<const char*, 7> kDays = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};

std::int64_t floor_div(std::int64_t a, std::int64_t b) {
  return a / b - (a % b != 0 && (a < 0) != (b < 0));
}

// 1970-01-01 (day 0) was a Thursday; Monday is 0.
int weekday(std::int64_t day) { return static_cast<int>(((day + 3) % 7 + 7) % 7); }

std::optional<int> two_digits(std::string_view s) {
  if (s.size() != 2 || s[0] < '0' || s[0] > '9' || s[1] < '0' || s[1] > '9') return std::nullopt;
  return (s[0] - '0') * 10 + (s[1] - '0');
}

// "HH:MM" after midnight, in milliseconds.
std::optional<std::int64_t> parse_time_of_day(std::string_view s) {
  if (s.size() != 5 || s[2] != ':') return std::nullopt;
  auto h = two_digits(s.substr(0, 2)), m = two_digits(s.substr(3, 2));
  if (!h || !m || *h > 23 || *m > 59) return std::nullopt;
  return (*h * 60 + *m) * 60'000LL;
}

// "UTC", "Z" or "+HH:MM" / "-HH:MM", in minutes east of UTC.
std::optional<std::int32_t> parse_utc_offset(std::string_view s) {
  if (s == "UTC" || s == "Z") return 0;
  if (s.size() != 6 || (s[0] != '+' && s[0] != '-') || s[3] != ':') return std::nullopt;
  auto h = two_digits(s.substr(1, 2)), m = two_digits(s.substr(4, 2));
  if (!h || !m || *h > 14 || *m > 59) return std::nullopt;
  return (s[0] == '-' ? -1 : 1) * (*h * 60 + *m);
}

std::string format_utc_offset(std::int32_t min) {
  if (min == 0) return "UTC";
  return fmt::format("{}{:02}:{:02}", min < 0 ? '-' : '+', std::abs(min) / 60, std::abs(min) % 60);
}

// Field checks: each normalizes its value to what the window stores.
std::optional<std::string> days_check(nlohmann::json& v) {
  std::uint8_t days = 0;
  for (const auto& d : v) {
    auto it = std::find(kDays.begin(), kDays.end(), d.get_ref<const std::string&>());
    if (it == kDays.end())
      return fmt::format("{} is not a day: use mon, tue, wed, thu, fri, sat, sun", d.dump());
    days |= static_cast<std::uint8_t>(1u << (it - kDays.begin()));
  }
  if (!days) return "must be a non-empty list of mon, tue, wed, thu, fri, sat, sun";
  v = days;
  return std::nullopt;
}

std::optional<std::string> time_of_day_check(nlohmann::json& v) {
  auto ms = parse_time_of_day(v.get_ref<const std::string&>());
  if (!ms) return "must be a time of day HH:MM such as 02:30";
  v = *ms;
  return std::nullopt;
}

// A fixed offset becomes its minutes; a zone name stays a name.
std::optional<std::string> time_zone_check(nlohmann::json& v) {
  const auto& text = v.get_ref<const std::string&>();
  if (auto min = parse_utc_offset(text)) {
    v = *min;
    return std::nullopt;
  }
  if (TimeZone::locate(text)) return std::nullopt;
  return "must be a time zone name such as Europe/Amsterdam, UTC, or a UTC offset such as +01:00";
}

// Empty: no label condition.
std::optional<std::string> optional_selector_check(nlohmann::json& v) {
  return v == "" ? std::nullopt : selector_check(v);
}

std::optional<std::string> sorted_ids_check(nlohmann::json& v) {
  auto ids = v.get<std::vector<std::int64_t>>();
  std::sort(ids.begin(), ids.end());
  v = ids;
  return std::nullopt;
}

// What the table cannot say: the schedule is one-off or recurring, and the window has a scope.
void check_window(const nlohmann::json& body, const nlohmann::json& valid,
                  std::vector<FieldError>& errs) {
  bool scope_errs = std::any_of(errs.begin(), errs.end(), [](const FieldError& e) {
    return e.field == "node_ids" || e.field == "matchers";
  });
  if (valid.value("node_ids", nlohmann::json::array()).empty() &&
      valid.value("matchers", "").empty() && !scope_errs)
    errs.push_back(
        {"node_ids", "node_ids or matchers (or both) must say which alerts the window mutes"});
  bool one_off = body.contains("starts_at") || body.contains("ends_at");
  if (body.contains("recurrence")) {
    if (one_off)
      errs.push_back(
          {"recurrence", "a window is either one-off (starts_at, ends_at) or recurring, not both"});
    // A nested error leaves the recurrence out of `valid`: these are told once it is well-formed.
    const auto rec = valid.value("recurrence", nlohmann::json());
    if (rec.is_object() && rec["every"] == "day" && rec.contains("days"))
      errs.push_back({"recurrence.days", "is only for weekly windows"});
    if (rec.is_object() && rec["every"] == "week" && !rec.contains("days"))
      errs.push_back({"recurrence.days", "is required for weekly windows"});
  } else if (!one_off) {
    errs.push_back({"starts_at", "starts_at and ends_at (one-off) or recurrence is required"});
  } else if (!body.contains("starts_at")) {
    errs.push_back({"starts_at", "is required with ends_at"});
  } else if (!body.contains("ends_at")) {
    errs.push_back({"ends_at", "is required with starts_at"});
  } else if (valid.contains("starts_at") && valid.contains("ends_at") &&
             valid["ends_at"] <= valid["starts_at"]) {
    errs.push_back({"ends_at", "must be after starts_at"});
  }
}

}  // namespace

bool MaintenanceWindow::active(TimeMs t) const {
  if (!recurrence) return starts_at && ends_at && *starts_at <= t && t < *ends_at;
  const Recurrence& r = *recurrence;
  TimeMs local = r.zone ? r.zone->to_local(t) : t + r.utc_offset_min * 60'000LL;
  // Occurrences begin at day * kDayMs + start_ms (local); those that may still last at `local`
  // began on one of the last duration / kDayMs + 1 days (one more in a zone: its offset at the
  // start may differ from the one at t).
  for (auto day = floor_div(local - r.start_ms - r.duration_ms, kDayMs) - (r.zone ? 1 : 0),
            last = floor_div(local, kDayMs);
       day <= last; ++day) {
    if (r.weekly && !(r.days & (1u << weekday(day)))) continue;
    const TimeMs begin_local = day * kDayMs + r.start_ms;
    const TimeMs begin =
        r.zone ? r.zone->to_utc(begin_local) : begin_local - r.utc_offset_min * 60'000LL;
    if (begin <= t && t < begin + r.duration_ms) return true;
  }
  return false;
}

bool MaintenanceWindow::covers(const LabelSet& labels) const {
  if (!node_ids.empty()) {
    auto node =
        std::find_if(labels.begin(), labels.end(), [](const Label& l) { return l.name == "node"; });
    if (node == labels.end() ||
        std::find(node_names.begin(), node_names.end(), node->value) == node_names.end())
      return false;
  }
  return query::matches_all(matchers, labels);
}

const OptionSpecs& maintenance_fields() {
  using T = OptionType;
  static const OptionSpecs recurrence{
      {.name = "every", .type = T::choice, .choices = {"week", "day"}, .required = true},
      {.name = "days",
       .type = T::string_list,
       .max_items = 7,
       .message = "must be a non-empty list of mon, tue, wed, thu, fri, sat, sun",
       .check = days_check},
      {.name = "start_time", .type = T::string, .required = true, .check = time_of_day_check},
      {.name = "duration",
       .type = T::duration,
       .min = 1,
       .max = kMaxDurationMs,
       .required = true,
       .message = "must be a duration such as 2h or 1h30m, more than 0 and at most 7d"},
      {.name = "time_zone", .type = T::string, .max = 64, .check = time_zone_check},
  };
  static const OptionSpecs specs{
      name_field(),
      {.name = "comment", .type = T::string, .max = 2000},
      {.name = "node_ids",
       .type = T::id_list,
       .max_items = 1000,
       .message = "must be a list of node ids",
       .check = sorted_ids_check},
      {.name = "matchers", .type = T::string, .max = 4096, .check = optional_selector_check},
      {.name = "starts_at", .type = T::string, .check = rfc3339_check},
      {.name = "ends_at", .type = T::string, .check = rfc3339_check},
      {.name = "recurrence", .type = T::object, .fields = &recurrence},
  };
  return specs;
}

Result<MaintenanceWindow> decode_maintenance(const nlohmann::json& body) {
  auto v = TT_TRY(decode_fields(maintenance_fields(), body, InputMode::create, "maintenance window",
                                [&](const nlohmann::json& valid, std::vector<FieldError>& errs) {
                                  check_window(body, valid, errs);
                                }));
  MaintenanceWindow w;
  w.name = v["name"].get<std::string>();
  w.comment = v.value("comment", "");
  w.node_ids = v.value("node_ids", std::vector<std::int64_t>());
  w.matchers_text = v.value("matchers", "");
  if (!w.matchers_text.empty()) w.matchers = query::parse_selector(w.matchers_text).value();
  if (auto it = v.find("recurrence"); it != v.end()) {
    const auto& r = *it;
    w.recurrence = Recurrence{r["every"] == "week",
                              r.value("days", std::uint8_t{0}),
                              r["start_time"].get<std::int64_t>(),
                              *parse_duration_ms(r["duration"].get<std::string>()),
                              0,
                              {}};
    if (auto zone = r.find("time_zone"); zone != r.end() && zone->is_string())
      w.recurrence->zone = TimeZone::locate(zone->get<std::string>());
    else
      w.recurrence->utc_offset_min = r.value("time_zone", std::int32_t{0});
  } else {
    w.starts_at = v["starts_at"].get<TimeMs>();
    w.ends_at = v["ends_at"].get<TimeMs>();
  }
  return w;
}

Result<MaintenanceWindow> apply_patch(const MaintenanceWindow& w, const nlohmann::json& patch) {
  auto doc = to_input_json(w);
  // Giving the other kind of schedule replaces the current one.
  if (patch.contains("recurrence") && !patch["recurrence"].is_null()) {
    doc.erase("starts_at");
    doc.erase("ends_at");
  } else if (patch.contains("starts_at") || patch.contains("ends_at")) {
    doc.erase("recurrence");
  }
  return merge_patch(w, std::move(doc), patch, decode_maintenance);
}

nlohmann::json to_input_json(const MaintenanceWindow& w) {
  nlohmann::json j{{"name", w.name},
                   {"comment", w.comment},
                   {"node_ids", w.node_ids},
                   {"matchers", w.matchers_text}};
  if (w.recurrence) {
    const auto& r = *w.recurrence;
    nlohmann::json rec{
        {"every", r.weekly ? "week" : "day"},
        {"start_time",
         fmt::format("{:02}:{:02}", r.start_ms / 3'600'000, r.start_ms / 60'000 % 60)},
        {"duration", format_duration_ms(r.duration_ms)},
        {"time_zone", r.zone ? r.zone->name() : format_utc_offset(r.utc_offset_min)}};
    if (r.weekly) {
      rec["days"] = nlohmann::json::array();
      for (std::size_t i = 0; i < kDays.size(); ++i)
        if (r.days & (1u << i)) rec["days"].push_back(kDays[i]);
    }
    j["recurrence"] = std::move(rec);
  } else {
    j["starts_at"] = format_rfc3339(w.starts_at.value_or(0));
    j["ends_at"] = format_rfc3339(w.ends_at.value_or(0));
  }
  return j;
}

nlohmann::json to_json(const MaintenanceWindow& w, TimeMs now) {
  auto j = to_input_json(w);
  j["id"] = w.id;
  j["created_by"] = w.created_by;
  j["created_at"] = format_rfc3339(w.created_at);
  j["updated_at"] = format_rfc3339(w.updated_at);
  j["active"] = w.active(now);
  return j;
}

}  // namespace tt::alerts
