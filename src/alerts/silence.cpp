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
