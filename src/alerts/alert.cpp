#include "alerts/alert.h"

#include <fmt/format.h>

#include <cmath>

#include "core/options.h"
#include "core/series_json.h"
#include "query/query.h"

namespace tt::alerts {

namespace {

void set_label(LabelSet& ls, const std::string& name, std::string value) {
  auto it = std::find_if(ls.begin(), ls.end(), [&](const Label& l) { return l.name == name; });
  if (value.empty()) {  // Prometheus: a label set to "" is removed
    if (it != ls.end()) ls.erase(it);
  } else if (it != ls.end()) {
    it->value = std::move(value);
  } else {
    ls.push_back({name, std::move(value)});
  }
}

}  // namespace

namespace {
constexpr EnumNames<AlertState, 3> kStateNames{{"pending", "firing", "resolved"}};
}  // namespace

std::string_view to_string(AlertState s) { return kStateNames.name(s); }
std::optional<AlertState> parse_alert_state(std::string_view s) { return kStateNames.parse(s); }

nlohmann::json to_json(const Alert& a) {
  nlohmann::json labels = nlohmann::json::object();
  for (const auto& l : a.labels) labels[l.name] = l.value;
  auto time = [](const std::optional<TimeMs>& t) {
    return t ? nlohmann::json(format_rfc3339(*t)) : nlohmann::json();
  };
  nlohmann::json j{
      {"id", a.id},
      {"rule_id", a.rule_id ? nlohmann::json(a.rule_id) : nlohmann::json()},
      {"rule_name", a.rule_name},
      {"severity", to_string(a.severity)},
      {"state", to_string(a.state)},
      {"labels", labels},
      {"annotations", a.annotations},
      {"value", number_json(a.value)},
      {"active_at", format_rfc3339(a.active_at)},
      {"fired_at", time(a.fired_at)},
      {"resolved_at", time(a.resolved_at)},
      {"last_eval_at", time(a.last_eval_at ? std::optional<TimeMs>(a.last_eval_at) : std::nullopt)},
      {"acked", a.ack.has_value()},
      {"ack", nullptr},
      {"silenced", a.silenced},
      {"maintenance", nlohmann::json::array()},
      {"inhibited_by", a.inhibited_by ? nlohmann::json(a.inhibited_by) : nlohmann::json()},
      {"flapping", a.flapping},
      {"muted", a.muted()}};
  for (const auto& w : a.maintenance) j["maintenance"].push_back({{"id", w.id}, {"name", w.name}});
  if (a.ack)
    j["ack"] = {{"by", a.ack->by}, {"at", format_rfc3339(a.ack->at)}, {"comment", a.ack->comment}};
  return j;
}

Result<std::vector<Transition>> RuleAlerts::evaluate(const Rule& rule, const query::Vector& result,
                                                     TimeMs t) {
  // Firings older than the flap window no longer count.
  const std::int64_t window = rule.flap_damping ? rule.flap_damping->window_ms : 0;
  auto forget_old = [&](std::deque<TimeMs>& fired) {
    while (!fired.empty() && t - fired.front() > window) fired.pop_front();
  };
  std::map<LabelSet, Alert> found;
  for (const auto& s : result) {
    LabelSet ls;
    for (const auto& l : s.labels)
      if (l.name != kMetricNameLabel) ls.push_back(l);
    for (const auto& [name, tmpl] : rule.label_templates)
      set_label(ls, name, tmpl.expand(s.labels, s.value));
    set_label(ls, "severity", std::string(to_string(rule.severity)));
    set_label(ls, "alertname", rule.name);
    sort_labels(ls);
    Alert a;
    a.rule_id = rule.id;
    a.rule_name = rule.name;
    a.severity = rule.severity;
    a.labels = ls;
    a.value = s.value;
    for (const auto& [name, tmpl] : rule.annotation_templates)
      a.annotations[name] = tmpl.expand(s.labels, s.value);
    if (found.count(ls))
      return Error::make(
          ErrorKind::validation, "ALERT_DUPLICATE_LABELS",
          fmt::format(
              "the result holds two samples with the labels {} once the rule's labels are applied",
              query::format_labels(ls)));
    found.emplace(std::move(ls), std::move(a));
  }

  std::map<LabelSet, std::optional<AlertState>> before;
  for (const auto& [ls, a] : m_active) before.emplace(ls, a.state);
  for (auto& [ls, a] : found) {
    if (auto it = m_active.find(ls); it != m_active.end()) {
      it->second.value = a.value;
      it->second.annotations = std::move(a.annotations);
      continue;
    }
    a.state = AlertState::pending;
    a.active_at = t;
    before.emplace(ls, std::nullopt);
    m_active.emplace(ls, std::move(a));
  }

  std::vector<Transition> out;
  for (auto it = m_active.begin(); it != m_active.end();) {
    Alert& a = it->second;
    auto prior = before[it->first];
    a.last_eval_at = t;
    if (!found.count(it->first)) {
      bool keep = false;
      std::int64_t hold = rule.keep_firing_for_ms;
      if (a.flapping && rule.flap_damping) hold = std::max(hold, rule.flap_damping->window_ms);
      if (a.state == AlertState::firing && hold > 0) {
        if (!a.keep_firing_since) a.keep_firing_since = t;
        keep = t - *a.keep_firing_since < hold;
      }
      if (!keep) {
        a.state = AlertState::resolved;
        a.resolved_at = t;
        a.keep_firing_since.reset();
        out.push_back({std::move(a), prior, t});
        it = m_active.erase(it);
        continue;
      }
    } else {
      a.keep_firing_since.reset();
    }
    if (a.state == AlertState::pending && t - a.active_at >= rule.for_ms) {
      a.state = AlertState::firing;
      a.fired_at = t;
      if (rule.flap_damping) {
        auto& fired = m_fired[it->first];
        forget_old(fired);
        fired.push_back(t);
        a.flapping = fired.size() >= static_cast<std::size_t>(rule.flap_damping->fires);
      }
    }
    if (prior != a.state) out.push_back({a, prior, t});
    ++it;
  }
  // Label sets with no firing left in the window are forgotten.
  for (auto it = m_fired.begin(); it != m_fired.end();) {
    forget_old(it->second);
    it = it->second.empty() ? m_fired.erase(it) : std::next(it);
  }
  return out;
}

void RuleAlerts::restore(std::vector<Alert> active) {
  for (auto& a : active)
    if (a.state != AlertState::resolved) m_active[a.labels] = std::move(a);
}

std::vector<Transition> RuleAlerts::resolve_all(TimeMs t) {
  std::vector<Transition> out;
  for (auto& [ls, a] : m_active) {
    auto prior = a.state;
    a.state = AlertState::resolved;
    a.resolved_at = t;
    out.push_back({std::move(a), prior, t});
  }
  m_active.clear();
  return out;
}

void RuleAlerts::set_id(const LabelSet& labels, std::int64_t id) {
  if (auto it = m_active.find(labels); it != m_active.end()) it->second.id = id;
}

}  // namespace tt::alerts
