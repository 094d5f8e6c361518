#include <fmt/format.h>

#include "api/api.h"
#include "http/envelope.h"

namespace tt::api {

namespace {

Error bad_query(std::vector<FieldError> errs) {
  return Error{ErrorKind::validation, "VALIDATION_FAILED", "bad query parameters", std::move(errs), {}};
}

void severity_query(http::Context& ctx, std::optional<alerts::Severity>& out, std::vector<FieldError>& errs) {
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
    if (e != "true" && e != "false") errs.push_back({"enabled", "must be true or false"});
    else q.enabled = e == "true";
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
  r.add({"GET", "/api/v1/alert-rules", http::Access::read, [&svc](http::Context& ctx) {
           auto q = rule_query(ctx);
           if (!q.ok()) return ctx.error(q.error());
           auto page = svc.list(q.value());
           if (!page.ok()) return ctx.error(page.error());
           nlohmann::json items = nlohmann::json::array();
           for (const auto& rule : page->items) items.push_back(alerts::to_json(rule));
           ctx.list(items, page->total, page->request);
         }});
  r.add({"POST", "/api/v1/alert-rules", http::Access::operate, [&svc](http::Context& ctx) {
           auto body = ctx.json_body();
           if (!body.ok()) return ctx.error(body.error());
           auto in = alerts::decode_rule_input(body.value(), alerts::InputMode::create);
           if (!in.ok()) return ctx.error(in.error());
           auto rule = svc.create(in.value(), ctx.actor());
           if (!rule.ok()) return ctx.error(rule.error());
           ctx.res.set_header("Location", fmt::format("/api/v1/alert-rules/{}", rule->id));
           ctx.ok(alerts::to_json(rule.value()), 201);
         }});
  r.add({"GET", "/api/v1/alert-rules/{id}", http::Access::read, [&svc](http::Context& ctx) {
           auto id = ctx.id_param("id", "ALERT_RULE_NOT_FOUND");
           if (!id.ok()) return ctx.error(id.error());
           auto rule = svc.get(id.value());
           if (!rule.ok()) return ctx.error(rule.error());
           ctx.ok(alerts::to_json(rule.value()));
         }});
  r.add({"PATCH", "/api/v1/alert-rules/{id}", http::Access::operate, [&svc](http::Context& ctx) {
           auto id = ctx.id_param("id", "ALERT_RULE_NOT_FOUND");
           if (!id.ok()) return ctx.error(id.error());
           auto body = ctx.json_body();
           if (!body.ok()) return ctx.error(body.error());
           auto in = alerts::decode_rule_input(body.value(), alerts::InputMode::patch);
           if (!in.ok()) return ctx.error(in.error());
           auto rule = svc.update(id.value(), in.value(), ctx.actor());
           if (!rule.ok()) return ctx.error(rule.error());
           ctx.ok(alerts::to_json(rule.value()));
         },
         {"application/json", "application/merge-patch+json"}});
  r.add({"DELETE", "/api/v1/alert-rules/{id}", http::Access::operate, [&svc](http::Context& ctx) {
           auto id = ctx.id_param("id", "ALERT_RULE_NOT_FOUND");
           if (!id.ok()) return ctx.error(id.error());
           auto done = svc.remove(id.value(), ctx.actor());
           if (!done.ok()) return ctx.error(done.error());
           ctx.no_content();
         }});
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
  r.add({"POST", "/api/v1/alerts/{id}/ack", http::Access::operate, [&svc](http::Context& ctx) {
           auto id = ctx.id_param("id", "ALERT_NOT_FOUND");
           if (!id.ok()) return ctx.error(id.error());
           std::string comment;
           if (!ctx.req.body.empty()) {
             auto body = ctx.json_body();
             if (!body.ok()) return ctx.error(body.error());
             std::vector<FieldError> errs;
             if (!body->is_object()) return ctx.error(Error::make(ErrorKind::invalid_input, "INVALID_JSON", "the body must be a JSON object"));
             for (const auto& [k, v] : body->items())
               if (k != "comment") errs.push_back({k, "is not a field of an acknowledgement"});
             if (body->contains("comment")) {
               const auto& c = (*body)["comment"];
               if (!c.is_string() || c.get_ref<const std::string&>().size() > 2000)
                 errs.push_back({"comment", "must be a string of at most 2000 characters"});
               else comment = c.get<std::string>();
             }
             if (!errs.empty()) return ctx.error(Error{ErrorKind::validation, "VALIDATION_FAILED", "invalid acknowledgement", errs, {}});
           }
           auto a = svc.ack(id.value(), comment, ctx.actor());
           if (!a.ok()) return ctx.error(a.error());
           ctx.ok(alerts::to_json(a.value()));
         }});
  r.add({"GET", "/api/v1/silences", http::Access::read, [&svc](http::Context& ctx) {
           auto page = ctx.page_request();
           if (!page.ok()) return ctx.error(page.error());
           auto expired = ctx.query("expired");
           if (!expired.empty() && expired != "true" && expired != "false")
             return ctx.error(bad_query({{"expired", "must be true or false"}}));
           auto list = svc.silences(expired == "true", page.value());
           if (!list.ok()) return ctx.error(list.error());
           auto now = SystemClock::instance().now_ms();
           nlohmann::json items = nlohmann::json::array();
           for (const auto& x : list->items) items.push_back(alerts::to_json(x, now));
           ctx.list(items, list->total, list->request);
         }});
  r.add({"POST", "/api/v1/silences", http::Access::operate, [&svc](http::Context& ctx) {
           auto body = ctx.json_body();
           if (!body.ok()) return ctx.error(body.error());
           auto now = SystemClock::instance().now_ms();
           auto in = alerts::decode_silence(body.value(), now);
           if (!in.ok()) return ctx.error(in.error());
           auto x = svc.create_silence(std::move(in.value()), ctx.actor());
           if (!x.ok()) return ctx.error(x.error());
           ctx.res.set_header("Location", fmt::format("/api/v1/silences/{}", x->id));
           ctx.ok(alerts::to_json(x.value(), now), 201);
         }});
  r.add({"GET", "/api/v1/silences/{id}", http::Access::read, [&svc](http::Context& ctx) {
           auto id = ctx.id_param("id", "SILENCE_NOT_FOUND");
           if (!id.ok()) return ctx.error(id.error());
           auto x = svc.silence(id.value());
           if (!x.ok()) return ctx.error(x.error());
           ctx.ok(alerts::to_json(x.value(), SystemClock::instance().now_ms()));
         }});
  r.add({"DELETE", "/api/v1/silences/{id}", http::Access::operate, [&svc](http::Context& ctx) {
           auto id = ctx.id_param("id", "SILENCE_NOT_FOUND");
           if (!id.ok()) return ctx.error(id.error());
           auto x = svc.expire_silence(id.value(), ctx.actor());
           if (!x.ok()) return ctx.error(x.error());
           ctx.no_content();
         }});
}

}  // namespace tt::api
