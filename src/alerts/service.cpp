#include "alerts/service.h"

#include <fmt/format.h>

#include <algorithm>

#include "alerts/builtin.h"
#include "alerts/inhibit_service.h"
#include "alerts/maintenance_service.h"
#include "core/json.h"
#include "db/row.h"
#include "db/table.h"

namespace tt::alerts {

namespace {

constexpr const char* kRuleColumns =
    "id, name, kind, expr, check_id, check_selector, for_ms, keep_firing_for_ms, severity, labels, "
    "annotations, channels, enabled, interval_ms, created_at, updated_at, escalations, "
    "flap_fires, flap_window_ms, coalesce(builtin, '')";

Rule read_rule(SQLite::Statement& st) {
  Rule r;
  std::string kind, severity;
  nlohmann::json escalations;
  int flap_fires = 0;
  std::int64_t flap_window_ms = 0;
  db::read_row(st, r.id, r.name, kind, r.expr, r.check_id, r.check_selector, r.for_ms,
               r.keep_firing_for_ms, severity, db::json_text(r.labels),
               db::json_text(r.annotations), db::json_text(r.channels), r.enabled, r.interval_ms,
               r.created_at, r.updated_at, db::json_text(escalations), flap_fires, flap_window_ms,
               r.builtin);
  r.kind = kind == "check_state" ? RuleKind::check_state : RuleKind::expr;
  r.severity = parse_severity(severity).value_or(Severity::warning);
  r.escalations = escalations_from_stored(escalations);
  if (flap_fires > 0) r.flap_damping = FlapDamping{flap_fires, flap_window_ms};
  return r;
}

constexpr const char* kRuleFields =
    "name, kind, expr, check_id, check_selector, for_ms, keep_firing_for_ms, severity, labels, "
    "annotations, channels, enabled, interval_ms, updated_at, escalations, flap_fires, "
    "flap_window_ms";

constexpr db::Table<Rule> kRuleTable{"alert_rules",        kRuleColumns,           read_rule,
                                     "alert rule",         "ALERT_RULE_NOT_FOUND", kRuleFields,
                                     "created_at, builtin"};

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
  st.bind(":updated_at", r.updated_at);
}

Result<void> check_unique(SQLite::Database& db, const Rule& r) {
  if (kRuleTable.taken(db, r.id, "name = ?", r.name))
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

// Inserts a new rule (`r.created_at` set) with its event and audit row; sets `r.id`.
void insert_rule(events::Change& change, Rule& r) {
  r.id = kRuleTable.insert(change.db(), [&](SQLite::Statement& st) {
    bind_rule(st, r);
    st.bind(":created_at", r.created_at);
    if (r.builtin.empty())
      st.bind(":builtin");
    else
      st.bind(":builtin", r.builtin);
  });
  change.created(kRules, r.id, to_json(r), {{"name", r.name}});
}

constexpr const char* kAlertColumns =
    "id, rule_id, rule_name, severity, labels, annotations, state, value, active_at, fired_at, "
    "resolved_at, keep_firing_since, last_eval_at, acked_by, acked_at, ack_comment, flapping";

Alert read_alert(SQLite::Statement& st) {
  Alert a;
  std::string severity, state;
  Labels labels;
  std::optional<double> value;
  std::optional<std::string> acked_by;
  TimeMs acked_at = 0;
  std::string ack_comment;
  db::read_row(st, a.id, a.rule_id, a.rule_name, severity, db::json_text(labels),
               db::json_text(a.annotations), state, value, a.active_at, a.fired_at, a.resolved_at,
               a.keep_firing_since, a.last_eval_at, acked_by, acked_at, ack_comment, a.flapping);
  a.severity = parse_severity(severity).value_or(Severity::warning);
  for (const auto& [k, v] : labels) a.labels.push_back({k, v});
  a.state = parse_alert_state(state).value_or(AlertState::resolved);
  a.value = value.value_or(std::nan(""));
  if (acked_by) a.ack = Ack{*acked_by, acked_at, ack_comment};
  return a;
}

constexpr db::Table<Alert> kAlertTable{"alerts", kAlertColumns, read_alert, "alert",
                                       "ALERT_NOT_FOUND"};

}  // namespace

Result<std::vector<Rule>> AlertService::load_rules() {
  return m_readers.with([&](SQLite::Database& db) -> Result<std::vector<Rule>> {
    auto out = kRuleTable.all(db, "id");
    for (auto& r : out) TT_TRY(compile(r));
    return out;
  });
}

Result<std::vector<Alert>> AlertService::load_active() {
  return m_readers.with([&](SQLite::Database& db) -> Result<std::vector<Alert>> {
    return kAlertTable.all(db, "id", db::Filter().add("state != 'resolved'"));
  });
}

Result<Rule> AlertService::create(const RuleInput& in, const Actor& actor) {
  Rule r;
  TT_TRY(apply_input(r, in));
  return m_log.commit<Rule>(actor, [&](events::Change& change) -> Result<Rule> {
    r.created_at = r.updated_at = change.now();
    TT_TRY(check_unique(change.db(), r));
    TT_TRY(check_channels(change.db(), r));
    insert_rule(change, r);
    change.after_commit([this, r] { m_evaluator.upsert(r); });
    return r;
  });
}

Result<std::vector<std::string>> AlertService::seed_builtin() {
  std::vector<Rule> wanted;
  for (const auto& b : builtin_rules()) {
    Rule r;
    // The table is ours: a body that does not decode is a bug the unit tests catch.
    auto in = TT_TRY(decode_rule_input(nlohmann::json::parse(b.body), InputMode::create));
    TT_TRY(apply_input(r, in));
    r.builtin = std::string(b.key);
    wanted.push_back(std::move(r));
  }
  return m_log.commit<std::vector<std::string>>(
      kSystemActor, [&](events::Change& change) -> Result<std::vector<std::string>> {
        std::vector<std::string> created;
        SQLite::Statement given(change.db(), "SELECT 1 FROM settings WHERE key = ?");
        SQLite::Statement remember(change.db(), "INSERT INTO settings(key, value) VALUES (?, ?)");
        for (auto& r : wanted) {
          const std::string key = "alerts.builtin." + r.builtin;
          given.reset();
          given.bind(1, key);
          if (given.executeStep()) continue;
          remember.reset();
          remember.bind(1, key);
          remember.bind(2, std::to_string(change.now()));
          remember.exec();
          // A rule of the same name is the user's own: it stands for the built-in one.
          if (kRuleTable.taken(change.db(), 0, "name = ?", r.name)) continue;
          r.created_at = r.updated_at = change.now();
          insert_rule(change, r);
          created.push_back(r.name);
        }
        return created;
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
    kRuleTable.update(change.db(), id, [&](SQLite::Statement& st) { bind_rule(st, r); });
    change.updated(kRules, id, to_json(r), diff, {{"changed", diff.changed}});
    change.after_commit([this, r] { m_evaluator.upsert(r); });
    return r;
  });
}

Result<void> AlertService::remove(std::int64_t id, const Actor& actor) {
  return m_log.commit<void>(actor, [&](events::Change& change) -> Result<void> {
    const Rule found = TT_TRY(kRuleTable.remove(change.db(), id));
    change.deleted(kRules, id, to_json(found), {{"name", found.name}});
    // Its active alerts resolve at the evaluator's next round.
    change.after_commit([this, id] { m_evaluator.remove(id); });
    return ok();
  });
}

Result<Page<Rule>> AlertService::list(const RuleQuery& q) {
  return m_readers.with([&](SQLite::Database& db) -> Result<Page<Rule>> {
    db::Filter filter;
    if (q.severity) filter.add("severity = ?", to_string(*q.severity));
    if (q.enabled) filter.add("enabled = ?", *q.enabled ? 1 : 0);
    if (!q.text.empty())
      filter.add("(instr(lower(name), lower(?)) > 0 OR instr(lower(expr), lower(?)) > 0)", q.text,
                 q.text);
    return kRuleTable.page(db, q.page, "name, id", filter);
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
    db::Filter filter;
    if (q.state) filter.add("state = ?", to_string(*q.state));
    if (q.severity) filter.add("severity = ?", to_string(*q.severity));
    if (q.rule_id) filter.add("rule_id = ?", *q.rule_id);
    filter.labels("labels", q.labels);
    return kAlertTable.page(db, q.page, "active_at DESC, id DESC", filter);
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
  db::read_row(st, s.id, s.matchers_text, s.starts_at, s.ends_at, s.comment, s.created_by,
               s.created_at);
  if (auto m = query::parse_selector(s.matchers_text)) s.matchers = std::move(m.value());
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
    auto out =
        kSilenceTable.all(db, "id", db::Filter().add("ends_at > ? AND starts_at <= ?", now, now));
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
  db::Filter filter;
  if (!include_expired) filter.add("ends_at > ?", now);
  return m_readers.with([&](SQLite::Database& db) -> Result<Page<Silence>> {
    return kSilenceTable.page(db, request, "id DESC", filter);
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
