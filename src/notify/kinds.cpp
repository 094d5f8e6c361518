// notify/kinds.cpp — the channel kinds: each one's options and the request it sends. Bodies
// follow each receiver's documented API; every kind sends the same default text
// (notice_title / notice_text) in the shape its receiver wants.
#include <fmt/format.h>

#include <cctype>
#include <cmath>
#include <ctime>

#include "alerts/template.h"
#include "notify/channel.h"

namespace tt::notify {

namespace {

using nlohmann::json;

bool has_crlf(std::string_view s) { return s.find_first_of("\r\n") != std::string_view::npos; }

std::optional<std::string> bad_url(const std::string& url,
                                   std::initializer_list<std::string_view> schemes) {
  bool scheme_ok = false;
  for (auto s : schemes) scheme_ok = scheme_ok || url.rfind(std::string(s) + "://", 0) == 0;
  if (!scheme_ok) {
    std::string list;
    for (auto s : schemes) list += (list.empty() ? "" : " or ") + std::string(s) + "://";
    return "must be a URL starting with " + list;
  }
  for (char c : url)
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f)
      return "must not contain spaces or control characters";
  auto host = url.find("://") + 3;
  if (host >= url.size() || url[host] == '/') return "needs a host";
  return std::nullopt;
}

// Checks the URL options named and the header map, if any.
std::vector<FieldError> check_http(const json& c, std::initializer_list<const char*> urls) {
  std::vector<FieldError> errs;
  for (const char* u : urls)
    if (c.contains(u))
      if (auto why = bad_url(c[u].get<std::string>(), {"http", "https"}))
        errs.push_back({std::string("config.") + u, *why});
  if (c.contains("headers"))
    for (const auto& [k, v] : c["headers"].items())
      if (has_crlf(k) || k.find(':') != std::string::npos || k.find(' ') != std::string::npos ||
          has_crlf(v.get<std::string>()))
        errs.push_back({"config.headers." + k,
                        "header names and values must not contain line breaks (or ':' in names)"});
  return errs;
}

// The channel's own headers (checked by check_http), after the kind's.
void add_headers(Request& r, const json& c) {
  if (c.contains("headers"))
    for (const auto& [k, v] : c["headers"].items())
      r.headers.push_back(k + ": " + v.get<std::string>());
}

std::string percent_encode(std::string_view s) {
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~')
      out += static_cast<char>(c);
    else
      out += fmt::format("%{:02X}", c);
  }
  return out;
}

std::string trim_slash(std::string s) {
  while (!s.empty() && s.back() == '/') s.pop_back();
  return s;
}

std::string str(const json& c, const char* name) {
  return c.contains(name) ? c[name].get<std::string>() : std::string();
}

json labels_json(const std::vector<std::pair<std::string, std::string>>& kv) {
  json j = json::object();
  for (const auto& [k, v] : kv) j[k] = v;
  return j;
}

// JSON value of an alert's sample: non-finite values have no JSON number.
json value_json(double v) { return std::isfinite(v) ? json(v) : json(alerts::go_float(v)); }

Request json_post(std::string url, const json& body) {
  Request r;
  r.url = std::move(url);
  r.headers.push_back("Content-Type: application/json");
  r.body = body.dump(-1, ' ', false, json::error_handler_t::replace);
  return r;
}

std::string full_text(const Notice& n) { return notice_title(n) + "\n" + notice_text(n); }

std::string cut(std::string s, std::size_t max) {
  if (s.size() <= max) return s;
  s.resize(max - 3);
  while (!s.empty() && (static_cast<unsigned char>(s.back()) & 0xC0) == 0x80)
    s.pop_back();  // whole UTF-8 characters
  if (!s.empty() && static_cast<unsigned char>(s.back()) >= 0xC0) s.pop_back();
  return s + "...";
}

// The alert as the webhook and others carry it.
json alert_json(const Notice& n) {
  json j{{"id", n.alert_id},
         {"rule", n.rule_name},
         {"severity", n.severity},
         {"labels", labels_json(n.labels)},
         {"annotations", labels_json(n.annotations)},
         {"value", value_json(n.value)},
         {"active_at", format_rfc3339(n.active_at)},
         {"fired_at", n.fired_at ? json(format_rfc3339(*n.fired_at)) : json()},
         {"resolved_at", n.resolved_at ? json(format_rfc3339(*n.resolved_at)) : json()}};
  return j;
}

OptionSpec url_option(const char* name, const char* help, const char* default_url = nullptr,
                      bool secret = false) {
  OptionSpec o{name, OptionType::string, default_url ? json(default_url) : json(), help};
  o.required = !default_url;
  o.secret = secret;
  return o;
}

