#include "alerts/evaluator.h"

#include <cmath>

#include "core/log.h"
#include "core/metrics.h"
#include "core/series_json.h"
#include "core/worker.h"
#include "db/audit.h"

namespace tt::alerts {

namespace {

metrics::Counter& evaluations_counter(bool failed) {
  return metrics::registry()
      .family("telltale_alert_rule_evaluations_total", "Alert rule evaluations by outcome.",
              metrics::Type::counter)
      .counter({{"outcome", failed ? "failed" : "ok"}});
}

metrics::Counter& skipped_counter() {
  static auto& c = metrics::counter(
      "telltale_alert_rule_evaluations_skipped_total",
      "Evaluation slots skipped because the evaluator was more than an interval late.");
  return c;
}

void bind_optional(SQLite::Statement& st, const char* name, const std::optional<TimeMs>& t) {
  if (t)
    st.bind(name, static_cast<std::int64_t>(*t));
  else
    st.bind(name);
}

}  // namespace

Result<query::Vector> rule_result(const Rule& rule, query::Engine& engine,
                                  const CheckSource& checks, TimeMs t) {
  if (rule.kind == RuleKind::check_state) {
    auto all = checks();
    if (!all.ok()) return std::move(all).error();
    query::Vector out;
    for (auto& c : all.value()) {
      bool chosen = rule.check_id ? c.id == *rule.check_id : true;
      if (chosen && !rule.check_matchers.empty())
        chosen = query::matches_all(rule.check_matchers, c.labels);
      if (chosen && c.down) out.push_back({std::move(c.labels), 1.0});
    }
    return out;
  }
  auto v = engine.eval_instant(*rule.parsed, t);
  if (!v.ok()) return std::move(v).error();
  if (auto* s = std::get_if<query::Scalar>(&v.value())) return query::Vector{{{}, s->value}};
  if (auto* vec = std::get_if<query::Vector>(&v.value())) return std::move(*vec);
  return Error::make(ErrorKind::validation, "BAD_QUERY",
                     "the expression is not an instant vector or a scalar");
}

TimeMs first_slot_after(std::int64_t id, std::int64_t interval_ms, TimeMs now) {
  auto phase = static_cast<TimeMs>((static_cast<std::uint64_t>(id) * 2654435761ULL) %
                                   static_cast<std::uint64_t>(interval_ms));
  TimeMs k = (now - phase) / interval_ms;  // now > 0: floor
  TimeMs slot = phase + k * interval_ms;
  return slot > now ? slot : slot + interval_ms;
}

Evaluator::Evaluator(db::Writer& writer, bus::Bus& bus, const Clock& clock, query::Storage& storage,
                     CheckSource checks, query::EngineOptions engine)
    : m_log(writer, &bus, clock),
      m_clock(clock),
      m_storage(storage),
      m_checks(std::move(checks)),
      m_engine(engine) {}

Evaluator::~Evaluator() { stop(); }

void Evaluator::load(std::vector<Rule> rules, std::vector<Alert> active) {
  TimeMs now = m_clock.now_ms();
  std::map<std::int64_t, std::vector<Alert>> by_rule;
  for (auto& a : active) by_rule[a.rule_id].push_back(std::move(a));
  std::vector<Transition> resolved;
  for (auto& r : rules) {
    auto id = r.id;
    Entry e{std::move(r), {}, 0};
    e.next_ms = first_slot_after(id, e.rule.interval_ms, now);
    if (auto it = by_rule.find(id); it != by_rule.end()) {
      e.alerts.restore(std::move(it->second));
      by_rule.erase(it);
    }
    if (!e.rule.enabled) {
      for (auto& t : e.alerts.resolve_all(now)) resolved.push_back(std::move(t));
      continue;
    }
    {
      std::lock_guard lock(m_mutex);
      for (const auto& [ls, a] : e.alerts.active()) m_live[a.id] = a;
    }
    add_entry(id, std::move(e));
  }
  // Active alerts of rules that are disabled or gone resolve now.
  for (auto& [id, list] : by_rule) {
    RuleAlerts orphaned;
    orphaned.restore(std::move(list));
    for (auto& t : orphaned.resolve_all(now)) resolved.push_back(std::move(t));
  }
  if (!resolved.empty())
    if (auto r = store(resolved); !r.ok())
      log::error("alerts: cannot resolve the alerts of disabled rules: {}", r.error().message);
}

void Evaluator::start() {
  m_thread = std::thread([this] { run(); });
}

void Evaluator::stop() { stop_worker(m_mutex, m_cv, m_stopping, m_thread); }

void Evaluator::upsert(Rule r) {
  {
    std::lock_guard lock(m_mutex);
    auto id = r.id;
    m_changes.push_back({id, std::move(r), m_clock.now_ms()});
  }
  m_cv.notify_all();
}

void Evaluator::remove(std::int64_t id) {
  {
    std::lock_guard lock(m_mutex);
    m_changes.push_back({id, std::nullopt, m_clock.now_ms()});
  }
  m_cv.notify_all();
}

void Evaluator::add_entry(std::int64_t id, Entry e) {
  m_schedule.emplace(e.next_ms, id);
  m_entries.emplace(id, std::move(e));
}

void Evaluator::reschedule(std::int64_t id, Entry& e, TimeMs next_ms) {
  m_schedule.erase({e.next_ms, id});
  e.next_ms = next_ms;
  m_schedule.emplace(next_ms, id);
}

void Evaluator::apply_changes(std::vector<Transition>& out) {
  std::vector<Change> changes;
  {
    std::lock_guard lock(m_mutex);
    changes.swap(m_changes);
  }
  for (auto& [id, rule, at] : changes) {
    auto it = m_entries.find(id);
    if (!rule || !rule->enabled) {
      if (it == m_entries.end()) continue;
      for (auto& t : it->second.alerts.resolve_all(at)) out.push_back(std::move(t));
      m_schedule.erase({it->second.next_ms, id});
      m_entries.erase(it);
      continue;
    }
    if (it == m_entries.end()) {
      Entry e{std::move(*rule), {}, 0};
      e.next_ms = first_slot_after(id, e.rule.interval_ms, at);
      add_entry(id, std::move(e));
    } else {
      bool new_interval = it->second.rule.interval_ms != rule->interval_ms;
      it->second.rule = std::move(*rule);
      if (new_interval)
        reschedule(id, it->second, first_slot_after(id, it->second.rule.interval_ms, at));
    }
  }
}

std::size_t Evaluator::run_due() {
  TimeMs now = m_clock.now_ms();
  std::vector<Transition> transitions;
  apply_changes(transitions);
  query::Engine engine(m_storage, m_engine);
  // The checks are read once per round, however many check_state rules are due.
  std::optional<Result<std::vector<CheckStatus>>> round_checks;
  CheckSource checks = [&]() {
    if (!round_checks) round_checks.emplace(m_checks());
    return *round_checks;
  };
  std::vector<std::int64_t> evaluated;
  while (!m_schedule.empty() && m_schedule.begin()->first <= now) {
    auto [at, id] = *m_schedule.begin();
    auto& e = m_entries.at(id);
    auto result = rule_result(e.rule, engine, checks, at);
    auto changed = result.ok() ? e.alerts.evaluate(e.rule, result.value(), at)
                               : Result<std::vector<Transition>>(std::move(result).error());
    evaluations_counter(!changed.ok()).inc();
    if (!changed.ok())
      log::warn("alert rule '{}': {}", e.rule.name, changed.error().message);
    else
      for (auto& t : changed.value()) transitions.push_back(std::move(t));
    evaluated.push_back(id);
    TimeMs next = at + e.rule.interval_ms;
    if (next <= now) {  // late by more than an interval: skip to the next slot, never burst
      auto slot = first_slot_after(id, e.rule.interval_ms, now);
      skipped_counter().inc(static_cast<double>((slot - next) / e.rule.interval_ms));
      next = slot;
    }
    reschedule(id, e, next);
  }
  if (!transitions.empty())
    if (auto r = store(transitions); !r.ok())
      log::error("alerts: transitions not stored: {}", r.error().message);
  std::lock_guard lock(m_mutex);
  for (const auto& t : transitions)
    if (t.alert.state == AlertState::resolved) m_live.erase(t.alert.id);
  for (auto id : evaluated) {  // only evaluated rules have news; a removed one has no entry
    auto it = m_entries.find(id);
    if (it == m_entries.end()) continue;
    for (const auto& [ls, a] : it->second.alerts.active()) {
      if (!a.id) continue;
      m_live[a.id] = a;
    }
  }
  return evaluated.size();
}

std::optional<Alert> Evaluator::live(std::int64_t alert_id) const {
  std::lock_guard lock(m_mutex);
  auto it = m_live.find(alert_id);
  if (it == m_live.end()) return std::nullopt;
  return it->second;
}

Result<void> Evaluator::store(std::vector<Transition>& transitions) {
  auto r = m_log.commit<void>(kSystemActor, [&](events::Change& change) -> Result<void> {
    SQLite::Database& db = change.db();
    SQLite::Statement insert(
        db,
        "INSERT INTO alerts(rule_id, rule_name, severity, labels, annotations, state, value, "
        "active_at, "
        "fired_at, resolved_at, keep_firing_since, last_eval_at, flapping) VALUES (:rule_id, "
        ":rule_name, "
        ":severity, :labels, :annotations, :state, :value, :active_at, :fired_at, :resolved_at, "
        ":keep_firing_since, :last_eval_at, :flapping)");
    SQLite::Statement update(
        db,
        "UPDATE alerts SET annotations = :annotations, state = :state, value = :value, fired_at = "
        ":fired_at, resolved_at = :resolved_at, keep_firing_since = :keep_firing_since, "
        "last_eval_at = "
        ":last_eval_at, flapping = :flapping WHERE id = :id RETURNING acked_by, acked_at, "
        "ack_comment");
    SQLite::Statement transition(db,
                                 "INSERT INTO alert_transitions(alert_id, at, from_state, "
                                 "to_state, value) VALUES (?,?,?,?,?)");
    for (auto& t : transitions) {
      Alert& a = t.alert;
      auto& st = a.id ? update : insert;
      st.reset();
      st.clearBindings();
      if (!a.id) {
        st.bind(":rule_id", a.rule_id);
        st.bind(":rule_name", a.rule_name);
        st.bind(":severity", std::string(to_string(a.severity)));
        st.bind(":labels", labels_json(a.labels, true).dump());
        st.bind(":active_at", static_cast<std::int64_t>(a.active_at));
      } else {
        st.bind(":id", a.id);
      }
      st.bind(":annotations", nlohmann::json(a.annotations).dump());
      st.bind(":state", std::string(to_string(a.state)));
      if (std::isnan(a.value))
        st.bind(":value");  // SQLite stores NaN as NULL anyway
      else
        st.bind(":value", a.value);
      bind_optional(st, ":fired_at", a.fired_at);
      bind_optional(st, ":resolved_at", a.resolved_at);
      bind_optional(st, ":keep_firing_since", a.keep_firing_since);
      st.bind(":last_eval_at", static_cast<std::int64_t>(a.last_eval_at));
      st.bind(":flapping", a.flapping ? 1 : 0);
      if (!a.id) {
        st.exec();
        a.id = db.getLastInsertRowid();
      } else if (st.executeStep() && !st.getColumn(0).isNull()) {
        a.ack = Ack{st.getColumn(0).getString(), st.getColumn(1).getInt64(),
                    st.getColumn(2).getString()};
        while (st.executeStep()) {
        }
      }
      transition.reset();
      transition.bind(1, a.id);
      transition.bind(2, static_cast<std::int64_t>(t.at));
      if (t.from)
        transition.bind(3, std::string(to_string(*t.from)));
      else
        transition.bind(3);
      transition.bind(4, std::string(to_string(a.state)));
      if (std::isnan(a.value))
        transition.bind(5);
      else
        transition.bind(5, a.value);
      transition.exec();
      auto transition_id = db.getLastInsertRowid();
      if (m_on_transition) m_on_transition(db, t, transition_id);
      const std::string action = "alert." + std::string(to_string(a.state));
      change.event({0,
                    t.at,
                    "alerts",
                    action,
                    std::to_string(a.id),
                    kSystemActor.name,
                    {{"alert", to_json(a)},
                     {"transition_id", transition_id},
                     {"from", t.from ? nlohmann::json(to_string(*t.from)) : nlohmann::json()}}});
      // The audit trail tells every change, the system's as well as people's.
      db::append_audit(db, t.at, kSystemActor, action, std::to_string(a.id),
                       nlohmann::json{{"rule", a.rule_name},
                                      {"labels", labels_json(a.labels, true)},
                                      {"transition_id", transition_id}}
                           .dump());
    }
    return ok();
  });
  TT_TRY(std::move(r));
  for (const auto& t : transitions)
    if (t.alert.state != AlertState::resolved)
      if (auto it = m_entries.find(t.alert.rule_id); it != m_entries.end())
        it->second.alerts.set_id(t.alert.labels, t.alert.id);
  return ok();
}

void Evaluator::run() {
  std::unique_lock lock(m_mutex);
  while (!m_stopping) {
    lock.unlock();
    run_due();
    TimeMs next = m_clock.now_ms() + 1000;
    if (!m_schedule.empty()) next = std::min(next, m_schedule.begin()->first);
    lock.lock();
    if (m_stopping) break;
    // Woken early by a rule change; at most a second between looks at the clock.
    m_cv.wait_for(lock, std::chrono::milliseconds(std::max<TimeMs>(next - m_clock.now_ms(), 1)),
                  [this] { return m_stopping || !m_changes.empty(); });
  }
}

}  // namespace tt::alerts
