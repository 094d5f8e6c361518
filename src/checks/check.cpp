#include "checks/check.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "checks/conditions.h"
#include "core/duration.h"
#include "core/options.h"
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

constexpr EnumNames<CheckState, 4> kStateNames{{"pending", "up", "down", "paused"}};

Error invalid(std::vector<FieldError> errs) { return invalid_fields("check", std::move(errs)); }

std::vector<std::string> kind_names() {
  std::vector<std::string> out;
  for (const auto* k : probes::kinds()) out.push_back(k->kind);
  return out;
}

std::optional<std::string> unreserved_label(nlohmann::json& name) {
  for (auto r : kReservedLabels)
    if (name == r) return "is set by Telltale on every sample of a check";
  return std::nullopt;
}

}  // namespace

LabelSet sample_labels(const Check& c) {
  LabelSet ls{{"check", c.name}, {"kind", c.kind}};
  if (!c.node_name.empty()) ls.push_back({"node", c.node_name});
  for (const auto& [k, v] : c.labels) ls.push_back({k, v});
  return ls;
}

std::string_view to_string(CheckState s) { return kStateNames.name(s); }
std::optional<CheckState> parse_check_state(std::string_view s) { return kStateNames.parse(s); }

const OptionSpecs& check_fields() {
  using T = OptionType;
  static const OptionSpecs specs{
      name_field(),
      {.name = "kind", .type = T::choice, .choices = kind_names(), .required = true},
      {.name = "target", .type = T::string, .max = 8192},
      {.name = "interval", .type = T::duration, .min = kMinIntervalMs, .max = kMaxIntervalMs},
      {.name = "timeout", .type = T::duration, .min = kMinTimeoutMs, .max = kMaxTimeoutMs},
      {.name = "retries",
       .type = T::integer,
       .min = 0,
       .max = 100,
       .message = "must be an integer from 0 to 100"},
      {.name = "node_id", .type = T::id, .nullable = true, .message = "must be a node id or null"},
      {.name = "runs_on", .type = T::id, .nullable = true, .message = "must be a node id or null"},
      {.name = "labels", .type = T::labels, .min = 1, .max = 1024, .check = unreserved_label},
      {.name = "enabled", .type = T::boolean},
      {.name = "conditions",
       .type = T::string_list,
       .min = 1,
       .max = static_cast<double>(kMaxConditionBytes),
       .max_items = kMaxConditions,
       .message = fmt::format("must be a list of at most {} expressions", kMaxConditions)},
      {.name = "options", .type = T::object, .nullable = true},
  };
  return specs;
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
      {"runs_on", c.runs_on ? nlohmann::json(*c.runs_on) : nlohmann::json()},
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

namespace {

nlohmann::json run_json(TimeMs at, bool up, double duration_s, double latency_s,
                        const std::string& error, const std::string& message, const Facts& facts) {
  // Long strings are cut (bodies and header sets never reach a result: see Runner's judge).
  nlohmann::json shown = nlohmann::json::object();
  auto cut = [](const nlohmann::json& v) {
    return v.is_string() && v.get_ref<const std::string&>().size() > 256
               ? nlohmann::json(v.get<std::string>().substr(0, 256))
               : v;
  };
  for (const auto& [k, v] : facts) {
    if (v.is_object()) {  // an SNMP check's values
      auto& o = shown[k] = nlohmann::json::object();
      for (const auto& [name, x] : v.items()) o[name] = cut(x);
    } else {
      shown[k] = cut(v);
    }
  }
  return {{"at", format_rfc3339(at)},
          {"up", up},
          {"duration_ms", std::round(duration_s * 1e6) / 1e3},
          {"latency_ms", std::round(latency_s * 1e6) / 1e3},
          {"error", error.empty() ? nlohmann::json() : nlohmann::json(error)},
          {"message", message},
          {"facts", redact::tree(shown)}};  // a final_url may carry a token
}

}  // namespace

nlohmann::json result_json(const CheckResult& r) {
  return run_json(r.at, r.up, r.duration_s, r.latency_s(), r.error, r.message, r.facts);
}

nlohmann::json result_json(const LastRun& r) {
  const auto facts = nlohmann::json::from_cbor(r.facts_cbor, true, false);  // null if unreadable
  return run_json(r.at, r.up, r.duration_s, r.latency_s, r.error, r.message, Facts(facts));
}

LastRun last_run(const CheckResult& r) {
  nlohmann::json facts = nlohmann::json::object();
  for (const auto& [k, v] : r.facts) facts[k] = v;
  return {
      r.at, r.up, r.duration_s, r.latency_s(), r.error, r.message, nlohmann::json::to_cbor(facts)};
}

Result<CheckInput> decode_check_input(const nlohmann::json& body, InputMode mode) {
  auto v = TT_TRY(decode_fields(check_fields(), body, mode, "check"));
  CheckInput in;
  take(v, "name", in.name);
  take(v, "kind", in.kind);
  take(v, "target", in.target);
  take_ms(v, "interval", in.interval_ms);
  take_ms(v, "timeout", in.timeout_ms);
  take(v, "retries", in.retries);
  take(v, "node_id", in.node_id);
  take(v, "runs_on", in.runs_on);
  take(v, "labels", in.labels);
  take(v, "enabled", in.enabled);
  take(v, "conditions", in.conditions);
  take(v, "options", in.options);
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
  if (in.runs_on) c.runs_on = *in.runs_on;
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
  if (passive && c.runs_on) errs.push_back({"runs_on", "a push check waits for its heartbeats"});
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
