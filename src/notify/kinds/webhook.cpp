// notify/kinds/webhook.cpp — POSTs the alert as JSON, or a body of the channel's template, to any
// URL.
#include "alerts/template.h"
#include "notify/kinds/common.h"

namespace tt::notify::kinds {

namespace {

std::vector<FieldError> check(const json& c) {
  auto errs = check_http(c, {"url"});
  if (c.contains("template"))
    if (auto t = alerts::Template::parse(str(c, "template")); !t)
      errs.push_back({"config.template", t.error().message});
  if (has_crlf(str(c, "content_type")) || has_crlf(str(c, "bearer_token")))
    errs.push_back({"config.content_type", "must not contain line breaks"});
  return errs;
}

Result<Request> render(const json& c, const Notice& n) {
  Request r = request_of(c);
  if (c.contains("template")) {
    auto t = alerts::Template::parse(str(c, "template"));
    if (!t) return std::move(t).error();
    LabelSet labels;
    for (const auto& [k, v] : n.labels) labels.push_back({k, v});
    r.body = t->expand(labels, n.value);
  } else {
    json body{{"version", "1"},
              {"source", "telltale"},
              {"event", to_string(n.event)},
              {"notification_id", n.id},
              {"title", notice_title(n)},
              {"text", notice_text(n)},
              {"collapsed", n.collapsed},
              {"sent_at", format_rfc3339(n.sent_at)},
              {"alert", alert_json(n)}};
    if (!n.group.empty()) {
      json alerts = json::array();
      for (const auto& a : n.group) {
        auto j = alert_json(a);
        j["event"] = to_string(a.event);
        alerts.push_back(std::move(j));
      }
      body["group"] = {{"labels", labels_json(n.group_labels)},
                       {"repeat", n.repeat},
                       {"alerts", std::move(alerts)}};
    }
    r.body = body.dump(-1, ' ', false, json::error_handler_t::replace);
  }
  r.headers.push_back("Content-Type: " + str(c, "content_type"));
  if (n.id) r.headers.push_back(fmt::format("Idempotency-Key: telltale-{}", n.id));
  add_bearer(r, c, "bearer_token");
  add_headers(r, c);
  return r;
}

}  // namespace

const ChannelKind& webhook() {
  static const ChannelKind k{
      "webhook",
      "Webhook",
      "POSTs JSON to a URL: the alert, its state and the default text; or, with `template`, a "
      "body of your own ({{ $labels.NAME }}, {{ $value }}, {{ humanize $value }}).",
      {url_option("url", "URL", "an `http://` or `https://` URL"),
       choice_option("method", "Method", "HTTP method", {"POST", "PUT"}), headers_option(),
       secret_option("bearer_token", "Bearer token", "sent as `Authorization: Bearer <token>`",
                     false),
       string_option("template", "Body template", "the body instead of the default JSON"),
       string_option("content_type", "Content type", "Content-Type of the body", false,
                     "application/json")},
      check,
      render};
  return k;
}

}  // namespace tt::notify::kinds
