#include <fmt/format.h>

#include <charconv>
#include <cmath>
#include <memory>
#include <mutex>

#include "api/api.h"
#include "api/resource.h"
#include "core/json.h"
#include "http/envelope.h"
#include "probes/descriptor.h"

namespace tt::api {

namespace {

void check_query(const http::Context& ctx, checks::CheckQuery& q, std::vector<FieldError>& errs) {
  if (auto k = ctx.query("kind"); !k.empty()) {
    if (!probes::find_kind(k)) errs.push_back({"kind", "is not a check kind"});
    q.kind = k;
  }
  enum_query(ctx, "state", checks::parse_check_state, "must be one of pending, up, down, paused",
             q.state, errs);
  std::int64_t node = 0;
  ctx.int_query("node", 1, INT64_MAX, node, errs, "must be a node id");
  if (node > 0) q.node_id = node;
  label_query(ctx, q.labels, errs);
  q.text = ctx.query("q");
  sort_query(ctx, checks::valid_check_sort, "name, kind, state, created_at, updated_at, id", q.sort,
             errs);
}

// status, msg, value and ping from the query string, a form body or a JSON body.
Result<checks::Heartbeat> heartbeat(http::Context& ctx) {
  nlohmann::json fields = nlohmann::json::object();
  for (const char* name : {"status", "msg", "value", "ping"})
    if (ctx.req.has_param(name)) fields[name] = ctx.query(name);
  auto type = ctx.req.get_header_value("Content-Type");
  if (!ctx.req.body.empty() && type.rfind("application/json", 0) == 0) {
    auto body = ctx.json_body();
    if (!body.ok()) return std::move(body).error();
    if (!body->is_object())
      return Error::make(ErrorKind::invalid_input, "INVALID_JSON",
                         "the body must be a JSON object");
    for (const auto& [k, v] : body->items()) fields[k] = v;
  }
  std::vector<FieldError> errs;
  checks::Heartbeat hb;
  auto number = [&](const char* name) -> std::optional<double> {
    if (!fields.contains(name)) return std::nullopt;
    const auto& v = fields[name];
    double x = NAN;
    if (v.is_number())
      x = v.get<double>();
    else if (v.is_string()) {
      const auto& s = v.get_ref<const std::string&>();
      auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), x);
      if (ec != std::errc() || p != s.data() + s.size()) x = NAN;
    }
    if (!std::isfinite(x)) {
      errs.push_back({name, "must be a number"});
      return std::nullopt;
    }
    return x;
  };
  if (fields.contains("status")) {
    auto s = fields["status"].is_string() ? fields["status"].get<std::string>() : "";
    if (s != "up" && s != "down") errs.push_back({"status", "must be up or down"});
    hb.up = s != "down";
  }
  if (fields.contains("msg")) {
    if (!fields["msg"].is_string() || fields["msg"].get_ref<const std::string&>().size() > 1024)
      errs.push_back({"msg", "must be a string of at most 1024 bytes"});
    else
      hb.msg = fields["msg"].get<std::string>();
  }
  hb.value = number("value");
  hb.ping_ms = number("ping");
  if (hb.ping_ms && *hb.ping_ms < 0) errs.push_back({"ping", "must not be negative"});
  if (!errs.empty())
    return Error{ErrorKind::validation, "VALIDATION_FAILED", "bad heartbeat", errs, {}};
  return hb;
}

// The availability answer as text, a tree for one entry at a time: with 1,000 nodes and ten
// browsers on the overview, the trees of whole answers were the process's peaks.
Result<std::string> availability_text(checks::CheckService& checks, checks::SummaryOf of, int slots,
                                      std::int64_t check) {
  auto all = checks.summaries(of, slots, check ? std::optional(check) : std::nullopt);
  if (!all.ok()) return std::move(all).error();
  std::string out = "{";
  for (const auto& [id, sum] : all.value()) {
    if (out.size() > 1) out += ',';
    fmt::format_to(std::back_inserter(out), "\"{}\":", id);
    out += checks::to_json(sum).dump();
  }
  out += '}';
  return out;
}

// One answer built at a time and shared for a second. Every browser on the overview asks every
// 15 s, all at once after a restart or a deploy: each request read every check's stretches
// (about 0.7 MB with 1,000 checks), and ten at once were the RSS peaks of the memory benchmark.
class SharedAnswer {
 public:
  template <class Build>
  Result<std::string> get(std::string key, Build&& build) {
    std::lock_guard lock(m_mutex);
    const auto now = SystemClock::instance().mono_ms();
    if (key == m_key && now - m_at < kFreshMs) return m_text;
    auto text = build();
    if (!text.ok()) return text;
    m_key = std::move(key);
    m_at = now;
    m_text = text.value();
    return text;
  }

 private:
  static constexpr std::int64_t kFreshMs = 1000;
  std::mutex m_mutex;
  std::string m_key;
  std::int64_t m_at = 0;
  std::string m_text;
};

}  // namespace

