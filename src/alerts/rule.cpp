#include "alerts/rule.h"

#include <fmt/format.h>

#include <algorithm>

#include "core/duration.h"
#include "core/names.h"
#include "query/ast.h"

namespace tt::alerts {

namespace {

Error invalid(std::vector<FieldError> errs) {
  return Error{
      ErrorKind::validation, "VALIDATION_FAILED", "invalid alert rule", std::move(errs), {}};
}

std::optional<std::int64_t> duration_field(const nlohmann::json& body, const char* field,
                                           std::int64_t min, std::int64_t max,
                                           std::vector<FieldError>& errs) {
  const auto& v = body.at(field);
  std::optional<std::int64_t> ms;
  if (v.is_string()) ms = parse_duration_ms(v.get_ref<const std::string&>());
  if (!ms) {
    errs.push_back({field, "must be a duration such as \"30s\", \"5m\" or \"1h\""});
    return std::nullopt;
  }
  if (*ms < min || *ms > max) {
    errs.push_back({field, fmt::format("must be between {} and {}", format_duration_ms(min),
                                       format_duration_ms(max))});
    return std::nullopt;
  }
  return ms;
}

// Label names are Prometheus' and unreserved; values (templates) non-empty and bounded.
std::optional<Labels> labels_field(const nlohmann::json& body, const char* field,
                                   std::vector<FieldError>& errs) {
  const auto& v = body.at(field);
  if (!v.is_object() || v.size() > 64) {
    errs.push_back({field, "must be an object of at most 64 string values"});
    return std::nullopt;
  }
  Labels out;
  for (const auto& [k, lv] : v.items()) {
    std::string f = std::string(field) + "." + k;
    if (!valid_label_name(k) || k.starts_with("__"))
      errs.push_back({f, "is not a valid label name"});
    else if (!lv.is_string() || lv.get_ref<const std::string&>().empty() ||
             lv.get_ref<const std::string&>().size() > 4096)
      errs.push_back({f, "must be a non-empty string of at most 4096 characters"});
    else
      out[k] = lv.get<std::string>();
  }
  return out;
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

// An array of channel ids, at most 32, without repeats; nullopt (and an error) otherwise.
std::optional<std::vector<std::int64_t>> channel_ids(const nlohmann::json& v,
                                                     const std::string& field,
                                                     std::vector<FieldError>& errs) {
  std::vector<std::int64_t> ids;
  bool good = v.is_array() && v.size() <= 32;
  if (good)
    for (const auto& x : v) {
      if (!x.is_number_integer() || x.get<std::int64_t>() < 1)
        good = false;
      else if (std::find(ids.begin(), ids.end(), x.get<std::int64_t>()) == ids.end())
        ids.push_back(x.get<std::int64_t>());
    }
  if (!good) {
    errs.push_back({field, "must be an array of at most 32 channel ids"});
    return std::nullopt;
  }
  return ids;
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

std::string_view to_string(Severity s) {
  switch (s) {
    case Severity::critical:
      return "critical";
    case Severity::warning:
      return "warning";
    case Severity::info:
      return "info";
  }
  return "warning";
}

std::optional<Severity> parse_severity(std::string_view s) {
  if (s == "critical") return Severity::critical;
  if (s == "warning") return Severity::warning;
  if (s == "info") return Severity::info;
  return std::nullopt;
}

std::string_view to_string(RuleKind k) { return k == RuleKind::expr ? "expr" : "check_state"; }

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
  if (!body.is_object())
    return Error::make(ErrorKind::invalid_input, "INVALID_JSON", "the body must be a JSON object");
  static const std::vector<std::string> known{"name",
                                              "kind",
                                              "expr",
                                              "check_id",
                                              "check_selector",
                                              "for",
                                              "keep_firing_for",
                                              "severity",
                                              "labels",
                                              "annotations",
                                              "channels",
                                              "escalations",
                                              "flap_damping",
                                              "enabled",
                                              "interval"};
  std::vector<FieldError> errs;
  for (const auto& [k, v] : body.items())
    if (std::find(known.begin(), known.end(), k) == known.end())
      errs.push_back({k, "is not a field of alert rules"});
  RuleInput in;
  auto string_field = [&](const char* f, std::size_t max, std::optional<std::string>& out) {
    if (!body.contains(f)) return;
    const auto& v = body.at(f);
    if (!v.is_string()) return errs.push_back({f, "must be a string"});
    if (v.get_ref<const std::string&>().size() > max)
      return errs.push_back({f, fmt::format("must be at most {} characters", max)});
    out = v.get<std::string>();
  };
  string_field("name", 200, in.name);
  string_field("expr", query::kMaxQueryBytes, in.expr);
  string_field("check_selector", 4096, in.check_selector);
  if (in.name) {
    if (in.name->find_first_not_of(' ') == std::string::npos)
      errs.push_back({"name", "must not be empty"});
    else if (auto why = display_name_problem(*in.name))
      errs.push_back({"name", *why});
  }
  if (body.contains("kind")) {
    const auto& v = body["kind"];
    if (v == "expr")
      in.kind = RuleKind::expr;
    else if (v == "check_state")
      in.kind = RuleKind::check_state;
    else
      errs.push_back({"kind", "must be expr or check_state"});
  }
  if (body.contains("check_id")) {
    const auto& v = body["check_id"];
    if (v.is_null())
      in.check_id = std::optional<std::int64_t>();
    else if (!v.is_number_integer() || v.get<std::int64_t>() < 1)
      errs.push_back({"check_id", "must be a check id or null"});
    else
      in.check_id = v.get<std::int64_t>();
  }
  if (body.contains("for")) in.for_ms = duration_field(body, "for", 0, kMaxForMs, errs);
  if (body.contains("keep_firing_for"))
    in.keep_firing_for_ms = duration_field(body, "keep_firing_for", 0, kMaxForMs, errs);
  if (body.contains("interval"))
    in.interval_ms = duration_field(body, "interval", kMinIntervalMs, kMaxIntervalMs, errs);
  if (body.contains("severity")) {
    const auto& v = body["severity"];
    in.severity = v.is_string() ? parse_severity(v.get_ref<const std::string&>()) : std::nullopt;
    if (!in.severity) errs.push_back({"severity", "must be one of critical, warning, info"});
  }
  if (body.contains("labels")) in.labels = labels_field(body, "labels", errs);
  if (body.contains("annotations")) in.annotations = labels_field(body, "annotations", errs);
  if (in.labels) {
    for (const char* reserved : {"alertname", "severity"})
      if (in.labels->count(reserved))
        errs.push_back({std::string("labels.") + reserved,
                        "is set by Telltale from the rule's name and severity"});
  }
  if (body.contains("channels")) in.channels = channel_ids(body["channels"], "channels", errs);
  if (body.contains("escalations")) {
    const auto& v = body["escalations"];
    if (!v.is_array() || v.size() > 8) {
      errs.push_back(
          {"escalations", "must be an array of at most 8 {\"after\", \"channels\"} steps"});
    } else {
      std::vector<Escalation> steps;
      for (std::size_t i = 0; i < v.size(); ++i) {
        std::string f = fmt::format("escalations[{}]", i);
        const auto& e = v[i];
        if (!e.is_object() || !e.contains("after") || !e.contains("channels") || e.size() != 2) {
          errs.push_back({f, "must be {\"after\": \"15m\", \"channels\": [ids]}"});
          continue;
        }
        auto after = duration_field(e, "after", 60'000, kMaxForMs, errs);
        if (!after) errs.back().field = f + ".after";
        auto ids = channel_ids(e["channels"], f + ".channels", errs);
        if (after && !steps.empty() && *after <= steps.back().after_ms) {
          errs.push_back({f + ".after", "must be later than the step before"});
          after.reset();
        }
        if (after && ids) steps.push_back({*after, std::move(*ids)});
      }
      in.escalations = std::move(steps);
    }
  }
  if (body.contains("flap_damping")) {
    const auto& v = body["flap_damping"];
    if (v.is_null()) {
      in.flap_damping = std::optional<FlapDamping>();
    } else if (!v.is_object() || !v.contains("fires") || !v.contains("window") || v.size() != 2) {
      errs.push_back({"flap_damping", "must be {\"fires\": 2..100, \"window\": \"10m\"} or null"});
    } else {
      const auto& fires = v["fires"];
      bool good_fires = fires.is_number_integer() && fires.get<std::int64_t>() >= 2 &&
                        fires.get<std::int64_t>() <= 100;
      if (!good_fires)
        errs.push_back({"flap_damping.fires", "must be a whole number from 2 to 100"});
      auto window = duration_field(v, "window", 60'000, 86'400'000, errs);
      if (!window) errs.back().field = "flap_damping.window";
      if (good_fires && window) in.flap_damping = FlapDamping{fires.get<int>(), *window};
    }
  }
  if (body.contains("enabled")) {
    if (!body["enabled"].is_boolean())
      errs.push_back({"enabled", "must be true or false"});
    else
      in.enabled = body["enabled"].get<bool>();
  }
  if (mode == InputMode::create) {
    if (!body.contains("name")) errs.push_back({"name", "is required"});
    if (!body.contains("severity")) errs.push_back({"severity", "is required"});
  }
  if (!errs.empty()) return invalid(std::move(errs));
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
