#include "alerts/rule.h"

#include <fmt/format.h>

#include "core/duration.h"
#include "core/options.h"
#include "query/ast.h"

namespace tt::alerts {

namespace {

Error invalid(std::vector<FieldError> errs) {
  return invalid_fields("alert rule", std::move(errs));
}

constexpr EnumNames<Severity, 3> kSeverityNames{{"critical", "warning", "info"}};

constexpr EnumNames<RuleKind, 2> kKindNames{{"expr", "check_state"}};

std::optional<std::string> unreserved_label(nlohmann::json& name) {
  if (name == "alertname" || name == "severity")
    return "is set by Telltale from the rule's name and severity";
  return std::nullopt;
}

// Template errors name the field: `annotations.summary` with "at position N: ...".
Result<std::map<std::string, Template>> compile_templates(const Labels& in, const char* field,
                                                          std::vector<FieldError>& errs) {
  std::map<std::string, Template> out;
  for (const auto& [k, v] : in) {
    auto t = Template::parse(v);
    if (!t)
      errs.push_back({std::string(field) + "." + k, t.error().message});
    else
      out.emplace(k, std::move(t.value()));
  }
  return out;
}

}  // namespace

nlohmann::json escalations_json(const std::vector<Escalation>& es, bool stored) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& e : es) {
    if (stored)
      out.push_back({{"after_ms", e.after_ms}, {"channels", e.channels}});
    else
      out.push_back({{"after", format_duration_ms(e.after_ms)}, {"channels", e.channels}});
  }
  return out;
}

std::vector<Escalation> escalations_from_stored(const nlohmann::json& j) {
  std::vector<Escalation> out;
  for (const auto& e : j)
    out.push_back(
        {e.at("after_ms").get<std::int64_t>(), e.at("channels").get<std::vector<std::int64_t>>()});
  return out;
}

std::string_view to_string(Severity s) { return kSeverityNames.name(s); }
std::optional<Severity> parse_severity(std::string_view s) { return kSeverityNames.parse(s); }
std::string_view to_string(RuleKind k) { return kKindNames.name(k); }

