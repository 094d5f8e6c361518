#include "alerts/maintenance.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cstdlib>

#include "alerts/silence.h"
#include "core/duration.h"
#include "core/names.h"

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

std::optional<Recurrence> decode_recurrence(const nlohmann::json& r,
                                            std::vector<FieldError>& errs) {
  if (!r.is_object()) {
    errs.push_back({"recurrence", "must be an object with every, start_time and duration"});
    return std::nullopt;
  }
  std::size_t before = errs.size();
  for (const auto& [k, v] : r.items())
    if (k != "every" && k != "days" && k != "start_time" && k != "duration" && k != "time_zone")
      errs.push_back({"recurrence." + k, "is not a field of a recurrence"});
  Recurrence rec;
  auto every = r.value("every", nlohmann::json());
  if (every == "week")
    rec.weekly = true;
  else if (every == "day")
    rec.weekly = false;
  else
    errs.push_back({"recurrence.every", "must be week or day"});
  if (r.contains("days")) {
    const auto& days = r["days"];
    if (!rec.weekly) {
      errs.push_back({"recurrence.days", "is only for weekly windows"});
    } else if (!days.is_array() || days.empty()) {
      errs.push_back(
          {"recurrence.days", "must be a non-empty list of mon, tue, wed, thu, fri, sat, sun"});
    } else {
      for (const auto& d : days) {
        auto it = d.is_string()
                      ? std::find(kDays.begin(), kDays.end(), d.get_ref<const std::string&>())
                      : kDays.end();
        if (it == kDays.end()) {
          errs.push_back(
              {"recurrence.days",
               fmt::format("{} is not a day: use mon, tue, wed, thu, fri, sat, sun", d.dump())});
          break;
        }
        rec.days |= static_cast<std::uint8_t>(1u << (it - kDays.begin()));
      }
    }
  } else if (every == "week") {
    errs.push_back({"recurrence.days", "is required for weekly windows"});
  }
  auto start = r.contains("start_time") && r["start_time"].is_string()
                   ? parse_time_of_day(r["start_time"].get_ref<const std::string&>())
                   : std::nullopt;
  if (!start)
    errs.push_back({"recurrence.start_time", "must be a time of day HH:MM such as 02:30"});
  else
    rec.start_ms = *start;
  auto duration = r.contains("duration") && r["duration"].is_string()
                      ? parse_duration_ms(r["duration"].get_ref<const std::string&>())
                      : std::nullopt;
  if (!duration || *duration <= 0 || *duration > kMaxDurationMs)
    errs.push_back({"recurrence.duration",
                    "must be a duration such as 2h or 1h30m, more than 0 and at most 7d"});
  else
    rec.duration_ms = *duration;
  if (r.contains("time_zone")) {
    auto offset = r["time_zone"].is_string()
                      ? parse_utc_offset(r["time_zone"].get_ref<const std::string&>())
                      : std::nullopt;
    if (!offset)
      errs.push_back(
          {"recurrence.time_zone",
           "must be UTC or a UTC offset such as +01:00 (time zone names are not supported)"});
    else
      rec.utc_offset_min = *offset;
  }
  if (errs.size() != before) return std::nullopt;
  return rec;
}

}  // namespace

