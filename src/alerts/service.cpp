#include "alerts/service.h"

#include <fmt/format.h>

#include <algorithm>

#include "alerts/inhibit_service.h"
#include "alerts/maintenance_service.h"
#include "core/json.h"
#include "db/table.h"

namespace tt::alerts {

namespace {

constexpr const char* kRuleColumns =
    "id, name, kind, expr, check_id, check_selector, for_ms, keep_firing_for_ms, severity, labels, "
    "annotations, "
    "channels, enabled, interval_ms, created_at, updated_at, escalations, flap_fires, "
    "flap_window_ms";

Rule read_rule(SQLite::Statement& st) {
  Rule r;
  r.id = st.getColumn(0).getInt64();
  r.name = st.getColumn(1).getString();
  r.kind = st.getColumn(2).getString() == "check_state" ? RuleKind::check_state : RuleKind::expr;
  r.expr = st.getColumn(3).getString();
  if (!st.getColumn(4).isNull()) r.check_id = st.getColumn(4).getInt64();
  r.check_selector = st.getColumn(5).getString();
  r.for_ms = st.getColumn(6).getInt64();
  r.keep_firing_for_ms = st.getColumn(7).getInt64();
  r.severity = parse_severity(st.getColumn(8).getString()).value_or(Severity::warning);
  r.labels = nlohmann::json::parse(st.getColumn(9).getString()).get<Labels>();
  r.annotations = nlohmann::json::parse(st.getColumn(10).getString()).get<Labels>();
  r.channels = nlohmann::json::parse(st.getColumn(11).getString()).get<std::vector<std::int64_t>>();
  r.enabled = st.getColumn(12).getInt() != 0;
  r.interval_ms = st.getColumn(13).getInt64();
  r.created_at = st.getColumn(14).getInt64();
  r.updated_at = st.getColumn(15).getInt64();
  r.escalations = escalations_from_stored(nlohmann::json::parse(st.getColumn(16).getString()));
  if (st.getColumn(17).getInt() > 0)
    r.flap_damping = FlapDamping{st.getColumn(17).getInt(), st.getColumn(18).getInt64()};
  return r;
}

constexpr db::Table<Rule> kRuleTable{"alert_rules", kRuleColumns, read_rule, "alert rule",
                                     "ALERT_RULE_NOT_FOUND"};

void bind_rule(SQLite::Statement& st, const Rule& r) {
  st.bind(":name", r.name);
  st.bind(":kind", std::string(to_string(r.kind)));
  st.bind(":expr", r.expr);
  if (r.check_id)
    st.bind(":check_id", *r.check_id);
  else
    st.bind(":check_id");
  st.bind(":check_selector", r.check_selector);
  st.bind(":for_ms", r.for_ms);
  st.bind(":keep_firing_for_ms", r.keep_firing_for_ms);
  st.bind(":severity", std::string(to_string(r.severity)));
  st.bind(":labels", nlohmann::json(r.labels).dump());
  st.bind(":annotations", nlohmann::json(r.annotations).dump());
  st.bind(":channels", nlohmann::json(r.channels).dump());
  st.bind(":escalations", escalations_json(r.escalations, true).dump());
  st.bind(":flap_fires", r.flap_damping ? r.flap_damping->fires : 0);
  st.bind(":flap_window_ms", r.flap_damping ? r.flap_damping->window_ms : 0);
  st.bind(":enabled", r.enabled ? 1 : 0);
  st.bind(":interval_ms", r.interval_ms);
  st.bind(":updated_at", static_cast<std::int64_t>(r.updated_at));
}

Result<void> check_unique(SQLite::Database& db, const Rule& r) {
  SQLite::Statement st(db, "SELECT 1 FROM alert_rules WHERE name = ? AND id != ?");
  st.bind(1, r.name);
  st.bind(2, r.id);
  if (st.executeStep())
    return Error::make(ErrorKind::conflict, "ALERT_RULE_EXISTS",
                       fmt::format("an alert rule named '{}' already exists", r.name));
  return ok();
}

// A rule sends to channels that exist.
Result<void> check_channels(SQLite::Database& db, const Rule& r) {
  std::vector<FieldError> errs;
  SQLite::Statement st(db, "SELECT 1 FROM channels WHERE id = ?");
  auto check = [&](const std::vector<std::int64_t>& ids, const std::string& field) {
    for (auto id : ids) {
      st.reset();
      st.bind(1, id);
      if (!st.executeStep()) errs.push_back({field, fmt::format("channel {} does not exist", id)});
    }
  };
  check(r.channels, "channels");
  for (std::size_t i = 0; i < r.escalations.size(); ++i)
    check(r.escalations[i].channels, fmt::format("escalations[{}].channels", i));
  if (!errs.empty())
    return Error{
        ErrorKind::validation, "VALIDATION_FAILED", "invalid alert rule", std::move(errs), {}};
  return ok();
}

constexpr events::Resource kRules{"alerts", "alert_rule", "rule"};

constexpr const char* kAlertColumns =
    "id, rule_id, rule_name, severity, labels, annotations, state, value, active_at, fired_at, "
    "resolved_at, "
    "keep_firing_since, last_eval_at, acked_by, acked_at, ack_comment, flapping";

Alert read_alert(SQLite::Statement& st) {
  auto opt = [&](int i) {
    return st.getColumn(i).isNull() ? std::nullopt
                                    : std::optional<TimeMs>(st.getColumn(i).getInt64());
  };
  Alert a;
  a.id = st.getColumn(0).getInt64();
  if (!st.getColumn(1).isNull()) a.rule_id = st.getColumn(1).getInt64();
  a.rule_name = st.getColumn(2).getString();
  a.severity = parse_severity(st.getColumn(3).getString()).value_or(Severity::warning);
  for (const auto& [k, v] : nlohmann::json::parse(st.getColumn(4).getString()).get<Labels>())
    a.labels.push_back({k, v});
  a.annotations = nlohmann::json::parse(st.getColumn(5).getString()).get<Labels>();
  a.state = parse_alert_state(st.getColumn(6).getString()).value_or(AlertState::resolved);
  a.value = st.getColumn(7).isNull() ? std::nan("") : st.getColumn(7).getDouble();
  a.active_at = st.getColumn(8).getInt64();
  a.fired_at = opt(9);
  a.resolved_at = opt(10);
  a.keep_firing_since = opt(11);
  a.last_eval_at = st.getColumn(12).getInt64();
  if (!st.getColumn(13).isNull())
    a.ack = Ack{st.getColumn(13).getString(), st.getColumn(14).getInt64(),
                st.getColumn(15).getString()};
  a.flapping = st.getColumn(16).getInt() != 0;
  return a;
}

constexpr db::Table<Alert> kAlertTable{"alerts", kAlertColumns, read_alert, "alert",
                                       "ALERT_NOT_FOUND"};

}  // namespace

Result<std::vector<Rule>> AlertService::load_rules() {
  return m_readers.with([&](SQLite::Database& db) -> Result<std::vector<Rule>> {
    std::vector<Rule> out;
    SQLite::Statement st(db, fmt::format("SELECT {} FROM alert_rules ORDER BY id", kRuleColumns));
    while (st.executeStep()) {
      out.push_back(read_rule(st));
      TT_TRY(compile(out.back()));
    }
    return out;
  });
}

Result<std::vector<Alert>> AlertService::load_active() {
  return m_readers.with([&](SQLite::Database& db) -> Result<std::vector<Alert>> {
    std::vector<Alert> out;
    SQLite::Statement st(
        db,
        fmt::format("SELECT {} FROM alerts WHERE state != 'resolved' ORDER BY id", kAlertColumns));
    while (st.executeStep()) out.push_back(read_alert(st));
    return out;
  });
}

Result<Rule> AlertService::create(const RuleInput& in, const Actor& actor) {
  Rule r;
  TT_TRY(apply_input(r, in));
  return m_log.commit<Rule>(actor, [&](events::Change& change) -> Result<Rule> {
    r.created_at = r.updated_at = change.now();
    TT_TRY(check_unique(change.db(), r));
    TT_TRY(check_channels(change.db(), r));
    SQLite::Statement st(change.db(),
                         "INSERT INTO alert_rules(name, kind, expr, check_id, check_selector, "
                         "for_ms, keep_firing_for_ms, "
                         "severity, labels, annotations, channels, enabled, interval_ms, "
                         "created_at, updated_at, escalations, "
                         "flap_fires, flap_window_ms) VALUES "
                         "(:name, :kind, :expr, :check_id, :check_selector, :for_ms, "
                         ":keep_firing_for_ms, :severity, "
                         ":labels, :annotations, :channels, :enabled, :interval_ms, :created_at, "
                         ":updated_at, :escalations, "
                         ":flap_fires, :flap_window_ms)");
    bind_rule(st, r);
    st.bind(":created_at", static_cast<std::int64_t>(r.created_at));
    st.exec();
    r.id = change.db().getLastInsertRowid();
    change.created(kRules, r.id, to_json(r), {{"name", r.name}});
    change.after_commit([this, r] { m_evaluator.upsert(r); });
    return r;
  });
}

Result<Rule> AlertService::get(std::int64_t id) {
  return m_readers.with([&](SQLite::Database& db) { return kRuleTable.get(db, id); });
}

Result<Rule> AlertService::update(std::int64_t id, const RuleInput& patch, const Actor& actor) {
  return m_log.commit<Rule>(actor, [&](events::Change& change) -> Result<Rule> {
    const Rule found = TT_TRY(kRuleTable.get(change.db(), id));
    Rule r = found;
    TT_TRY(apply_input(r, patch));
    TT_TRY(check_unique(change.db(), r));
    if (patch.channels || patch.escalations) TT_TRY(check_channels(change.db(), r));
    auto diff = changed_fields(to_json(found), to_json(r));
    if (diff.empty()) return r;
    r.updated_at = change.now();
    SQLite::Statement st(
        change.db(),
        "UPDATE alert_rules SET name=:name, kind=:kind, expr=:expr, check_id=:check_id, "
        "check_selector=:check_selector, for_ms=:for_ms, keep_firing_for_ms=:keep_firing_for_ms, "
        "severity=:severity, labels=:labels, annotations=:annotations, channels=:channels, "
        "enabled=:enabled, interval_ms=:interval_ms, updated_at=:updated_at, "
        "escalations=:escalations, "
        "flap_fires=:flap_fires, flap_window_ms=:flap_window_ms WHERE id=:id");
    bind_rule(st, r);
    st.bind(":id", id);
    st.exec();
    change.updated(kRules, id, to_json(r), diff, {{"changed", diff.changed}});
    change.after_commit([this, r] { m_evaluator.upsert(r); });
    return r;
  });
}

Result<void> AlertService::remove(std::int64_t id, const Actor& actor) {
  return m_log.commit<void>(actor, [&](events::Change& change) -> Result<void> {
    const Rule found = TT_TRY(kRuleTable.get(change.db(), id));
    kRuleTable.erase(change.db(), id);
    change.deleted(kRules, id, to_json(found), {{"name", found.name}});
    // Its active alerts resolve at the evaluator's next round.
    change.after_commit([this, id] { m_evaluator.remove(id); });
    return ok();
  });
}

Result<Page<Rule>> AlertService::list(const RuleQuery& q) {
  return m_readers.with([&](SQLite::Database& db) -> Result<Page<Rule>> {
    std::string where = " WHERE 1=1";
    std::vector<std::string> args;
    if (q.severity) {
      where += " AND severity = ?";
      args.emplace_back(to_string(*q.severity));
    }
    if (q.enabled) {
      where += " AND enabled = ?";
      args.emplace_back(*q.enabled ? "1" : "0");
    }
    if (!q.text.empty()) {
      where += " AND (instr(lower(name), lower(?)) > 0 OR instr(lower(expr), lower(?)) > 0)";
      args.insert(args.end(), 2, q.text);
    }
    auto bind_all = [&](SQLite::Statement& st) {
      for (std::size_t i = 0; i < args.size(); ++i) st.bind(static_cast<int>(i + 1), args[i]);
    };
    Page<Rule> page;
    page.request = q.page;
    SQLite::Statement count(db, "SELECT count(*) FROM alert_rules" + where);
    bind_all(count);
    count.executeStep();
    page.total = count.getColumn(0).getInt64();
    SQLite::Statement st(
        db, fmt::format("SELECT {} FROM alert_rules{} ORDER BY name, id LIMIT {} OFFSET {}",
                        kRuleColumns, where, q.page.per_page, q.page.offset()));
    bind_all(st);
    while (st.executeStep()) page.items.push_back(read_rule(st));
    return page;
  });
}

Alert AlertService::with_live(Alert a) const {
  if (a.state == AlertState::resolved) return a;
  if (auto live = m_evaluator.live(a.id)) {
    a.value = live->value;
    a.annotations = live->annotations;
    a.last_eval_at = live->last_eval_at;
    a.keep_firing_since = live->keep_firing_since;
  }
  return a;
}

Result<Alert> AlertService::alert(std::int64_t id) {
  Alert a = TT_TRY(m_readers.with([&](SQLite::Database& db) { return kAlertTable.get(db, id); }));
  std::vector<Alert> one{with_live(std::move(a))};
  TT_TRY(mark_muted(one));
  return std::move(one.front());
}

Result<std::set<std::int64_t>> AlertService::muted(const std::vector<std::int64_t>& ids) {
  auto found = m_readers.with([&](SQLite::Database& db) -> Result<std::vector<Alert>> {
    std::vector<Alert> out;
    for (auto id : ids)
      if (auto a = kAlertTable.find(db, id)) out.push_back(std::move(*a));
    return out;
  });
  if (!found.ok()) return std::move(found).error();
  TT_TRY(mark_muted(found.value()));
  std::set<std::int64_t> out;
  for (const auto& a : found.value())
    if (a.muted()) out.insert(a.id);
  return out;
}

Result<Page<Alert>> AlertService::alerts(const AlertQuery& q) {
  auto page = m_readers.with([&](SQLite::Database& db) -> Result<Page<Alert>> {
    std::string where = " WHERE 1=1";
    std::vector<std::string> args;
    if (q.state) {
      where += " AND state = ?";
      args.emplace_back(to_string(*q.state));
    }
    if (q.severity) {
      where += " AND severity = ?";
      args.emplace_back(to_string(*q.severity));
    }
    if (q.rule_id) {
      where += " AND rule_id = ?";
      args.push_back(std::to_string(*q.rule_id));
    }
    for (const auto& [k, v] : q.labels) {
      where += " AND json_extract(labels, ?) = ?";
      args.push_back("$.\"" + k + "\"");
      args.push_back(v);
    }
    auto bind_all = [&](SQLite::Statement& st) {
      for (std::size_t i = 0; i < args.size(); ++i) st.bind(static_cast<int>(i + 1), args[i]);
    };
    Page<Alert> page;
    page.request = q.page;
    SQLite::Statement count(db, "SELECT count(*) FROM alerts" + where);
    bind_all(count);
    count.executeStep();
    page.total = count.getColumn(0).getInt64();
    SQLite::Statement st(
        db,
        fmt::format("SELECT {} FROM alerts{} ORDER BY active_at DESC, id DESC LIMIT {} OFFSET {}",
                    kAlertColumns, where, q.page.per_page, q.page.offset()));
    bind_all(st);
    while (st.executeStep()) page.items.push_back(read_alert(st));
    return page;
  });
  if (!page.ok()) return page;
  for (auto& a : page->items) a = with_live(std::move(a));
  TT_TRY(mark_muted(page->items));
  return page;
}

Result<Alert> AlertService::ack(std::int64_t id, const std::string& comment, const Actor& actor) {
  auto done = m_log.commit<void>(actor, [&](events::Change& change) -> Result<void> {
    const Alert found = TT_TRY(kAlertTable.get(change.db(), id));
    if (found.state == AlertState::resolved)
      return Error::make(ErrorKind::conflict, "ALERT_RESOLVED",
                         fmt::format("alert {} is resolved; there is nothing to acknowledge", id));
    SQLite::Statement st(
        change.db(), "UPDATE alerts SET acked_by = ?, acked_at = ?, ack_comment = ? WHERE id = ?");
    st.bind(1, actor.name);
    st.bind(2, static_cast<std::int64_t>(change.now()));
    st.bind(3, comment);
    st.bind(4, id);
    st.exec();
    Alert a = found;
    a.ack = Ack{actor.name, change.now(), comment};
    change.event("alerts", "alert.acked", std::to_string(id),
                 {{"alert", to_json(a)}, {"comment", comment}});
    change.audit("alert.ack", std::to_string(id), {{"comment", comment}});
    return ok();
  });
  TT_TRY(std::move(done));
  return alert(id);
}

namespace {

constexpr events::Resource kSilences{"alerts", "silence", "silence"};

constexpr const char* kSilenceColumns =
    "id, matchers, starts_at, ends_at, comment, created_by, created_at";

Silence read_silence(SQLite::Statement& st) {
  Silence s;
  s.id = st.getColumn(0).getInt64();
  s.matchers_text = st.getColumn(1).getString();
  if (auto m = query::parse_selector(s.matchers_text)) s.matchers = std::move(m.value());
  s.starts_at = st.getColumn(2).getInt64();
  s.ends_at = st.getColumn(3).getInt64();
  s.comment = st.getColumn(4).getString();
  s.created_by = st.getColumn(5).getString();
  s.created_at = st.getColumn(6).getInt64();
  return s;
}

constexpr db::Table<Silence> kSilenceTable{"silences", kSilenceColumns, read_silence, "silence",
                                           "SILENCE_NOT_FOUND"};

}  // namespace

Result<void> AlertService::mark_muted(std::vector<Alert>& alerts) {
  auto now = m_clock.now_ms();
  std::vector<MaintenanceWindow> windows;
  std::vector<InhibitRule> inhibit_rules;
  std::set<std::string> down_nodes;
  std::vector<Alert> firing;  // id and labels: the possible sources of inhibition
  auto active = m_readers.with([&](SQLite::Database& db) -> Result<std::vector<Silence>> {
    std::vector<Silence> out;
    SQLite::Statement st(db,
                         fmt::format("SELECT {} FROM silences WHERE ends_at > ? AND starts_at <= ?",
                                     kSilenceColumns));
    st.bind(1, static_cast<std::int64_t>(now));
    st.bind(2, static_cast<std::int64_t>(now));
    while (st.executeStep()) out.push_back(read_silence(st));
    windows = load_windows(db);
    inhibit_rules = load_inhibit_rules(db);
    SQLite::Statement down(db, "SELECT name FROM nodes WHERE status = 'down'");
    while (down.executeStep()) down_nodes.insert(down.getColumn(0).getString());
    if (!inhibit_rules.empty() || !down_nodes.empty()) {
      // Only the alerts that can be sources: with no inhibit rule, the node-level alerts of the
      // nodes that are down (a node being down is common; parsing every firing alert is not
      // needed).
      SQLite::Statement f(
          db,
          std::string("SELECT id, labels FROM alerts WHERE state = 'firing'") +
              (inhibit_rules.empty() ? " AND json_extract(labels, '$.check') IS NULL AND "
                                       "json_extract(labels, '$.node') IN (SELECT name FROM nodes "
                                       "WHERE status = 'down')"
                                     : ""));
      while (f.executeStep()) {
        Alert& a = firing.emplace_back();
        a.id = f.getColumn(0).getInt64();
        a.state = AlertState::firing;
        for (const auto& [k, v] : nlohmann::json::parse(f.getColumn(1).getString()).get<Labels>())
          a.labels.push_back({k, v});
      }
    }
    return out;
  });
  if (!active.ok()) return std::move(active).error();
  std::erase_if(windows, [&](const MaintenanceWindow& w) { return !w.active(now); });
  Inhibition inhibition(inhibit_rules, firing, down_nodes);
  for (auto& a : alerts) {
    a.silenced = false;
    a.maintenance.clear();
    a.inhibited_by = 0;
    if (a.state == AlertState::resolved) continue;
    a.silenced = std::any_of(active->begin(), active->end(),
                             [&](const Silence& s) { return s.mutes(a.labels, now); });
    for (const auto& w : windows)
      if (w.covers(a.labels)) a.maintenance.push_back({w.id, w.name});
    a.inhibited_by = inhibition.source_of(a.labels);
  }
  return ok();
}

Result<Silence> AlertService::create_silence(Silence s, const Actor& actor) {
  s.created_by = actor.name;
  return m_log.commit<Silence>(actor, [&](events::Change& change) -> Result<Silence> {
    s.created_at = change.now();
    SQLite::Statement st(change.db(),
                         "INSERT INTO silences(matchers, starts_at, ends_at, comment, created_by, "
                         "created_at) VALUES (?,?,?,?,?,?)");
    st.bind(1, s.matchers_text);
    st.bind(2, static_cast<std::int64_t>(s.starts_at));
    st.bind(3, static_cast<std::int64_t>(s.ends_at));
    st.bind(4, s.comment);
    st.bind(5, s.created_by);
    st.bind(6, static_cast<std::int64_t>(s.created_at));
    st.exec();
    s.id = change.db().getLastInsertRowid();
    change.created(kSilences, s.id, to_json(s, change.now()), {{"matchers", s.matchers_text}});
    return s;
  });
}

Result<Silence> AlertService::silence(std::int64_t id) {
  return m_readers.with([&](SQLite::Database& db) { return kSilenceTable.get(db, id); });
}

Result<Page<Silence>> AlertService::silences(bool include_expired, const PageRequest& request) {
  auto now = m_clock.now_ms();
  const std::string where = include_expired ? "" : fmt::format("ends_at > {}", now);
  return m_readers.with([&](SQLite::Database& db) -> Result<Page<Silence>> {
    return kSilenceTable.page(db, request, "id DESC", where);
  });
}

Result<Silence> AlertService::expire_silence(std::int64_t id, const Actor& actor) {
  return m_log.commit<Silence>(actor, [&](events::Change& change) -> Result<Silence> {
    const TimeMs now = change.now();
    auto s = kSilenceTable.find(change.db(), id);
    if (!s) return kSilenceTable.not_found(id);
    if (s->ends_at <= now) return *s;  // already expired: nothing changes
    s->ends_at = now;
    if (s->starts_at > now) s->starts_at = now;
    SQLite::Statement st(change.db(),
                         "UPDATE silences SET starts_at = ?, ends_at = ? WHERE id = ?");
    st.bind(1, static_cast<std::int64_t>(s->starts_at));
    st.bind(2, static_cast<std::int64_t>(now));
    st.bind(3, id);
    st.exec();
    change.event(kSilences.topic, "silence.expired", std::to_string(id),
                 {{"silence", to_json(*s, now)}});
    change.audit("silence.expire", std::to_string(id));
    return *s;
  });
}

}  // namespace tt::alerts
