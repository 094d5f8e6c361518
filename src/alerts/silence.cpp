#include "alerts/silence.h"

#include <ctime>

namespace tt::alerts {

nlohmann::json to_json(const Silence& s, TimeMs now) {
  return {{"id", s.id},
          {"matchers", s.matchers_text},
          {"starts_at", format_rfc3339(s.starts_at)},
          {"ends_at", format_rfc3339(s.ends_at)},
          {"comment", s.comment},
          {"created_by", s.created_by},
          {"created_at", format_rfc3339(s.created_at)},
          {"state", s.active(now) ? "active" : (now < s.starts_at ? "pending" : "expired")}};
}

std::optional<TimeMs> parse_rfc3339(std::string_view s) {
  std::tm tm{};
  int ms = 0;
  auto digits = [&](std::size_t at, std::size_t n, int& out) {
    if (at + n > s.size()) return false;
    out = 0;
    for (std::size_t i = at; i < at + n; ++i) {
      if (s[i] < '0' || s[i] > '9') return false;
      out = out * 10 + (s[i] - '0');
    }
    return true;
  };
  int year = 0, mon = 0, day = 0, hour = 0, min = 0, sec = 0;
  if (s.size() < 20 || !digits(0, 4, year) || s[4] != '-' || !digits(5, 2, mon) || s[7] != '-' ||
      !digits(8, 2, day) || (s[10] != 'T' && s[10] != 't') || !digits(11, 2, hour) ||
      s[13] != ':' || !digits(14, 2, min) || s[16] != ':' || !digits(17, 2, sec))
    return std::nullopt;
  std::size_t i = 19;
  if (i < s.size() && s[i] == '.') {
    std::size_t start = ++i;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
      if (i - start < 3) ms = ms * 10 + (s[i] - '0');
      ++i;
    }
    if (i == start) return std::nullopt;
    for (std::size_t n = i - start; n < 3; ++n) ms *= 10;
  }
  std::string_view zone = s.substr(i);
  if (zone != "Z" && zone != "z" && zone != "+00:00") return std::nullopt;
  if (mon < 1 || mon > 12 || day < 1 || day > 31 || hour > 23 || min > 59 || sec > 60 ||
      year < 1970)
    return std::nullopt;
  tm.tm_year = year - 1900;
  tm.tm_mon = mon - 1;
  tm.tm_mday = day;
  tm.tm_hour = hour;
  tm.tm_min = min;
  tm.tm_sec = sec;
  return static_cast<TimeMs>(timegm(&tm)) * 1000 + ms;
}

Result<Silence> decode_silence(const nlohmann::json& body, TimeMs now) {
  if (!body.is_object())
    return Error::make(ErrorKind::invalid_input, "INVALID_JSON", "the body must be a JSON object");
  std::vector<FieldError> errs;
  for (const auto& [k, v] : body.items())
    if (k != "matchers" && k != "starts_at" && k != "ends_at" && k != "comment")
      errs.push_back({k, "is not a field of silences"});
  Silence s;
  s.starts_at = now;
  if (!body.contains("matchers") || !body["matchers"].is_string() ||
      body["matchers"].get_ref<const std::string&>().size() > 4096) {
    errs.push_back(
        {"matchers", "is required: a selector over alert labels such as {alertname=\"DiskFull\"}"});
  } else {
    s.matchers_text = body["matchers"].get<std::string>();
    auto m = query::parse_selector(s.matchers_text);
    if (!m)
      errs.push_back({"matchers", m.error().message});
    else
      s.matchers = std::move(m.value());
  }
  auto time_field = [&](const char* f, TimeMs& out) {
    if (!body.contains(f)) return false;
    std::optional<TimeMs> t;
    if (body[f].is_string()) t = parse_rfc3339(body[f].get_ref<const std::string&>());
    if (!t)
      errs.push_back({f, "must be an RFC 3339 time such as 2026-11-23T04:00:00Z"});
    else
      out = *t;
    return t.has_value();
  };
  time_field("starts_at", s.starts_at);
  if (!body.contains("ends_at"))
    errs.push_back({"ends_at", "is required"});
  else if (time_field("ends_at", s.ends_at) && (s.ends_at <= s.starts_at || s.ends_at <= now))
    errs.push_back({"ends_at", "must be after starts_at and in the future"});
  if (body.contains("comment")) {
    if (!body["comment"].is_string() || body["comment"].get_ref<const std::string&>().size() > 2000)
      errs.push_back({"comment", "must be a string of at most 2000 characters"});
    else
      s.comment = body["comment"].get<std::string>();
  }
  if (!errs.empty())
    return Error{
        ErrorKind::validation, "VALIDATION_FAILED", "invalid silence", std::move(errs), {}};
  return s;
}

}  // namespace tt::alerts