OptionSpec secret_option(const char* name, const char* help, bool required = true) {
  OptionSpec o{name, OptionType::string, json(), help};
  o.required = required;
  o.secret = true;
  return o;
}

OptionSpec string_option(const char* name, const char* help, bool required = false,
                         const char* def = nullptr) {
  OptionSpec o{name, OptionType::string, def ? json(def) : json(), help};
  o.required = required;
  return o;
}

OptionSpec headers_option() {
  return {"headers", OptionType::string_map, json(),
          "extra request headers, {\"X-Name\": \"value\"}"};
}

// ---- webhook ----

const ChannelKind& webhook() {
  static const ChannelKind k{
      "webhook",
      "Webhook",
      "POSTs JSON to a URL: the alert, its state and the default text; or, with `template`, a body "
      "of "
      "your own ({{ $labels.NAME }}, {{ $value }}, {{ humanize $value }}).",
      {url_option("url", "http:// or https:// URL"),
       {"method", OptionType::choice, "POST", "HTTP method", {"POST", "PUT"}},
       headers_option(),
       secret_option("bearer_token", "sent as Authorization: Bearer", false),
       string_option("template", "the body instead of the default JSON"),
       string_option("content_type", "Content-Type of the body", false, "application/json")},
      [](const json& c) {
        auto errs = check_http(c, {"url"});
        if (c.contains("template"))
          if (auto t = alerts::Template::parse(str(c, "template")); !t)
            errs.push_back({"config.template", t.error().message});
        if (has_crlf(str(c, "content_type")) || has_crlf(str(c, "bearer_token")))
          errs.push_back({"config.content_type", "must not contain line breaks"});
        return errs;
      },
      [](const json& c, const Notice& n) -> Result<Request> {
        Request r;
        r.url = str(c, "url");
        r.method = str(c, "method");
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
        if (c.contains("bearer_token"))
          r.headers.push_back("Authorization: Bearer " + str(c, "bearer_token"));
        add_headers(r, c);
        return r;
      }};
  return k;
}

// ---- email ----

const ChannelKind& email() {
  static const ChannelKind k{
      "email",
      "Email (SMTP)",
      "Sends a plain-text email through an SMTP server (smtp:// with STARTTLS, or smtps://).",
      {url_option("url", "smtp://host:587 or smtps://host:465"),
       string_option("from", "sender address", true),
       {"to", OptionType::string_list, json(), "recipient addresses", {}, 0, 0, true},
       string_option("username", "SMTP AUTH user"),
       secret_option("password", "SMTP AUTH password", false),
       {"starttls",
        OptionType::choice,
        "try",
        "STARTTLS on smtp://: try, require or off",
        {"try", "require", "off"}},
       {"insecure_skip_verify", OptionType::boolean, false,
        "accept any TLS certificate (self-signed servers)"}},
      [](const json& c) {
        std::vector<FieldError> errs;
        if (auto why = bad_url(str(c, "url"), {"smtp", "smtps"}))
          errs.push_back({"config.url", *why});
        auto bad_address = [](const std::string& a) {
          return a.empty() || a.size() > 320 || has_crlf(a) || a.find('@') == std::string::npos ||
                 a.find_first_of("<>,; \t") != std::string::npos;
        };
        if (bad_address(str(c, "from")))
          errs.push_back({"config.from", "must be one address such as alerts@example.org"});
        if (c["to"].empty()) errs.push_back({"config.to", "needs at least one address"});
        for (const auto& a : c["to"])
          if (bad_address(a.get<std::string>()))
            errs.push_back({"config.to", "must be addresses such as ops@example.org"});
        return errs;
      },
      [](const json& c, const Notice& n) -> Result<Request> {
        Request r;
        r.url = str(c, "url");
        r.mail_from = "<" + str(c, "from") + ">";
        std::string to;
        for (const auto& a : c["to"]) {
          r.mail_rcpt.push_back("<" + a.get<std::string>() + ">");
          to += (to.empty() ? "" : ", ") + a.get<std::string>();
        }
        r.username = str(c, "username");
        r.password = str(c, "password");
        auto tls = str(c, "starttls");
        r.tls = tls == "require" ? Request::Tls::require
                : tls == "off"   ? Request::Tls::off
                                 : Request::Tls::try_starttls;
        r.insecure_tls = c.value("insecure_skip_verify", false);
        // Date in RFC 5322 form, from the send time.
        std::time_t secs = static_cast<std::time_t>(n.sent_at / 1000);
        std::tm tm{};
        gmtime_r(&secs, &tm);
        char date[64];
        std::strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S +0000", &tm);
        std::string body = notice_text(n);
        std::string crlf_body;
        for (char ch : body) {
          if (ch == '\n')
            crlf_body += "\r\n";
          else if (ch != '\r')
            crlf_body += ch;
        }
        std::string subject = notice_title(n);
        for (auto& ch : subject)
          if (ch == '\r' || ch == '\n') ch = ' ';
        r.body = fmt::format(
            "From: {}\r\nTo: {}\r\nSubject: {}\r\nDate: {}\r\nMessage-ID: "
            "<telltale-{}-{}@telltale>\r\nMIME-Version: 1.0\r\n"
            "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: "
            "8bit\r\n\r\n{}\r\n",
            str(c, "from"), to, subject, date, n.id, n.sent_at, crlf_body);
        return r;
      }};
  return k;
}

