// alerts/silence.h — silences: label matchers (=, !=, =~, !~ over alert labels, written as a
// selector `{alertname="DiskFull", node=~"gw.*"}`) that mute the alerts they select between
// starts_at and ends_at. A silenced alert still changes state; it shows `silenced: true` and
// notifiers skip it. Pure code.
#pragma once

#include <nlohmann/json.hpp>

#include "core/clock.h"
#include "core/options.h"
#include "core/result.h"
#include "query/query.h"

namespace tt::alerts {

struct Silence {
  std::int64_t id = 0;
  std::string matchers_text;
  std::vector<query::Matcher> matchers;
  TimeMs starts_at = 0, ends_at = 0;
  std::string comment;
  std::string created_by;
  TimeMs created_at = 0;

  bool active(TimeMs now) const { return starts_at <= now && now < ends_at; }
  bool mutes(const LabelSet& labels, TimeMs now) const {
    return active(now) && query::matches_all(matchers, labels);
  }
};

nlohmann::json to_json(const Silence& s, TimeMs now);

// The fields of a silence's body, for the decoder and the UI's form.
const OptionSpecs& silence_fields();

// `{"matchers","starts_at"?,"ends_at","comment"?}`; times RFC 3339 (`2026-11-23T04:00:00Z`, with
// optional fractional seconds). starts_at defaults to now; ends_at must be after both.
// Errors: VALIDATION_FAILED with each bad field (a bad selector names its position).
Result<Silence> decode_silence(const nlohmann::json& body, TimeMs now);

// Fields' checks (core/options.h): RFC 3339 times, decoded as milliseconds; label selectors.
std::optional<std::string> rfc3339_check(nlohmann::json& v);
std::optional<std::string> selector_check(nlohmann::json& v);

}  // namespace tt::alerts
