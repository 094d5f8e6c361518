// notify/kinds/opsgenie.cpp — Opsgenie Alert API: a firing creates an alert, its resolution closes
// it (alias per alert).
#include "notify/kinds/common.h"

namespace tt::notify::kinds {

namespace {

Result<Request> render(const json& c, const Notice& n) {
  auto base = trim_slash(str(c, "url"));
  Request r;
  if (n.event == Notice::Event::resolved) {
    r = json_post(fmt::format("{}/v2/alerts/{}/close?identifierType=alias", base,
                              percent_encode(dedup_key(n))),
                  json{{"source", "telltale"}, {"note", cut(notice_text(n), 25000)}});
  } else {
    json tags = json::array();
    tags.push_back(n.severity);
    r = json_post(base + "/v2/alerts", json{{"message", cut(notice_title(n), 130)},
                                            {"alias", dedup_key(n)},
                                            {"description", cut(notice_text(n), 15000)},
                                            {"priority", n.severity == "critical"  ? "P1"
                                                         : n.severity == "warning" ? "P3"
                                                                                   : "P5"},
                                            {"source", "telltale"},
                                            {"tags", tags},
                                            {"details", labels_json(n.labels)}});
  }
  r.headers.push_back("Authorization: GenieKey " + str(c, "api_key"));
  return r;
}

}  // namespace

const ChannelKind& opsgenie() {
  static const ChannelKind k{
      "opsgenie",
      "Opsgenie",
      "Opsgenie Alert API: firing creates an alert, resolved closes it (alias per alert).",
      {secret_option("api_key", "API key", "API key of an API integration"),
       url_option("url", "API server", "API server (`https://api.eu.opsgenie.com` in the EU)",
                  "https://api.opsgenie.com")},
      http_checks({"url"}, {"api_key"}),
      render};
  return k;
}

}  // namespace tt::notify::kinds