// ---- chat and push services ----

const ChannelKind& slack() {
  static const ChannelKind k{
      "slack",
      "Slack",
      "An incoming webhook of a Slack app.",
      {url_option("webhook_url", "https://hooks.slack.com/services/...", nullptr, true),
       string_option("channel", "override the webhook's channel"),
       string_option("username", "override the sender name")},
      [](const json& c) { return check_http(c, {"webhook_url"}); },
      [](const json& c, const Notice& n) -> Result<Request> {
        json body{{"text", fmt::format("*{}*\n{}", notice_title(n), notice_text(n))}};
        if (c.contains("channel")) body["channel"] = str(c, "channel");
        if (c.contains("username")) body["username"] = str(c, "username");
        return json_post(str(c, "webhook_url"), body);
      }};
  return k;
}

const ChannelKind& discord() {
  static const ChannelKind k{
      "discord",
      "Discord",
      "A Discord channel webhook.",
      {url_option("webhook_url", "https://discord.com/api/webhooks/...", nullptr, true),
       string_option("username", "override the webhook's name")},
      [](const json& c) { return check_http(c, {"webhook_url"}); },
      [](const json& c, const Notice& n) -> Result<Request> {
        json body{
            {"content", cut(fmt::format("**{}**\n{}", notice_title(n), notice_text(n)), 2000)}};
        if (c.contains("username")) body["username"] = str(c, "username");
        return json_post(str(c, "webhook_url"), body);
      }};
  return k;
}

const ChannelKind& teams() {
  static const ChannelKind k{
      "teams",
      "Microsoft Teams",
      "A Teams incoming webhook (MessageCard).",
      {url_option("webhook_url", "the connector's or workflow's webhook URL", nullptr, true)},
      [](const json& c) { return check_http(c, {"webhook_url"}); },
      [](const json& c, const Notice& n) -> Result<Request> {
        std::string color = n.event == Notice::Event::resolved ? "2EB886"
                            : n.severity == "critical"         ? "D63333"
                                                               : "E8A33D";
        std::string text = notice_text(n);
        // MessageCard text is Markdown: keep the line breaks.
        std::string md;
        for (char ch : text) md += ch == '\n' ? std::string("  \n") : std::string(1, ch);
        return json_post(str(c, "webhook_url"), json{{"@type", "MessageCard"},
                                                     {"@context", "https://schema.org/extensions"},
                                                     {"themeColor", color},
                                                     {"summary", notice_title(n)},
                                                     {"title", notice_title(n)},
                                                     {"text", md}});
      }};
  return k;
}

const ChannelKind& telegram() {
  static const ChannelKind k{
      "telegram",
      "Telegram",
      "A Telegram bot's sendMessage to a chat.",
      {secret_option("bot_token", "the token BotFather gave"),
       string_option("chat_id", "chat id or @channel", true),
       url_option("api_url", "Bot API server", "https://api.telegram.org")},
      [](const json& c) {
        auto errs = check_http(c, {"api_url"});
        auto t = str(c, "bot_token");
        if (t.find_first_of("/?#% \r\n") != std::string::npos)
          errs.push_back({"config.bot_token", "is not a bot token"});
        return errs;
      },
      [](const json& c, const Notice& n) -> Result<Request> {
        return json_post(
            fmt::format("{}/bot{}/sendMessage", trim_slash(str(c, "api_url")), str(c, "bot_token")),
            json{{"chat_id", str(c, "chat_id")}, {"text", cut(full_text(n), 4096)}});
      }};
  return k;
}

int priority_of(const Notice& n, int critical, int warning, int info, int resolved) {
  if (n.event == Notice::Event::resolved) return resolved;
  return n.severity == "critical" ? critical : n.severity == "warning" ? warning : info;
}