bool MaintenanceWindow::active(TimeMs t) const {
  if (!recurrence) return starts_at && ends_at && *starts_at <= t && t < *ends_at;
  const Recurrence& r = *recurrence;
  TimeMs local = t + r.utc_offset_min * 60'000LL;
  // Occurrences begin at day * kDayMs + start_ms (local); those that may still last at `local`
  // began on one of the last duration / kDayMs + 1 days.
  for (auto day = floor_div(local - r.start_ms - r.duration_ms, kDayMs),
            last = floor_div(local, kDayMs);
       day <= last; ++day) {
    if (r.weekly && !(r.days & (1u << weekday(day)))) continue;
    TimeMs begin = day * kDayMs + r.start_ms;
    if (begin <= local && local < begin + r.duration_ms) return true;
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

Result<MaintenanceWindow> decode_maintenance(const nlohmann::json& body) {
  if (!body.is_object())
    return Error::make(ErrorKind::invalid_input, "INVALID_JSON", "the body must be a JSON object");
  std::vector<FieldError> errs;
  for (const auto& [k, v] : body.items())
    if (k != "name" && k != "comment" && k != "node_ids" && k != "matchers" && k != "starts_at" &&
        k != "ends_at" && k != "recurrence")
      errs.push_back({k, "is not a field of maintenance windows"});
  MaintenanceWindow w;
  auto text = [&](const char* f, std::size_t max, std::string& out) {
    if (!body.contains(f)) return;
    if (!body[f].is_string() || body[f].get_ref<const std::string&>().size() > max)
      errs.push_back({f, fmt::format("must be a string of at most {} characters", max)});
    else
      out = body[f].get<std::string>();
  };
  text("name", 200, w.name);
  if (w.name.empty() && (!body.contains("name") || body["name"].is_string()))
    errs.push_back({"name", "is required"});
  else if (auto why = display_name_problem(w.name))
    errs.push_back({"name", *why});
  text("comment", 2000, w.comment);
  if (body.contains("node_ids")) {
    const auto& ids = body["node_ids"];
    bool good = ids.is_array() && ids.size() <= 1000;
    if (good)
      for (const auto& id : ids) {
        if (!id.is_number_integer() || id.get<std::int64_t>() < 1) {
          good = false;
          break;
        }
        w.node_ids.push_back(id.get<std::int64_t>());
      }
    if (!good) errs.push_back({"node_ids", "must be a list of node ids"});
    std::sort(w.node_ids.begin(), w.node_ids.end());
    w.node_ids.erase(std::unique(w.node_ids.begin(), w.node_ids.end()), w.node_ids.end());
  }
  text("matchers", 4096, w.matchers_text);
  if (!w.matchers_text.empty()) {
    auto m = query::parse_selector(w.matchers_text);
    if (!m)
      errs.push_back({"matchers", m.error().message});
    else
      w.matchers = std::move(m.value());
  }
  bool scope_errs = std::any_of(errs.begin(), errs.end(), [](const FieldError& e) {
    return e.field == "node_ids" || e.field == "matchers";
  });
  if (w.node_ids.empty() && w.matchers_text.empty() && !scope_errs)
    errs.push_back(
        {"node_ids", "node_ids or matchers (or both) must say which alerts the window mutes"});

  auto time_field = [&](const char* f) -> std::optional<TimeMs> {
    std::optional<TimeMs> t;
    if (body[f].is_string()) t = parse_rfc3339(body[f].get_ref<const std::string&>());
    if (!t) errs.push_back({f, "must be an RFC 3339 time such as 2026-11-23T04:00:00Z"});
    return t;
  };
  bool one_off = body.contains("starts_at") || body.contains("ends_at");
  if (body.contains("recurrence")) {
    if (one_off)
      errs.push_back(
          {"recurrence", "a window is either one-off (starts_at, ends_at) or recurring, not both"});
    w.recurrence = decode_recurrence(body["recurrence"], errs);
  } else if (!one_off) {
    errs.push_back({"starts_at", "starts_at and ends_at (one-off) or recurrence is required"});
  } else {
    if (!body.contains("starts_at"))
      errs.push_back({"starts_at", "is required with ends_at"});
    else
      w.starts_at = time_field("starts_at");
    if (!body.contains("ends_at"))
      errs.push_back({"ends_at", "is required with starts_at"});
    else
      w.ends_at = time_field("ends_at");
    if (w.starts_at && w.ends_at && *w.ends_at <= *w.starts_at)
      errs.push_back({"ends_at", "must be after starts_at"});
  }
  if (!errs.empty())
    return Error{ErrorKind::validation,
                 "VALIDATION_FAILED",
                 "invalid maintenance window",
                 std::move(errs),
                 {}};
  return w;
}

Result<MaintenanceWindow> apply_patch(const MaintenanceWindow& w, const nlohmann::json& patch) {
  if (!patch.is_object())
    return Error::make(ErrorKind::invalid_input, "INVALID_JSON", "the body must be a JSON object");
  auto doc = to_input_json(w);
  // Giving the other kind of schedule replaces the current one.
  if (patch.contains("recurrence") && !patch["recurrence"].is_null()) {
    doc.erase("starts_at");
    doc.erase("ends_at");
  } else if (patch.contains("starts_at") || patch.contains("ends_at")) {
    doc.erase("recurrence");
  }
  doc.merge_patch(patch);
  auto out = decode_maintenance(doc);
  if (!out.ok()) return out;
  out->id = w.id;
  out->created_by = w.created_by;
  out->created_at = w.created_at;
  out->updated_at = w.updated_at;
  return out;
}

nlohmann::json to_input_json(const MaintenanceWindow& w) {
  nlohmann::json j{{"name", w.name},
                   {"comment", w.comment},
                   {"node_ids", w.node_ids},
                   {"matchers", w.matchers_text}};
  if (w.recurrence) {
    const auto& r = *w.recurrence;
    nlohmann::json rec{{"every", r.weekly ? "week" : "day"},
                       {"start_time", fmt::format("{:02}:{:02}", r.start_ms / 3'600'000,
                                                  r.start_ms / 60'000 % 60)},
                       {"duration", format_duration_ms(r.duration_ms)},
                       {"time_zone", format_utc_offset(r.utc_offset_min)}};
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
