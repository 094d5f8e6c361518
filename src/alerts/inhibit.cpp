#include "alerts/inhibit.h"

#include <fmt/format.h>

#include <algorithm>

#include "core/names.h"

namespace tt::alerts {

namespace {

const std::string* label(const LabelSet& labels, std::string_view name) {
  for (const auto& l : labels)
    if (l.name == name) return &l.value;
  return nullptr;
}

std::vector<std::string> equal_values(const InhibitRule& r, const LabelSet& labels) {
  std::vector<std::string> out;
  out.reserve(r.equal.size());
  for (const auto& name : r.equal) {
    const auto* v = label(labels, name);
    out.push_back(v ? *v : std::string());
  }
  return out;
}

}  // namespace

Result<InhibitRule> decode_inhibit_rule(const nlohmann::json& body) {
  if (!body.is_object())
    return Error::make(ErrorKind::invalid_input, "INVALID_JSON", "the body must be a JSON object");
  std::vector<FieldError> errs;
  for (const auto& [k, v] : body.items())
    if (k != "name" && k != "comment" && k != "source" && k != "target" && k != "equal")
      errs.push_back({k, "is not a field of inhibit rules"});
  InhibitRule r;
  auto text = [&](const char* f, std::size_t max, std::string& out) {
    if (!body.contains(f)) return;
    if (!body[f].is_string() || body[f].get_ref<const std::string&>().size() > max)
      errs.push_back({f, fmt::format("must be a string of at most {} characters", max)});
    else
      out = body[f].get<std::string>();
  };
  text("name", 200, r.name);
  if (r.name.empty() && (!body.contains("name") || body["name"].is_string()))
    errs.push_back({"name", "is required"});
  else if (auto why = display_name_problem(r.name))
    errs.push_back({"name", *why});
  text("comment", 2000, r.comment);
  auto selector = [&](const char* f, std::string& text_out, std::vector<query::Matcher>& out) {
    bool given = body.contains(f) && body[f].is_string();
    text(f, 4096, text_out);
    if (text_out.empty()) {
      if (given || !body.contains(f))
        errs.push_back({f, "is required: a selector such as {severity=\"critical\"}"});
      return;
    }
    auto m = query::parse_selector(text_out);
    if (!m)
      errs.push_back({f, m.error().message});
    else
      out = std::move(m.value());
  };
  selector("source", r.source_text, r.source);
  selector("target", r.target_text, r.target);
  if (body.contains("equal")) {
    const auto& eq = body["equal"];
    bool good = eq.is_array() && eq.size() <= 32;
    if (good)
      for (const auto& n : eq) {
        if (!n.is_string() || !valid_label_name(n.get_ref<const std::string&>())) {
          good = false;
          break;
        }
        r.equal.push_back(n.get<std::string>());
      }
    if (!good) errs.push_back({"equal", "must be a list of at most 32 label names"});
    std::sort(r.equal.begin(), r.equal.end());
    r.equal.erase(std::unique(r.equal.begin(), r.equal.end()), r.equal.end());
  }
  if (!errs.empty())
    return Error{
        ErrorKind::validation, "VALIDATION_FAILED", "invalid inhibit rule", std::move(errs), {}};
  return r;
}

Result<InhibitRule> apply_patch(const InhibitRule& r, const nlohmann::json& patch) {
  if (!patch.is_object())
    return Error::make(ErrorKind::invalid_input, "INVALID_JSON", "the body must be a JSON object");
  auto doc = to_input_json(r);
  doc.merge_patch(patch);
  auto out = decode_inhibit_rule(doc);
  if (!out.ok()) return out;
  out->id = r.id;
  out->created_by = r.created_by;
  out->created_at = r.created_at;
  out->updated_at = r.updated_at;
  return out;
}

nlohmann::json to_input_json(const InhibitRule& r) {
  return {{"name", r.name},
          {"comment", r.comment},
          {"source", r.source_text},
          {"target", r.target_text},
          {"equal", r.equal}};
}

nlohmann::json to_json(const InhibitRule& r) {
  auto j = to_input_json(r);
  j["id"] = r.id;
  j["created_by"] = r.created_by;
  j["created_at"] = format_rfc3339(r.created_at);
  j["updated_at"] = format_rfc3339(r.updated_at);
  return j;
}

Inhibition::Inhibition(const std::vector<InhibitRule>& rules, const std::vector<Alert>& firing,
                       const std::set<std::string>& down_nodes) {
  for (const auto& r : rules) {
    Indexed ix{r, {}, {}};
    for (const auto& a : firing) {
      if (a.state != AlertState::firing || !query::matches_all(r.source, a.labels)) continue;
      auto key = equal_values(r, a.labels);
      ix.any.try_emplace(key, a.id);
      if (!query::matches_all(r.target, a.labels)) ix.one_sided.try_emplace(std::move(key), a.id);
    }
    if (!ix.any.empty()) m_rules.push_back(std::move(ix));
  }
  if (down_nodes.empty()) return;
  for (const auto& a : firing) {
    const auto* node = label(a.labels, "node");
    if (a.state == AlertState::firing && node && down_nodes.count(*node) &&
        !label(a.labels, "check"))
      m_down_node_source.try_emplace(*node, a.id);
  }
}

std::int64_t Inhibition::source_of(const LabelSet& labels) const {
  if (!m_down_node_source.empty() && label(labels, "check"))
    if (const auto* node = label(labels, "node"))
      if (auto it = m_down_node_source.find(*node); it != m_down_node_source.end())
        return it->second;
  for (const auto& ix : m_rules) {
    if (!query::matches_all(ix.rule.target, labels)) continue;
    // An alert on both sides may only be inhibited by a source that is not a target too; this
    // also keeps a firing alert from inhibiting itself.
    const auto& sources = query::matches_all(ix.rule.source, labels) ? ix.one_sided : ix.any;
    if (auto it = sources.find(equal_values(ix.rule, labels)); it != sources.end())
      return it->second;
  }
  return 0;
}

}  // namespace tt::alerts