const ChannelKind& ntfy() {
  static const ChannelKind k{
      "ntfy",
      "ntfy",
      "Publishes to an ntfy topic (ntfy.sh or your own server).",
      {url_option("url", "ntfy server", "https://ntfy.sh"),
       string_option("topic", "topic name", true),
       secret_option("token", "access token (Authorization: Bearer)", false)},
      [](const json& c) {
        auto errs = check_http(c, {"url"});
        if (has_crlf(str(c, "token")))
          errs.push_back({"config.token", "must not contain line breaks"});
        return errs;
      },
      [](const json& c, const Notice& n) -> Result<Request> {
        auto r = json_post(
            trim_slash(str(c, "url")),
            json{{"topic", str(c, "topic")},
                 {"title", notice_title(n)},
                 {"message", notice_text(n)},
                 {"priority", priority_of(n, 5, 4, 3, 3)},
                 {"tags",
                  {n.event == Notice::Event::resolved ? "white_check_mark" : "rotating_light"}}});
        if (c.contains("token")) r.headers.push_back("Authorization: Bearer " + str(c, "token"));
        return r;
      }};
  return k;
}

const ChannelKind& gotify() {
  static const ChannelKind k{"gotify",
                             "Gotify",
                             "Posts a message to a Gotify server with an application token.",
                             {url_option("url", "Gotify server, https://gotify.example.org"),
                              secret_option("token", "application token")},
                             [](const json& c) {
                               auto errs = check_http(c, {"url"});
                               if (has_crlf(str(c, "token")))
                                 errs.push_back({"config.token", "must not contain line breaks"});
                               return errs;
                             },
                             [](const json& c, const Notice& n) -> Result<Request> {
                               auto r = json_post(trim_slash(str(c, "url")) + "/message",
                                                  json{{"title", notice_title(n)},
                                                       {"message", notice_text(n)},
                                                       {"priority", priority_of(n, 8, 5, 2, 2)}});
                               r.headers.push_back("X-Gotify-Key: " + str(c, "token"));
                               return r;
                             }};
  return k;
}

const ChannelKind& pushover() {
  static const ChannelKind k{
      "pushover",
      "Pushover",
      "Pushover's message API.",
      {secret_option("token", "application API token"), secret_option("user", "user or group key"),
       url_option("api_url", "API endpoint", "https://api.pushover.net/1/messages.json")},
      [](const json& c) { return check_http(c, {"api_url"}); },
      [](const json& c, const Notice& n) -> Result<Request> {
        return json_post(str(c, "api_url"), json{{"token", str(c, "token")},
                                                 {"user", str(c, "user")},
                                                 {"title", cut(notice_title(n), 250)},
                                                 {"message", cut(notice_text(n), 1024)},
                                                 {"priority", priority_of(n, 1, 0, 0, 0)},
                                                 {"timestamp", n.at / 1000}});
      }};
  return k;
}

const ChannelKind& matrix() {
  static const ChannelKind k{
      "matrix",
      "Matrix",
      "Sends an m.text message to a Matrix room as a user with an access token.",
      {url_option("homeserver", "https://matrix.example.org"),
       string_option("room_id", "!room:example.org", true),
       secret_option("access_token", "the sending user's access token")},
      [](const json& c) {
        auto errs = check_http(c, {"homeserver"});
        if (has_crlf(str(c, "access_token")))
          errs.push_back({"config.access_token", "must not contain line breaks"});
        return errs;
      },
      [](const json& c, const Notice& n) -> Result<Request> {
        // The transaction id makes a resent notification one message in the room.
        auto r = json_post(
            fmt::format("{}/_matrix/client/v3/rooms/{}/send/m.room.message/telltale-{}-{}",
                        trim_slash(str(c, "homeserver")), percent_encode(str(c, "room_id")), n.id,
                        n.id ? 0 : n.sent_at),
            json{{"msgtype", "m.text"}, {"body", full_text(n)}});
        r.method = "PUT";
        r.headers.push_back("Authorization: Bearer " + str(c, "access_token"));
        return r;
      }};
  return k;
}

// ---- incident services ----

std::string dedup_key(const Notice& n) {
  return n.event == Notice::Event::test ? "telltale-test"
                                        : fmt::format("telltale-alert-{}", n.alert_id);
}

