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

std::optional<std::string> rfc3339_check(nlohmann::json& v) {
  auto t = parse_rfc3339(v.get_ref<const std::string&>());
  if (!t) return "must be an RFC 3339 time such as 2026-11-23T04:00:00Z";
  v = *t;  // decoded as milliseconds
  return std::nullopt;
}

std::optional<std::string> selector_check(nlohmann::json& v) {
  auto m = query::parse_selector(v.get_ref<const std::string&>());
  if (!m) return m.error().message;
  return std::nullopt;
}

const OptionSpecs& silence_fields() {
  using T = OptionType;
  static const OptionSpecs specs{
      {.name = "matchers",
       .type = T::string,
       .help = "a selector over alert labels such as {alertname=\"DiskFull\"}",
       .max = 4096,
       .required = true,
       .check = selector_check},
      {.name = "starts_at",
       .type = T::string,
       .help = "RFC 3339; now when absent",
       .check = rfc3339_check},
      {.name = "ends_at", .type = T::string, .required = true, .check = rfc3339_check},
      {.name = "comment", .type = T::string, .max = 2000},
  };
  return specs;
}

Result<Silence> decode_silence(const nlohmann::json& body, TimeMs now) {
  auto v = TT_TRY(decode_fields(
      silence_fields(), body, InputMode::create, "silence",
      [&](const nlohmann::json& valid, std::vector<FieldError>& errs) {
        auto ends = valid.value("ends_at", nlohmann::json());
        if (ends.is_number() && (ends <= valid.value("starts_at", now) || ends <= now))
          errs.push_back({"ends_at", "must be after starts_at and in the future"});
      }));
  Silence s;
  s.matchers_text = v["matchers"].get<std::string>();
  s.matchers = query::parse_selector(s.matchers_text).value();
  s.starts_at = v.value("starts_at", now);
  s.ends_at = v["ends_at"].get<TimeMs>();
  s.comment = v.value("comment", "");
  return s;
}

}  // namespace tt::alerts
