#include "alerts/inhibit.h"

#include <fmt/format.h>

#include <algorithm>

#include "alerts/merge_patch.h"
#include "alerts/silence.h"
#include "core/series.h"

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

// Label names, sorted, without repeats.
std::optional<std::string> label_names_check(nlohmann::json& v) {
  auto names = v.get<std::vector<std::string>>();
  for (const auto& n : names)
    if (!valid_label_name(n)) return "must be a list of at most 32 label names";
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  v = names;
  return std::nullopt;
}

}  // namespace

const OptionSpecs& inhibit_rule_fields() {
  using T = OptionType;
  static const OptionSpecs specs{
      name_field(),
      {.name = "comment", .type = T::string, .max = 2000},
      {.name = "source",
       .type = T::string,
       .help = "a selector such as {severity=\"critical\"}",
       .min = 1,
       .max = 4096,
       .required = true,
       .check = selector_check},
      {.name = "target",
       .type = T::string,
       .help = "a selector such as {severity=\"warning\"}",
       .min = 1,
       .max = 4096,
       .required = true,
       .check = selector_check},
      {.name = "equal",
       .type = T::string_list,
       .max_items = 32,
       .message = "must be a list of at most 32 label names",
       .check = label_names_check},
  };
  return specs;
}

Result<InhibitRule> decode_inhibit_rule(const nlohmann::json& body) {
  auto v = TT_TRY(decode_fields(inhibit_rule_fields(), body, InputMode::create, "inhibit rule"));
  InhibitRule r;
  r.name = v["name"].get<std::string>();
  r.comment = v.value("comment", "");
  r.source_text = v["source"].get<std::string>();
  r.target_text = v["target"].get<std::string>();
  r.source = query::parse_selector(r.source_text).value();
  r.target = query::parse_selector(r.target_text).value();
  r.equal = v.value("equal", std::vector<std::string>());
  return r;
}

Result<InhibitRule> apply_patch(const InhibitRule& r, const nlohmann::json& patch) {
  return merge_patch(r, to_input_json(r), patch, decode_inhibit_rule);
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
