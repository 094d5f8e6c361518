#include "checks/check.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "checks/conditions.h"
#include "core/duration.h"
#include "core/names.h"
#include "core/redact.h"
#include "core/series.h"
#include "probes/descriptor.h"

namespace tt::checks {

namespace {

constexpr std::int64_t kMinIntervalMs = 1000;
constexpr std::int64_t kMaxIntervalMs = 7 * 86'400'000LL;
constexpr std::int64_t kMinTimeoutMs = 100;
constexpr std::int64_t kMaxTimeoutMs = 300'000;
constexpr std::size_t kMaxConditions = 32;

Error invalid(std::vector<FieldError> errs) {
  return Error{ErrorKind::validation, "VALIDATION_FAILED", "invalid check", std::move(errs), {}};
}

std::optional<std::int64_t> duration_field(const nlohmann::json& v, const char* field,
                                           std::int64_t min, std::int64_t max,
                                           std::vector<FieldError>& errs) {
  std::optional<std::int64_t> ms;
  if (v.is_string()) ms = parse_duration_ms(v.get_ref<const std::string&>());
  if (!ms) {
    errs.push_back({field, "must be a duration such as \"900ms\", \"30s\" or \"5m\""});
    return std::nullopt;
  }
  if (*ms < min || *ms > max) {
    errs.push_back({field, fmt::format("must be between {} and {}", format_duration_ms(min),
                                       format_duration_ms(max))});
    return std::nullopt;
  }
  return ms;
}

}  // namespace

LabelSet sample_labels(const Check& c) {
  LabelSet ls{{"check", c.name}, {"kind", c.kind}};
  if (!c.node_name.empty()) ls.push_back({"node", c.node_name});
  for (const auto& [k, v] : c.labels) ls.push_back({k, v});
  return ls;
}

std::string_view to_string(CheckState s) {
  switch (s) {
    case CheckState::pending:
      return "pending";
    case CheckState::up:
      return "up";
    case CheckState::down:
      return "down";
    case CheckState::paused:
      return "paused";
  }
  return "pending";
}

std::optional<CheckState> parse_check_state(std::string_view s) {
  for (auto st : {CheckState::pending, CheckState::up, CheckState::down, CheckState::paused})
    if (to_string(st) == s) return st;
  return std::nullopt;
}

// Secrets masked: whole secret options, and those inside the target, the other options and the
// last result that core/redact.h finds.
nlohmann::json to_json(const Check& c) {
  const auto* kind = probes::find_kind(c.kind);
  nlohmann::json j{
      {"id", c.id},
      {"name", c.name},
      {"kind", c.kind},
      {"target", redact::url(c.target)},
      {"interval", format_duration_ms(c.interval_ms)},
      {"timeout", format_duration_ms(c.timeout_ms)},
      {"retries", c.retries},
      {"node_id", c.node_id ? nlohmann::json(*c.node_id) : nlohmann::json()},
      {"labels", c.labels},
      {"enabled", c.enabled},
      {"conditions", c.conditions},
      {"options", kind ? probes::redact_options(*kind, c.options) : redact::tree(c.options)},
      {"state", to_string(c.state)},
      {"since", c.state_since ? nlohmann::json(format_rfc3339(*c.state_since)) : nlohmann::json()},
      {"flapping", c.flapping},
      {"last_result", redact::tree(c.last_result)},
      {"created_at", format_rfc3339(c.created_at)},
      {"updated_at", format_rfc3339(c.updated_at)}};
  if (c.push_token) j["push_url"] = "/api/v1/push/" + *c.push_token;
  return j;
}

nlohmann::json result_json(const CheckResult& r) {
  // Bodies and header sets are for conditions, not for lists; long strings are cut.
  nlohmann::json facts = nlohmann::json::object();
  auto cut = [](const nlohmann::json& v) {
    return v.is_string() && v.get_ref<const std::string&>().size() > 256
               ? nlohmann::json(v.get<std::string>().substr(0, 256))
               : v;
  };
  for (const auto& [k, v] : r.facts) {
    if (k == "body" || k == "headers") continue;
    if (v.is_object()) {  // an SNMP check's values
      auto& o = facts[k] = nlohmann::json::object();
      for (const auto& [name, x] : v.items()) o[name] = cut(x);
    } else {
      facts[k] = cut(v);
    }
  }
  return {{"at", format_rfc3339(r.at)},
          {"up", r.up},
          {"duration_ms", std::round(r.duration_s * 1e6) / 1e3},
          {"error", r.error.empty() ? nlohmann::json() : nlohmann::json(r.error)},
          {"message", r.message},
          {"facts", redact::tree(facts)}};  // a final_url may carry a token
}

Result<CheckInput> decode_check_input(const nlohmann::json& body, InputMode mode) {
  if (!body.is_object())
    return Error::make(ErrorKind::invalid_input, "INVALID_JSON", "the body must be a JSON object");
  std::vector<FieldError> errs;
  CheckInput in;
  static const std::vector<std::string> known{"name",    "kind",       "target",  "interval",
                                              "timeout", "retries",    "node_id", "labels",
                                              "enabled", "conditions", "options"};
  for (const auto& [k, v] : body.items())
    if (std::find(known.begin(), known.end(), k) == known.end())
      errs.push_back({k, "is not a field of checks"});

  auto string_field = [&](const char* f, std::size_t max, std::optional<std::string>& out) {
    if (!body.contains(f)) return;
    const auto& v = body.at(f);
    if (!v.is_string()) return errs.push_back({f, "must be a string"});
    const auto& s = v.get_ref<const std::string&>();
    if (s.size() > max)
      return errs.push_back({f, fmt::format("must be at most {} characters", max)});
    out = s;
  };
  string_field("name", 200, in.name);
  string_field("kind", 32, in.kind);
  string_field("target", 8192, in.target);
  if (in.name) {
    auto trimmed = in.name->find_first_not_of(' ') == std::string::npos;
    if (trimmed)
      errs.push_back({"name", "must not be empty"});
    else if (auto why = display_name_problem(*in.name))
      errs.push_back({"name", *why});
  }
  if (in.kind && !probes::find_kind(*in.kind)) {
    std::string list;
    for (const auto* k : probes::kinds()) list += (list.empty() ? "" : ", ") + k->kind;
    errs.push_back({"kind", "must be one of " + list});
  }
  if (body.contains("interval"))
    in.interval_ms =
        duration_field(body["interval"], "interval", kMinIntervalMs, kMaxIntervalMs, errs);
  if (body.contains("timeout"))
    in.timeout_ms = duration_field(body["timeout"], "timeout", kMinTimeoutMs, kMaxTimeoutMs, errs);
  if (body.contains("retries")) {
    const auto& v = body["retries"];
    if (!v.is_number_integer() || v.get<std::int64_t>() < 0 || v.get<std::int64_t>() > 100)
      errs.push_back({"retries", "must be an integer from 0 to 100"});
    else
      in.retries = v.get<int>();
  }
  if (body.contains("node_id")) {
    const auto& v = body["node_id"];
    if (v.is_null())
      in.node_id = std::optional<std::int64_t>();
    else if (!v.is_number_integer() || v.get<std::int64_t>() < 1)
      errs.push_back({"node_id", "must be a node id or null"});
    else
      in.node_id = v.get<std::int64_t>();
  }
  if (body.contains("labels")) {
    const auto& v = body["labels"];
    Labels labels;
    if (!v.is_object() || v.size() > 64) {
      errs.push_back({"labels", "must be an object of at most 64 string values"});
    } else {
      for (const auto& [k, lv] : v.items()) {
        bool reserved = std::find(std::begin(kReservedLabels), std::end(kReservedLabels), k) !=
                        std::end(kReservedLabels);
        if (!valid_label_name(k) || k.starts_with("__"))
          errs.push_back({"labels." + k, "is not a valid label name"});
        else if (reserved)
          errs.push_back({"labels." + k, "is set by Telltale on every sample of a check"});
        else if (!lv.is_string() || lv.get_ref<const std::string&>().empty() ||
                 lv.get_ref<const std::string&>().size() > 1024)
          errs.push_back({"labels." + k, "must be a non-empty string of at most 1024 characters"});
        else
          labels[k] = lv.get<std::string>();
      }
    }
    in.labels = std::move(labels);
  }
  if (body.contains("enabled")) {
    if (!body["enabled"].is_boolean())
      errs.push_back({"enabled", "must be true or false"});
    else
      in.enabled = body["enabled"].get<bool>();
  }
  if (body.contains("conditions")) {
    const auto& v = body["conditions"];
    std::vector<std::string> conds;
    if (!v.is_array() || v.size() > kMaxConditions) {
      errs.push_back(
          {"conditions", fmt::format("must be a list of at most {} expressions", kMaxConditions)});
    } else {
      for (std::size_t i = 0; i < v.size(); ++i) {
        if (!v[i].is_string() || v[i].get_ref<const std::string&>().empty() ||
            v[i].get_ref<const std::string&>().size() > kMaxConditionBytes)
          errs.push_back({fmt::format("conditions[{}]", i),
                          "must be a non-empty expression of at most 4096 bytes"});
        else
          conds.push_back(v[i].get<std::string>());
      }
    }
    in.conditions = std::move(conds);
  }
  if (body.contains("options")) {
    if (!body["options"].is_object() && !body["options"].is_null())
      errs.push_back({"options", "must be an object"});
    else
      in.options = body["options"];
  }
  if (mode == InputMode::create) {
    if (!body.contains("name")) errs.push_back({"name", "is required"});
    if (!body.contains("kind")) errs.push_back({"kind", "is required"});
  }
  if (!errs.empty()) return invalid(std::move(errs));
  return in;
}

Result<void> apply_input(Check& c, const CheckInput& in) {
  bool kind_changed = in.kind && *in.kind != c.kind;
  if (in.name) c.name = *in.name;
  if (in.kind) c.kind = *in.kind;
  // The target as a GET showed it keeps the stored secrets in it.
  if (in.target) c.target = redact::restore_url(*in.target, c.target);
  if (in.retries) c.retries = *in.retries;
  if (in.node_id) c.node_id = *in.node_id;
  if (in.labels) c.labels = *in.labels;
  if (in.enabled) c.enabled = *in.enabled;
  if (in.conditions) c.conditions = *in.conditions;
  const auto* kind = probes::find_kind(c.kind);
  if (!kind) return invalid({{"kind", "is required"}});
  // A new check, or one changing kind, takes the kind's default interval and timeout unless given.
  bool fresh = c.id == 0 || kind_changed;
  if (in.interval_ms)
    c.interval_ms = *in.interval_ms;
  else if (fresh)
    c.interval_ms = kind->default_interval_ms;
  if (in.timeout_ms)
    c.timeout_ms = *in.timeout_ms;
  else if (fresh)
    c.timeout_ms = std::min(kind->default_timeout_ms ? kind->default_timeout_ms : c.interval_ms,
                            c.interval_ms);

  std::vector<FieldError> errs;
  bool passive = !kind->make;
  if (passive) {
    c.target.clear();
  } else if (c.target.empty()) {
    errs.push_back({"target", fmt::format("is required: {}", kind->target_help)});
  } else if (auto why = kind->check_target(c.target)) {
    errs.push_back({"target", *why});
  }
  if (!passive && c.timeout_ms > c.interval_ms)
    errs.push_back({"timeout", "must not be longer than the interval"});
  nlohmann::json options =
      in.options ? *in.options : (kind_changed ? nlohmann::json::object() : c.options);
  // Secrets come back from GET masked: a client that sends the mask keeps the secret.
  if (in.options && !kind_changed)
    options = redact::restore_options(kind->options, options, c.options);
  auto normalized = probes::normalize_options(*kind, options);
  if (!normalized.ok()) {
    for (auto& f : normalized.error().fields) errs.push_back(std::move(f));
  } else {
    c.options = std::move(normalized.value());
  }
  for (std::size_t i = 0; i < c.conditions.size(); ++i) {
    ConditionError why;
    if (!Condition::parse(c.conditions[i], kind->facts, why))
      errs.push_back({fmt::format("conditions[{}]", i),
                      fmt::format("at position {}: {}", why.position, why.message)});
  }
  if (!errs.empty()) return invalid(std::move(errs));
  return ok();
}

}  // namespace tt::checks