const OptionSpecs& rule_fields() {
  using T = OptionType;
  static const OptionSpecs channels{
      {.name = "after", .type = T::duration, .min = 60'000, .max = kMaxForMs, .required = true},
      {.name = "channels",
       .type = T::id_list,
       .required = true,
       .max_items = 32,
       .message = "must be an array of at most 32 channel ids"},
  };
  static const OptionSpecs flap_damping{
      {.name = "fires",
       .type = T::integer,
       .min = 2,
       .max = 100,
       .required = true,
       .message = "must be a whole number from 2 to 100"},
      {.name = "window", .type = T::duration, .min = 60'000, .max = 86'400'000, .required = true},
  };
  static const OptionSpecs specs{
      name_field(),
      {.name = "kind", .type = T::choice, .choices = kKindNames.names()},
      {.name = "expr", .type = T::string, .max = query::kMaxQueryBytes},
      {.name = "check_id",
       .type = T::id,
       .nullable = true,
       .message = "must be a check id or null"},
      {.name = "check_selector", .type = T::string, .max = 4096},
      {.name = "for", .type = T::duration, .min = 0, .max = kMaxForMs},
      {.name = "keep_firing_for", .type = T::duration, .min = 0, .max = kMaxForMs},
      {.name = "severity", .type = T::choice, .choices = kSeverityNames.names(), .required = true},
      {.name = "labels", .type = T::labels, .min = 1, .max = 4096, .check = unreserved_label},
      {.name = "annotations", .type = T::labels, .min = 1, .max = 4096},
      {.name = "channels",
       .type = T::id_list,
       .max_items = 32,
       .message = "must be an array of at most 32 channel ids"},
      {.name = "escalations",
       .type = T::object_list,
       .max_items = 8,
       .fields = &channels,
       .message = "must be an array of at most 8 {\"after\", \"channels\"} steps"},
      {.name = "flap_damping",
       .type = T::object,
       .nullable = true,
       .fields = &flap_damping,
       .message = "must be {\"fires\": 2..100, \"window\": \"10m\"} or null"},
      {.name = "enabled", .type = T::boolean},
      {.name = "interval", .type = T::duration, .min = kMinIntervalMs, .max = kMaxIntervalMs},
  };
  return specs;
}

nlohmann::json to_json(const Rule& r) {
  nlohmann::json j{
      {"id", r.id},
      {"name", r.name},
      {"kind", to_string(r.kind)},
      {"for", format_duration_ms(r.for_ms)},
      {"keep_firing_for", format_duration_ms(r.keep_firing_for_ms)},
      {"severity", to_string(r.severity)},
      {"labels", r.labels},
      {"annotations", r.annotations},
      {"channels", r.channels},
      {"escalations", escalations_json(r.escalations, false)},
      {"flap_damping",
       r.flap_damping ? nlohmann::json{{"fires", r.flap_damping->fires},
                                       {"window", format_duration_ms(r.flap_damping->window_ms)}}
                      : nlohmann::json()},
      {"enabled", r.enabled},
      {"interval", format_duration_ms(r.interval_ms)},
      {"builtin", r.builtin.empty() ? nlohmann::json() : nlohmann::json(r.builtin)},
      {"created_at", format_rfc3339(r.created_at)},
      {"updated_at", format_rfc3339(r.updated_at)}};
  if (r.kind == RuleKind::expr) {
    j["expr"] = r.expr;
  } else {
    j["check_id"] = r.check_id ? nlohmann::json(*r.check_id) : nlohmann::json();
    j["check_selector"] = r.check_selector;
  }
  return j;
}

Result<RuleInput> decode_rule_input(const nlohmann::json& body, InputMode mode) {
  auto v = TT_TRY(decode_fields(rule_fields(), body, mode, "alert rule"));
  RuleInput in;
  take(v, "name", in.name);
  take(v, "kind", in.kind, kKindNames);
  take(v, "expr", in.expr);
  take(v, "check_id", in.check_id);
  take(v, "check_selector", in.check_selector);
  take_ms(v, "for", in.for_ms);
  take_ms(v, "keep_firing_for", in.keep_firing_for_ms);
  take(v, "severity", in.severity, kSeverityNames);
  take(v, "labels", in.labels);
  take(v, "annotations", in.annotations);
  take(v, "channels", in.channels);
  take(v, "enabled", in.enabled);
  take_ms(v, "interval", in.interval_ms);
  if (v.contains("escalations")) {
    in.escalations.emplace();
    for (const auto& e : v["escalations"]) {
      std::int64_t after = parse_duration_ms(e["after"].get<std::string>()).value_or(0);
      if (!in.escalations->empty() && after <= in.escalations->back().after_ms)
        return invalid({{fmt::format("escalations[{}].after", in.escalations->size()),
                         "must be later than the step before"}});
      in.escalations->push_back({after, e["channels"].get<std::vector<std::int64_t>>()});
    }
  }
  if (const auto& fd = v.find("flap_damping"); fd != v.end())
    in.flap_damping = fd->is_null()
                          ? std::optional<FlapDamping>()
                          : FlapDamping{fd->at("fires").get<int>(),
                                        *parse_duration_ms(fd->at("window").get<std::string>())};
  return in;
}

Result<void> compile(Rule& r) {
  std::vector<FieldError> errs;
  r.parsed.reset();
  r.check_matchers.clear();
  if (r.kind == RuleKind::expr) {
    if (r.expr.empty()) {
      errs.push_back({"expr", "is required (or kind check_state)"});
    } else if (auto e = query::parse_expr(r.expr); !e) {
      return Error{ErrorKind::validation,
                   "EXPR_INVALID",
                   "the expression does not parse",
                   {{"expr", e.error().message}},
                   {}};
    } else if (auto t = e.value()->type();
               t != query::ValueType::vector && t != query::ValueType::scalar) {
      errs.push_back({"expr", fmt::format("must be an instant vector or a scalar, not a {}",
                                          query::value_type_name(t))});
    } else {
      r.parsed = e.value();
    }
  } else {
    if (!r.check_id && r.check_selector.empty())
      errs.push_back({"check_id", "check_id or check_selector is required"});
    if (!r.check_selector.empty()) {
      auto m = query::parse_selector(r.check_selector);
      if (!m)
        errs.push_back({"check_selector", m.error().message});
      else
        r.check_matchers = std::move(m.value());
    }
  }
  auto labels = compile_templates(r.labels, "labels", errs);
  auto annotations = compile_templates(r.annotations, "annotations", errs);
  if (!errs.empty()) return invalid(std::move(errs));
  r.label_templates = std::move(labels.value());
  r.annotation_templates = std::move(annotations.value());
  return ok();
}

Result<void> apply_input(Rule& r, const RuleInput& in) {
  if (in.name) r.name = *in.name;
  if (in.kind)
    r.kind = *in.kind;
  else if (in.expr)
    r.kind = RuleKind::expr;
  else if (in.check_id || in.check_selector)
    r.kind = RuleKind::check_state;
  if (in.expr) r.expr = *in.expr;
  if (in.check_id) r.check_id = *in.check_id;
  if (in.check_selector) r.check_selector = *in.check_selector;
  if (in.for_ms) r.for_ms = *in.for_ms;
  if (in.keep_firing_for_ms) r.keep_firing_for_ms = *in.keep_firing_for_ms;
  if (in.severity) r.severity = *in.severity;
  if (in.labels) r.labels = *in.labels;
  if (in.annotations) r.annotations = *in.annotations;
  if (in.channels) r.channels = *in.channels;
  if (in.escalations) r.escalations = *in.escalations;
  if (in.flap_damping) r.flap_damping = *in.flap_damping;
  if (in.enabled) r.enabled = *in.enabled;
  if (in.interval_ms) r.interval_ms = *in.interval_ms;
  // A rule is one kind: the other kind's fields are cleared, not kept dormant.
  if (r.kind == RuleKind::expr) {
    r.check_id.reset();
    r.check_selector.clear();
  } else {
    r.expr.clear();
  }
  return compile(r);
}

}  // namespace tt::alerts
