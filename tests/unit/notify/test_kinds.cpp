// Channel kinds: each kind's config validates (required options, URL schemes, header injection)
// and renders the request its receiver documents; secrets are masked; the default text says
// how old a late message is.
#include <doctest/doctest.h>

#include "notify/channel.h"

using namespace tt;
using namespace tt::notify;
using nlohmann::json;

namespace {

constexpr TimeMs kFired = 1'700'000'000'000;

Notice firing() {
  Notice n;
  n.event = Notice::Event::firing;
  n.id = 42;
  n.alert_id = 7;
  n.rule_name = "WebDown";
  n.severity = "critical";
  n.labels = {{"alertname", "WebDown"}, {"check", "web"}, {"severity", "critical"}};
  n.annotations = {{"summary", "web is down"}};
  n.value = 0;
  n.active_at = kFired - 60'000;
  n.fired_at = kFired;
  n.at = kFired;
  n.sent_at = kFired + 5'000;
  return n;
}

Notice resolved() {
  Notice n = firing();
  n.event = Notice::Event::resolved;
  n.resolved_at = kFired + 600'000;
  n.at = *n.resolved_at;
  n.sent_at = n.at;
  return n;
}

Request render(const std::string& kind, const json& config, const Notice& n) {
  const auto* k = find_channel_kind(kind);
  REQUIRE(k != nullptr);
  auto c = normalize_config(*k, config);
  REQUIRE_MESSAGE(
      c.ok(), kind, ": ",
      c.ok() ? "" : c.error().fields.at(0).field + " " + c.error().fields.at(0).message);
  auto r = k->render(c.value(), n);
  REQUIRE(r.ok());
  return r.value();
}

bool has_header(const Request& r, const std::string& h) {
  return std::find(r.headers.begin(), r.headers.end(), h) != r.headers.end();
}

}  // namespace

