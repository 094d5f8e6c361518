#include <fmt/format.h>

#include "api/api.h"
#include "api/resource.h"
#include "http/envelope.h"

namespace tt::api {

namespace {

void severity_query(http::Context& ctx, std::optional<alerts::Severity>& out,
                    std::vector<FieldError>& errs) {
  if (auto s = ctx.query("severity"); !s.empty()) {
    out = alerts::parse_severity(s);
    if (!out) errs.push_back({"severity", "must be one of critical, warning, info"});
  }
}

Result<alerts::RuleQuery> rule_query(http::Context& ctx) {
  alerts::RuleQuery q;
  auto page = ctx.page_request();
  if (!page.ok()) return std::move(page).error();
  q.page = page.value();
  std::vector<FieldError> errs;
  severity_query(ctx, q.severity, errs);
  if (auto e = ctx.query("enabled"); !e.empty()) {
    if (e != "true" && e != "false")
      errs.push_back({"enabled", "must be true or false"});
    else
      q.enabled = e == "true";
  }
  q.text = ctx.query("q");
  if (!errs.empty()) return bad_query(std::move(errs));
  return q;
}

Result<alerts::AlertQuery> alert_query(http::Context& ctx) {
  alerts::AlertQuery q;
  auto page = ctx.page_request();
  if (!page.ok()) return std::move(page).error();
  q.page = page.value();
  std::vector<FieldError> errs;
  if (auto s = ctx.query("state"); !s.empty()) {
    q.state = alerts::parse_alert_state(s);
    if (!q.state) errs.push_back({"state", "must be one of pending, firing, resolved"});
  }
  severity_query(ctx, q.severity, errs);
  std::int64_t rule = 0;
  ctx.int_query("rule", 1, INT64_MAX, rule, errs, "must be an alert rule id");
  if (rule > 0) q.rule_id = rule;
  for (const auto& l : ctx.query_values("label")) {
    auto eq = l.find('=');
    if (eq == std::string::npos || !valid_label_name(l.substr(0, eq)))
      errs.push_back({"label", "must be name=value with a valid label name"});
    else
      q.labels.emplace_back(l.substr(0, eq), l.substr(eq + 1));
  }
  if (!errs.empty()) return bad_query(std::move(errs));
  return q;
}

}  // namespace

void register_alerts(http::Router& r, Services& s) {
  auto& svc = s.alerts;
  add_resource_routes<alerts::Rule>(
      r, {"/api/v1/alert-rules", "ALERT_RULE_NOT_FOUND",
          [](const alerts::Rule& rule) { return alerts::to_json(rule); },
          [&svc](http::Context& ctx) -> Result<Page<alerts::Rule>> {
            auto q = rule_query(ctx);
            if (!q.ok()) return std::move(q).error();
            return svc.list(q.value());
          },
          [&svc](const nlohmann::json& body, const Actor& actor) -> Result<alerts::Rule> {
            auto in = alerts::decode_rule_input(body, alerts::InputMode::create);
            if (!in.ok()) return std::move(in).error();
            return svc.create(in.value(), actor);
          },
          [&svc](std::int64_t id) { return svc.get(id); },
          [&svc](std::int64_t id, const nlohmann::json& body,
                 const Actor& actor) -> Result<alerts::Rule> {
            auto in = alerts::decode_rule_input(body, alerts::InputMode::patch);
            if (!in.ok()) return std::move(in).error();
            return svc.update(id, in.value(), actor);
          },
          [&svc](std::int64_t id, const Actor& actor) { return svc.remove(id, actor); }});
  r.add({"GET", "/api/v1/alerts", http::Access::read, [&svc](http::Context& ctx) {
           auto q = alert_query(ctx);
           if (!q.ok()) return ctx.error(q.error());
           auto page = svc.alerts(q.value());
           if (!page.ok()) return ctx.error(page.error());
           nlohmann::json items = nlohmann::json::array();
           for (const auto& a : page->items) items.push_back(alerts::to_json(a));
           ctx.list(items, page->total, page->request);
         }});
  r.add({"GET", "/api/v1/alerts/{id}", http::Access::read, [&svc](http::Context& ctx) {
           auto id = ctx.id_param("id", "ALERT_NOT_FOUND");
           if (!id.ok()) return ctx.error(id.error());
           auto a = svc.alert(id.value());
           if (!a.ok()) return ctx.error(a.error());
           ctx.ok(alerts::to_json(a.value()));
         }});
  r.add(
      {"POST", "/api/v1/alerts/{id}/ack", http::Access::operate, [&svc](http::Context& ctx) {
         auto id = ctx.id_param("id", "ALERT_NOT_FOUND");
         if (!id.ok()) return ctx.error(id.error());
         std::string comment;
         if (!ctx.req.body.empty()) {
           auto body = ctx.json_body();
           if (!body.ok()) return ctx.error(body.error());
           std::vector<FieldError> errs;
           if (!body->is_object())
             return ctx.error(Error::make(ErrorKind::invalid_input, "INVALID_JSON",
                                          "the body must be a JSON object"));
           for (const auto& [k, v] : body->items())
             if (k != "comment") errs.push_back({k, "is not a field of an acknowledgement"});
           if (body->contains("comment")) {
             const auto& c = (*body)["comment"];
             if (!c.is_string() || c.get_ref<const std::string&>().size() > 2000)
               errs.push_back({"comment", "must be a string of at most 2000 characters"});
             else
               comment = c.get<std::string>();
           }
           if (!errs.empty())
             return ctx.error(Error{
                 ErrorKind::validation, "VALIDATION_FAILED", "invalid acknowledgement", errs, {}});
         }
         auto a = svc.ack(id.value(), comment, ctx.actor());
         if (!a.ok()) return ctx.error(a.error());
         ctx.ok(alerts::to_json(a.value()));
       }});
  // A silence is not edited: it is expired and a new one made, as Alertmanager does.
  add_resource_routes<alerts::Silence>(
      r, {"/api/v1/silences", "SILENCE_NOT_FOUND",
          [](const alerts::Silence& x) {
            return alerts::to_json(x, SystemClock::instance().now_ms());
          },
          [&svc](http::Context& ctx) -> Result<Page<alerts::Silence>> {
            auto page = ctx.page_request();
            if (!page.ok()) return std::move(page).error();
            auto expired = ctx.query("expired");
            if (!expired.empty() && expired != "true" && expired != "false")
              return bad_query({{"expired", "must be true or false"}});
            return svc.silences(expired == "true", page.value());
          },
          [&svc](const nlohmann::json& body, const Actor& actor) -> Result<alerts::Silence> {
            auto in = alerts::decode_silence(body, SystemClock::instance().now_ms());
            if (!in.ok()) return std::move(in).error();
            return svc.create_silence(std::move(in.value()), actor);
          },
          [&svc](std::int64_t id) { return svc.silence(id); }, nullptr,
          [&svc](std::int64_t id, const Actor& actor) -> Result<void> {
            auto x = svc.expire_silence(id, actor);
            if (!x.ok()) return std::move(x).error();
            return {};
          }});
}

}  // namespace tt::api
