// notify/kinds/alertmanager.cpp — hands alerts to a Prometheus Alertmanager (POST /api/v2/alerts).
#include "notify/kinds/common.h"

namespace tt::notify::kinds {

namespace {

Result<Request> render(const json& c, const Notice& n) {
  json alerts = json::array();
  auto add = [&](const Notice& a) {
    json alert{{"labels", labels_json(a.labels)},
               {"annotations", labels_json(a.annotations)},
               {"startsAt", format_rfc3339(a.fired_at.value_or(a.active_at))},
               {"generatorURL", ""}};
    if (a.event == Notice::Event::resolved)
      alert["endsAt"] = format_rfc3339(a.resolved_at.value_or(a.at));
    alerts.push_back(std::move(alert));
  };
  if (n.event == Notice::Event::test)
    alerts.push_back({{"labels", {{"alertname", "TelltaleTest"}}},
                      {"annotations", {{"summary", notice_text(n)}}},
                      {"startsAt", format_rfc3339(n.sent_at)},
                      {"endsAt", format_rfc3339(n.sent_at + 300'000)}});
  else if (n.group.empty())
    add(n);
  else
    for (const auto& a : n.group) add(a);
  auto r = json_post(trim_slash(str(c, "url")) + "/api/v2/alerts", alerts);
  r.username = str(c, "username");
  r.password = str(c, "password");
  return r;
}

}  // namespace

const ChannelKind& alertmanager() {
  static const ChannelKind k{
      "alertmanager",
      "Alertmanager",
      "Hands alerts to a Prometheus Alertmanager (POST /api/v2/alerts), which then groups, "
      "silences and routes them.",
      {url_option("url", "Alertmanager URL", "Alertmanager's base URL, `http://alertmanager:9093`"),
       string_option("username", "Basic auth user", "basic auth user"),
       secret_option("password", "Basic auth password", "basic auth password", false)},
      http_checks({"url"}),
      render};
  return k;
}

}  // namespace tt::notify::kinds