void register_checks(http::Router& r, Services& s) {
  auto& checks = s.checks;
  r.add({"GET", "/api/v1/check-kinds", http::Access::read, [](http::Context& ctx) {
           ctx.ok(json_array(probes::kinds(), [](const auto* k) { return probes::to_json(*k); }));
         }});
  add_resource_routes(
      r,
      input_resource<checks::Check>(
          "/api/v1/checks", "CHECK_NOT_FOUND",
          [](const checks::Check& c) { return checks::to_json(c); },
          list_by<checks::Check>(checks, check_query), checks, checks::decode_check_input),
      s.catalog);
  r.add({"POST", "/api/v1/checks/{id}/run", http::Access::operate, [&checks](http::Context& ctx) {
           auto id = ctx.id_param("id", "CHECK_NOT_FOUND");
           if (!id.ok()) return ctx.error(id.error());
           auto result = checks.run_now(id.value());
           if (!result.ok()) return ctx.error(result.error());
           ctx.ok(result.value());
         }});
  // The form's values, run once and not stored: "Test" before saving.
  r.add({"POST", "/api/v1/checks/test", http::Access::operate, [&checks](http::Context& ctx) {
           auto body = ctx.json_body();
           if (!body.ok()) return ctx.error(body.error());
           auto in = checks::decode_check_input(body.value(), InputMode::create);
           if (!in.ok()) return ctx.error(in.error());
           auto result = checks.test(in.value());
           if (!result.ok()) return ctx.error(result.error());
           ctx.ok(result.value());
         }});
  r.add({"GET", "/api/v1/checks/{id}/results", http::Access::read, [&checks](http::Context& ctx) {
           auto id = ctx.id_param("id", "CHECK_NOT_FOUND");
           if (!id.ok()) return ctx.error(id.error());
           std::vector<FieldError> errs;
           std::int64_t to = SystemClock::instance().now_ms(), from = 0, limit = 100;
           ctx.int_query("to", 0, INT64_MAX, to, errs, "must be milliseconds since the epoch");
           from = to - 86'400'000;
           ctx.int_query("from", 0, INT64_MAX, from, errs, "must be milliseconds since the epoch");
           ctx.int_query("limit", 1, 1000, limit, errs);
           if (errs.empty() && from > to) errs.push_back({"from", "must not be after to"});
           if (!errs.empty()) return ctx.error(bad_query(std::move(errs)));
           auto rows = checks.results(id.value(), from, to, static_cast<int>(limit));
           if (!rows.ok()) return ctx.error(rows.error());
           nlohmann::json items = nlohmann::json::array();
           for (const auto& row : rows.value()) items.push_back(checks::to_json(row));
           // The next page ends just before the oldest run of this one.
           nlohmann::json next = rows->size() == static_cast<std::size_t>(limit)
                                     ? nlohmann::json(rows->back().at - 1)
                                     : nlohmann::json();
           ctx.res.status = 200;
           ctx.res.set_content(
               nlohmann::json{{"success", true},
                              {"data", items},
                              {"pagination",
                               {{"from", from}, {"to", to}, {"limit", limit}, {"next_to", next}}},
                              {"meta", http::meta(ctx.request_id)}}
                   .dump(),
               "application/json");
         }});
  r.add({"GET", "/api/v1/checks/{id}/outages", http::Access::read, [&checks](http::Context& ctx) {
           auto id = ctx.id_param("id", "CHECK_NOT_FOUND");
           if (!id.ok()) return ctx.error(id.error());
           std::vector<FieldError> errs;
           std::int64_t to = SystemClock::instance().now_ms(), from = 0;
           ctx.int_query("to", 0, INT64_MAX, to, errs, "must be milliseconds since the epoch");
           from = to - 30 * 86'400'000LL;
           ctx.int_query("from", 0, INT64_MAX, from, errs, "must be milliseconds since the epoch");
           if (errs.empty() && from > to) errs.push_back({"from", "must not be after to"});
           if (!errs.empty()) return ctx.error(bad_query(std::move(errs)));
           auto list = checks.outages(id.value(), from, to);
           if (!list.ok()) return ctx.error(list.error());
           ctx.ok(json_array(list.value(), [](const checks::Outage& o) {
             return nlohmann::json{
                 {"from", format_rfc3339(o.from)},
                 {"to", o.to ? nlohmann::json(format_rfc3339(*o.to)) : nlohmann::json()},
                 {"runs", o.runs},
                 {"error", o.error},
                 {"message", o.message}};
           }));
         }});
  // Heartbeat bars, uptime and latency of every check or node, keyed by id: what lists and the
  // overview show beside the live state.
  for (auto [path, of] : {std::pair{"/api/v1/availability/checks", checks::SummaryOf::check},
                          std::pair{"/api/v1/availability/nodes", checks::SummaryOf::node}}) {
    // Kiosk: the wall screen's bars are the nodes'.
    const auto access = of == checks::SummaryOf::node ? http::Access::kiosk : http::Access::read;
    r.add({"GET", path, access,
           [&checks, of = of, answers = std::make_shared<SharedAnswer>()](http::Context& ctx) {
             std::vector<FieldError> errs;
             std::int64_t slots = 50, check = 0;
             ctx.int_query("slots", 1, 500, slots, errs);
             if (of == checks::SummaryOf::check)
               ctx.int_query("id", 1, INT64_MAX, check, errs, "must be a check id");
             if (!errs.empty()) return ctx.error(bad_query(std::move(errs)));
             auto text = answers->get(fmt::format("{}/{}", slots, check), [&] {
               return availability_text(checks, of, static_cast<int>(slots), check);
             });
             if (!text.ok()) return ctx.error(text.error());
             ctx.ok_text(text.value());
           }});
  }
  auto push = [&checks](http::Context& ctx) {
    auto hb = heartbeat(ctx);
    if (!hb.ok()) return ctx.error(hb.error());
    auto done = checks.push(ctx.params.at("token"), hb.value());
    if (!done.ok()) return ctx.error(done.error());
    ctx.ok({{"accepted", true}});
  };
  r.add({"GET", "/api/v1/push/{token}", http::Access::public_, push});
  r.add({"POST",
         "/api/v1/push/{token}",
         http::Access::public_,
         push,
         {"application/json", "application/x-www-form-urlencoded", "text/plain"}});
}

}  // namespace tt::api