TEST_CASE(
    "the default text carries the rule, labels, state, value and times, and the age of late news") {
  auto n = firing();
  CHECK(notice_title(n) == "[FIRING] WebDown (critical)");
  CHECK(notice_text(n) ==
        "web is down\nState: firing, value 0\nLabels: alertname=WebDown, check=web, "
        "severity=critical\n"
        "Fired: 2023-11-14T22:13:20.000Z");
  n.sent_at = kFired + 3 * 86'400'000LL + 5000;
  CHECK(notice_text(n).ends_with("Fired: 2023-11-14T22:13:20.000Z (fired 3 d ago)"));
  auto r = resolved();
  CHECK(notice_title(r) == "[RESOLVED] WebDown");
  // The firing text is said as what was true while the alert fired, not as news.
  CHECK(notice_text(r).starts_with(
      "While firing: web is down\nState: resolved, value 0 (while firing)\n"));
  CHECK(notice_text(r).ends_with(
      "Fired: 2023-11-14T22:13:20.000Z (fired 10 min ago)\nResolved: 2023-11-14T22:23:20.000Z"));
  CHECK(format_age(59'999) == "59 s");
  CHECK(format_age(7'200'000) == "2 h");
}

TEST_CASE("every kind renders the request its receiver takes") {
  SUBCASE("webhook: the default JSON, or a body template") {
    auto r = render("webhook",
                    {{"url", "https://hooks.example.org/x"},
                     {"bearer_token", "s3"},
                     {"headers", {{"X-Team", "ops"}}}},
                    firing());
    CHECK(r.url == "https://hooks.example.org/x");
    CHECK(r.method == "POST");
    auto body = json::parse(r.body);
    CHECK(body["event"] == "firing");
    CHECK(body["notification_id"] == 42);
    CHECK(body["alert"]["labels"]["check"] == "web");
    CHECK(body["alert"]["fired_at"] == "2023-11-14T22:13:20.000Z");
    CHECK(has_header(r, "Authorization: Bearer s3"));
    CHECK(has_header(r, "X-Team: ops"));
    CHECK(has_header(r, "Idempotency-Key: telltale-42"));
    auto t = render("webhook",
                    {{"url", "http://x/"},
                     {"template", "{{ $labels.check }} is {{ $value }}"},
                     {"content_type", "text/plain"}},
                    firing());
    CHECK(t.body == "web is 0");
    CHECK(has_header(t, "Content-Type: text/plain"));
  }
  SUBCASE("email: a plain-text message with headers, envelope and STARTTLS") {
    auto r = render("email",
                    {{"url", "smtp://mail.example.org:587"},
                     {"from", "tt@example.org"},
                     {"to", {"a@example.org", "b@example.org"}}},
                    firing());
    CHECK(r.mail_from == "<tt@example.org>");
    CHECK(r.mail_rcpt == std::vector<std::string>{"<a@example.org>", "<b@example.org>"});
    CHECK(r.tls == Request::Tls::try_starttls);
    CHECK(
        r.body.starts_with("From: tt@example.org\r\nTo: a@example.org, b@example.org\r\nSubject: "
                           "[FIRING] WebDown (critical)\r\n"));
    CHECK(r.body.find("\r\n\r\nweb is down\r\nState: firing, value 0\r\n") != std::string::npos);
    CHECK(r.body.find("Date: Tue, 14 Nov 2023 22:13:25 +0000\r\n") != std::string::npos);
  }
  SUBCASE("slack, discord, teams") {
    auto s = json::parse(
        render("slack",
               {{"webhook_url", "https://hooks.slack.com/services/T/B/X"}, {"channel", "#ops"}},
               firing())
            .body);
    CHECK(s["text"].get<std::string>().starts_with("*[FIRING] WebDown (critical)*\nweb is down"));
    CHECK(s["channel"] == "#ops");
    auto d = json::parse(
        render("discord", {{"webhook_url", "https://discord.com/api/webhooks/1/x"}}, firing())
            .body);
    CHECK(d["content"].get<std::string>().starts_with("**[FIRING] WebDown (critical)**"));
    auto t = json::parse(
        render("teams", {{"webhook_url", "https://example.webhook.office.com/x"}}, resolved())
            .body);
    CHECK(t["@type"] == "MessageCard");
    CHECK(t["themeColor"] == "2EB886");
    CHECK(t["title"] == "[RESOLVED] WebDown");
  }
  SUBCASE("telegram, ntfy, gotify, pushover, matrix") {
    auto tg = render("telegram", {{"bot_token", "123:ABC"}, {"chat_id", "-100"}}, firing());
    CHECK(tg.url == "https://api.telegram.org/bot123:ABC/sendMessage");
    CHECK(json::parse(tg.body)["chat_id"] == "-100");
    auto nt = render("ntfy", {{"topic", "alerts"}, {"token", "tk"}}, firing());
    CHECK(nt.url == "https://ntfy.sh");
    CHECK(json::parse(nt.body)["priority"] == 5);
    CHECK(json::parse(nt.body)["topic"] == "alerts");
    CHECK(has_header(nt, "Authorization: Bearer tk"));
    auto go =
        render("gotify", {{"url", "https://gotify.example.org/"}, {"token", "AppTok"}}, resolved());
    CHECK(go.url == "https://gotify.example.org/message");
    CHECK(has_header(go, "X-Gotify-Key: AppTok"));
    CHECK(json::parse(go.body)["priority"] == 2);
    auto po = json::parse(render("pushover", {{"token", "t"}, {"user", "u"}}, firing()).body);
    CHECK(po["priority"] == 1);
    CHECK(po["timestamp"] == kFired / 1000);
    auto mx = render("matrix",
                     {{"homeserver", "https://m.example.org"},
                      {"room_id", "!abc:example.org"},
                      {"access_token", "at"}},
                     firing());
    CHECK(mx.method == "PUT");
    CHECK(mx.url ==
          "https://m.example.org/_matrix/client/v3/rooms/%21abc%3Aexample.org/send/m.room.message/"
          "telltale-42-0");
    CHECK(json::parse(mx.body)["msgtype"] == "m.text");
  }
  SUBCASE("pagerduty: trigger and resolve share the alert's dedup_key") {
    auto t = json::parse(render("pagerduty", {{"routing_key", "R0"}}, firing()).body);
    CHECK(t["event_action"] == "trigger");
    CHECK(t["dedup_key"] == "telltale-alert-7");
    CHECK(t["payload"]["severity"] == "critical");
    CHECK(t["payload"]["summary"] == "[FIRING] WebDown (critical)");
    auto r = json::parse(render("pagerduty", {{"routing_key", "R0"}}, resolved()).body);
    CHECK(r["event_action"] == "resolve");
    CHECK(r["dedup_key"] == "telltale-alert-7");
    CHECK_FALSE(r.contains("payload"));
  }
  SUBCASE("opsgenie: create, then close by alias") {
    auto c = render("opsgenie", {{"api_key", "K"}}, firing());
    CHECK(c.url == "https://api.opsgenie.com/v2/alerts");
    CHECK(json::parse(c.body)["alias"] == "telltale-alert-7");
    CHECK(json::parse(c.body)["priority"] == "P1");
    CHECK(has_header(c, "Authorization: GenieKey K"));
    auto x = render("opsgenie", {{"api_key", "K"}}, resolved());
    CHECK(x.url ==
          "https://api.opsgenie.com/v2/alerts/telltale-alert-7/close?identifierType=alias");
  }
  SUBCASE("sms: the fields of a gateway, as a form, JSON or a query") {
    json cfg{{"url", "https://sms.example.org/send"},
             {"to", "+491234"},
             {"fields", {{"key", "secret"}}}};
    auto f = render("sms", cfg, firing());
    CHECK(f.body ==
          "key=secret&text=%5BFIRING%5D%20WebDown%20%28critical%29%20check%3Dweb%3A%20web%20is%"
          "20down&to=%2B491234");
    cfg["encoding"] = "json";
    CHECK(json::parse(render("sms", cfg, firing()).body)["to"] == "+491234");
    cfg["method"] = "GET";
    CHECK(render("sms", cfg, firing())
              .url.starts_with("https://sms.example.org/send?key=secret&text="));
  }
  SUBCASE("alertmanager: POST /api/v2/alerts, with endsAt once resolved") {
    auto f = render("alertmanager", {{"url", "http://127.0.0.1:9093/"}}, firing());
    CHECK(f.url == "http://127.0.0.1:9093/api/v2/alerts");
    auto a = json::parse(f.body).at(0);
    CHECK(a["labels"]["alertname"] == "WebDown");
    CHECK(a["startsAt"] == "2023-11-14T22:13:20.000Z");
    CHECK_FALSE(a.contains("endsAt"));
    auto r =
        json::parse(render("alertmanager", {{"url", "http://127.0.0.1:9093"}}, resolved()).body)
            .at(0);
    CHECK(r["endsAt"] == "2023-11-14T22:23:20.000Z");
  }
}

TEST_CASE("configs are validated per field, and secrets are masked") {
  auto errors = [](const std::string& kind, const json& cfg) {
    auto r = normalize_config(*find_channel_kind(kind), cfg);
    std::vector<std::string> fields;
    if (!r.ok())
      for (const auto& f : r.error().fields) fields.push_back(f.field);
    return fields;
  };
  CHECK(errors("webhook", json::object()) == std::vector<std::string>{"config.url"});
  CHECK(errors("webhook", {{"url", "file:///etc/passwd"}}) ==
        std::vector<std::string>{"config.url"});
  CHECK(errors("webhook", {{"url", "http://x/"}, {"colour", "red"}}) ==
        std::vector<std::string>{"config.colour"});
  CHECK(errors("webhook", {{"url", "http://x/"}, {"headers", {{"X-A", "b\r\nEvil: 1"}}}}) ==
        std::vector<std::string>{"config.headers.X-A"});
  CHECK(errors("webhook", {{"url", "http://x/"}, {"template", "{{ .Nope }}"}}) ==
        std::vector<std::string>{"config.template"});
  CHECK(errors("email",
               {{"url", "http://mail/"}, {"from", "a\r\nBcc: x@y"}, {"to", json::array()}}) ==
        std::vector<std::string>{"config.url", "config.from", "config.to"});
  CHECK(errors("pagerduty", json::object()) == std::vector<std::string>{"config.routing_key"});
  CHECK(errors("email",
               {{"url", "smtp://m"}, {"from", "a@b"}, {"to", {"c@d"}}, {"starttls", "maybe"}}) ==
        std::vector<std::string>{"config.starttls"});
  const auto& slack = *find_channel_kind("slack");
  auto c = normalize_config(slack, {{"webhook_url", "https://hooks.slack.com/services/T/B/X"}});
  CHECK(redact_options(slack.options, c.value())["webhook_url"] == "********");
  CHECK(channel_kinds().size() == 14);
  for (const auto* k : channel_kinds()) {
    CAPTURE(k->kind);
    CHECK(to_json(*k)["options"].size() == k->options.size());
  }
}
