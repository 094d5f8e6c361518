// notify/kinds/pagerduty.cpp — PagerDuty Events API v2: a firing triggers, its resolution resolves
// (dedup_key per alert).
#include "notify/kinds/common.h"

namespace tt::notify::kinds {

namespace {

Result<Request> render(const json& c, const Notice& n) {
  json body{{"routing_key", str(c, "routing_key")},
            {"event_action", n.event == Notice::Event::resolved ? "resolve" : "trigger"},
            {"dedup_key", dedup_key(n)}};
  if (n.event != Notice::Event::resolved) {
    std::string severity = n.severity == "critical"  ? "critical"
                           : n.severity == "warning" ? "warning"
                                                     : "info";
    body["payload"] = {{"summary", cut(notice_title(n), 1024)},
                       {"source", str(c, "source")},
                       {"severity", severity},
                       {"timestamp", format_rfc3339(n.fired_at.value_or(n.at))},
                       {"custom_details",
                        {{"labels", labels_json(n.labels)},
                         {"annotations", labels_json(n.annotations)},
                         {"value", value_json(n.value)},
                         {"text", notice_text(n)}}}};
  }
  return json_post(str(c, "url"), body);
}

}  // namespace

const ChannelKind& pagerduty() {
  static const ChannelKind k{
      "pagerduty",
      "PagerDuty",
      "PagerDuty Events API v2: firing triggers, resolved resolves the same incident "
      "(dedup_key per alert).",
      {secret_option("routing_key", "Routing key",
                     "integration key of an Events API v2 integration"),
       url_option("url", "Events API URL", "Events API endpoint",
                  "https://events.pagerduty.com/v2/enqueue"),
       string_option("source", "Source", "the payload's source", false, "telltale")},
      http_checks({"url"}),
      render};
  return k;
}

}  // namespace tt::notify::kinds
