#include <fmt/format.h>

#include "api/api.h"
#include "api/resource.h"
#include "http/envelope.h"

namespace tt::api {

namespace {

void severity_query(const http::Context& ctx, std::optional<alerts::Severity>& out,
                    std::vector<FieldError>& errs) {
  enum_query(ctx, "severity", alerts::parse_severity, "must be one of critical, warning, info", out,
             errs);
}

void rule_query(const http::Context& ctx, alerts::RuleQuery& q, std::vector<FieldError>& errs) {
  severity_query(ctx, q.severity, errs);
  if (auto e = ctx.query("enabled"); !e.empty()) {
    if (e != "true" && e != "false")
      errs.push_back({"enabled", "must be true or false"});
    else
      q.enabled = e == "true";
  }
  q.text = ctx.query("q");
}

void alert_query(const http::Context& ctx, alerts::AlertQuery& q, std::vector<FieldError>& errs) {
  enum_query(ctx, "state", alerts::parse_alert_state, "must be one of pending, firing, resolved",
             q.state, errs);
  severity_query(ctx, q.severity, errs);
  std::int64_t rule = 0;
  ctx.int_query("rule", 1, INT64_MAX, rule, errs, "must be an alert rule id");
  if (rule > 0) q.rule_id = rule;
  label_query(ctx, q.labels, errs);
}

}  // namespace

void register_alerts(http::Router& r, Services& s) {
  auto& svc = s.alerts;
  add_resource_routes(r,
                      input_resource<alerts::Rule>(
                          "/api/v1/alert-rules", "ALERT_RULE_NOT_FOUND",
                          [](const alerts::Rule& rule) { return alerts::to_json(rule); },
                          list_by<alerts::Rule>(svc, rule_query), svc, alerts::decode_rule_input),
                      s.catalog);
  // Kiosk: the wall screen counts the firing alerts.
  r.add({"GET", "/api/v1/alerts", http::Access::kiosk, [&svc](http::Context& ctx) {
           auto q = list_query(ctx, alert_query);
           if (!q.ok()) return ctx.error(q.error());
           reply_page(ctx, svc.alerts(q.value()),
                      [](const alerts::Alert& a) { return alerts::to_json(a); });
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
      r,
      {"/api/v1/silences", "SILENCE_NOT_FOUND",
       [](const alerts::Silence& x) {
         return alerts::to_json(x, SystemClock::instance().now_ms());
       },
       [&svc](http::Context& ctx) -> Result<Page<alerts::Silence>> {
         const auto page = TT_TRY(ctx.page_request());
         return svc.silences(TT_TRY(flag_query(ctx, "expired")), page);
       },
       [&svc](const nlohmann::json& body, const Actor& actor) -> Result<alerts::Silence> {
         return svc.create_silence(
             TT_TRY(alerts::decode_silence(body, SystemClock::instance().now_ms())), actor);
       },
       [&svc](std::int64_t id) { return svc.silence(id); }, nullptr,
       [&svc](std::int64_t id, const Actor& actor) -> Result<void> {
         TT_TRY(svc.expire_silence(id, actor));
         return {};
       }},
      s.catalog);
}

}  // namespace tt::api