const ChannelKind& pagerduty() {
  static const ChannelKind k{
      "pagerduty",
      "PagerDuty",
      "PagerDuty Events API v2: firing triggers, resolved resolves the same incident (dedup_key "
      "per alert).",
      {secret_option("routing_key", "integration key of an Events API v2 integration"),
       url_option("url", "Events API endpoint", "https://events.pagerduty.com/v2/enqueue"),
       string_option("source", "the payload's source", false, "telltale")},
      [](const json& c) { return check_http(c, {"url"}); },
      [](const json& c, const Notice& n) -> Result<Request> {
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
      }};
  return k;
}

const ChannelKind& opsgenie() {
  static const ChannelKind k{
      "opsgenie",
      "Opsgenie",
      "Opsgenie Alert API: firing creates an alert, resolved closes it (alias per alert).",
      {secret_option("api_key", "API key of an API integration"),
       url_option("url", "API server (https://api.eu.opsgenie.com in the EU)",
                  "https://api.opsgenie.com")},
      [](const json& c) {
        auto errs = check_http(c, {"url"});
        if (has_crlf(str(c, "api_key")))
          errs.push_back({"config.api_key", "must not contain line breaks"});
        return errs;
      },
      [](const json& c, const Notice& n) -> Result<Request> {
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
      }};
  return k;
}

const ChannelKind& sms() {
  static const ChannelKind k{
      "sms",
      "SMS gateway",
      "Sends the text to an HTTP SMS gateway: the recipient and the text go in the fields you "
      "name, with fixed "
      "fields (API keys) beside them, as a form, JSON, or the query of a GET.",
      {url_option("url", "the gateway's send URL"),
       {"method", OptionType::choice, "POST", "POST (body) or GET (query string)", {"POST", "GET"}},
       {"encoding", OptionType::choice, "form", "POST body: form or json", {"form", "json"}},
       string_option("to", "recipient number", true),
       string_option("to_field", "field that carries the recipient", false, "to"),
       string_option("text_field", "field that carries the text", false, "text"),
       {"fields",
        OptionType::string_map,
        json(),
        "fixed fields, such as the API key",
        {},
        0,
        0,
        false,
        true},
       headers_option(),
       {"max_length",
        OptionType::integer,
        480,
        "the text is cut to this many bytes",
        {},
        70,
        1600}},
      [](const json& c) { return check_http(c, {"url"}); },
      [](const json& c, const Notice& n) -> Result<Request> {
        json fields = c.value("fields", json::object());
        fields[str(c, "to_field")] = str(c, "to");
        std::string text = notice_title(n);
        if (n.event != Notice::Event::test) {
          std::string labels;
          for (const auto& [k, v] : n.labels)
            if (k != "alertname" && k != "severity")
              labels += (labels.empty() ? " " : ", ") + k + "=" + v;
          text += labels;
          for (const auto& [k, v] : n.annotations)
            if (k == "summary") text += ": " + v;
          if (n.sent_at - n.at >= 60'000) text += " (" + format_age(n.sent_at - n.at) + " ago)";
        }
        fields[str(c, "text_field")] =
            cut(text, static_cast<std::size_t>(c["max_length"].get<std::int64_t>()));
        std::string form;
        for (const auto& [k, v] : fields.items())
          form += (form.empty() ? "" : "&") + percent_encode(k) + "=" +
                  percent_encode(v.get<std::string>());
        Request r;
        r.url = str(c, "url");
        r.method = str(c, "method");
        if (r.method == "GET")
          r.url += (r.url.find('?') == std::string::npos ? "?" : "&") + form;
        else if (str(c, "encoding") == "json")
          r = json_post(r.url, fields);
        else {
          r.body = form;
          r.headers.push_back("Content-Type: application/x-www-form-urlencoded");
        }
        add_headers(r, c);
        return r;
      }};
  return k;
}

const ChannelKind& alertmanager() {
  static const ChannelKind k{
      "alertmanager",
      "Alertmanager",
      "Hands alerts to a Prometheus Alertmanager (POST /api/v2/alerts), which then groups, "
      "silences and routes them.",
      {url_option("url", "Alertmanager's base URL, http://alertmanager:9093"),
       string_option("username", "basic auth user"),
       secret_option("password", "basic auth password", false)},
      [](const json& c) { return check_http(c, {"url"}); },
      [](const json& c, const Notice& n) -> Result<Request> {
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
      }};
  return k;
}

}  // namespace

const std::vector<const ChannelKind*>& channel_kinds() {
  static const std::vector<const ChannelKind*> all{
      &webhook(), &email(),    &slack(),  &discord(),   &teams(),    &telegram(), &ntfy(),
      &gotify(),  &pushover(), &matrix(), &pagerduty(), &opsgenie(), &sms(),      &alertmanager()};
  return all;
}

}  // namespace tt::notify
