#include "notify/channel.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "alerts/template.h"

namespace tt::notify {

std::string_view to_string(Notice::Event e) {
  switch (e) {
    case Notice::Event::firing:
      return "firing";
    case Notice::Event::resolved:
      return "resolved";
    case Notice::Event::test:
      return "test";
  }
  return "firing";
}

namespace {

std::optional<TimeMs> time_field(const nlohmann::json& j, const char* name) {
  // alerts::to_json writes RFC 3339; the outbox payload also keeps the milliseconds.
  auto ms = std::string(name) + "_ms";
  if (j.contains(ms) && j[ms].is_number_integer()) return j[ms].get<TimeMs>();
  return std::nullopt;
}

std::vector<std::pair<std::string, std::string>> pairs(const nlohmann::json& j) {
  std::vector<std::pair<std::string, std::string>> out;
  if (j.is_object())
    for (const auto& [k, v] : j.items())
      out.emplace_back(k, v.is_string() ? v.get<std::string>() : v.dump());
  return out;
}

}  // namespace

Notice notice_from_payload(Notice::Event event, const nlohmann::json& alert, TimeMs at) {
  Notice n;
  n.event = event;
  n.alert_id = alert.value("id", std::int64_t{0});
  n.rule_name = alert.value("rule_name", std::string());
  n.severity = alert.value("severity", std::string("warning"));
  n.labels = pairs(alert.value("labels", nlohmann::json::object()));
  n.annotations = pairs(alert.value("annotations", nlohmann::json::object()));
  n.value = alert.contains("value") && alert["value"].is_number() ? alert["value"].get<double>()
                                                                  : std::nan("");
  n.active_at = time_field(alert, "active_at").value_or(at);
  n.fired_at = time_field(alert, "fired_at");
  n.resolved_at = time_field(alert, "resolved_at");
  n.at = at;
  if (alert.contains("escalated_after_ms") && alert["escalated_after_ms"].is_number_integer())
    n.escalated_after_ms = alert["escalated_after_ms"].get<std::int64_t>();
  return n;
}

Notice notice_from_group(const nlohmann::json& group, TimeMs at) {
  std::vector<Notice> alerts;
  if (group.contains("alerts") && group["alerts"].is_array())
    for (const auto& a : group["alerts"]) {
      if (!a.is_object()) continue;
      auto event = a.value("event", std::string()) == "resolved" ? Notice::Event::resolved
                                                                 : Notice::Event::firing;
      alerts.push_back(notice_from_payload(event, a.value("alert", nlohmann::json::object()), at));
    }
  auto lead = std::find_if(alerts.begin(), alerts.end(),
                           [](const Notice& n) { return n.event == Notice::Event::firing; });
  Notice n = alerts.empty() ? Notice{} : lead != alerts.end() ? *lead : alerts.front();
  if (alerts.empty()) n.at = at;
  n.group_labels = pairs(group.value("group_labels", nlohmann::json::object()));
  n.repeat = group.value("repeat", false);
  n.group = std::move(alerts);
  return n;
}

std::string format_age(std::int64_t ms) {
  if (ms < 0) ms = 0;
  std::int64_t s = ms / 1000;
  if (s < 60) return fmt::format("{} s", s);
  if (s < 3600) return fmt::format("{} min", s / 60);
  if (s < 86400) return fmt::format("{} h", s / 3600);
  return fmt::format("{} d", s / 86400);
}

std::string notice_title(const Notice& n) {
  switch (n.event) {
    case Notice::Event::test:
      return "[TEST] Telltale test notification";
    case Notice::Event::firing:
      if (!n.group.empty())
        return fmt::format(
            "[FIRING:{}] {} ({})",
            std::count_if(n.group.begin(), n.group.end(),
                          [](const Notice& a) { return a.event == Notice::Event::firing; }),
            n.rule_name, n.severity);
      return fmt::format("[FIRING] {} ({})", n.rule_name, n.severity);
    case Notice::Event::resolved:
      if (!n.group.empty()) return fmt::format("[RESOLVED:{}] {}", n.group.size(), n.rule_name);
      return fmt::format("[RESOLVED] {}", n.rule_name);
  }
  return n.rule_name;
}

namespace {

// A group: its labels, then each alert's own title and text.
std::string group_text(const Notice& n) {
  std::string labels;
  for (const auto& [k, v] : n.group_labels) labels += (labels.empty() ? "" : ", ") + k + "=" + v;
  std::string out = fmt::format("Group: {}", labels.empty() ? "(all alerts)" : labels);
  if (n.repeat) out += "\n(Repeated: still firing and not acknowledged.)";
  for (auto a : n.group) {
    a.sent_at = n.sent_at;
    out += "\n\n" + notice_title(a) + "\n" + notice_text(a);
  }
  return out;
}

}  // namespace

std::string notice_text(const Notice& n) {
  if (n.event == Notice::Event::test)
    return fmt::format("This is a test message from Telltale, sent at {}.",
                       format_rfc3339(n.sent_at));
  if (!n.group.empty()) return group_text(n);
  std::string out;
  // A resolved alert keeps the annotations and value of its last firing evaluation, as
  // Prometheus and Alertmanager keep them (the resolving evaluation finds no sample to render
  // them from, and a receiver's template may want the firing text): the message says they are
  // what was true while it fired, so "CPU at 97%" does not read as news of a resolution. The
  // JSON payloads (webhook, Alertmanager, PagerDuty) carry them unchanged beside the status.
  const bool resolved = n.event == Notice::Event::resolved;
  for (const char* a : {"summary", "description"})
    for (const auto& [k, v] : n.annotations)
      if (k == a) out += (resolved ? "While firing: " : "") + v + "\n";
  out += fmt::format("State: {}, value {}{}\n", to_string(n.event), alerts::go_float(n.value),
                     resolved ? " (while firing)" : "");
  std::string labels;
  for (const auto& [k, v] : n.labels) labels += (labels.empty() ? "" : ", ") + k + "=" + v;
  out += "Labels: " + labels + "\n";
  // A message delivered late (after an outage) says how old its news is.
  auto when = [&](const char* title, const char* verb, TimeMs t) {
    auto line = fmt::format("{}: {}", title, format_rfc3339(t));
    if (n.sent_at - t >= 60'000)
      line += fmt::format(" ({} {} ago)", verb, format_age(n.sent_at - t));
    return line + "\n";
  };
  out += when("Fired", "fired", n.fired_at.value_or(n.active_at));
  if (n.event == Notice::Event::resolved)
    out += when("Resolved", "resolved", n.resolved_at.value_or(n.at));
  if (n.escalated_after_ms)
    out += fmt::format("(Escalated: not acknowledged {} after it fired.)\n",
                       format_age(*n.escalated_after_ms));
  if (n.collapsed)
    out +=
        "(Its firing notification was not sent: the alert had resolved long before it could be "
        "delivered.)\n";
  if (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

nlohmann::json to_json(const ChannelKind& k) {
  return {
      {"kind", k.kind}, {"title", k.title}, {"help", k.help}, {"options", tt::to_json(k.options)}};
}

Result<nlohmann::json> normalize_config(const ChannelKind& kind, const nlohmann::json& config) {
  return normalize_options(kind.options, config, {"config", kind.kind, "channel"}, kind.check);
}

const ChannelKind* find_channel_kind(std::string_view kind) {
  for (const auto* k : channel_kinds())
    if (k->kind == kind) return k;
  return nullptr;
}

}  // namespace tt::notify
