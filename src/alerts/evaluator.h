// alerts/evaluator.h — evaluates every enabled rule at its interval on its own thread: an
// instant query through the query engine at the rule's scheduled time (or the checks' states
// for check_state rules), RuleAlerts for the lifecycle, then one writer job per round for the
// transitions (alert rows, alert_transitions, events), published on the bus after the commit.
// Queries read SQLite and may take long, so they stay off the core loop (docs/architecture.md).
#pragma once

#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <thread>
#include <unordered_map>

#include "alerts/alert.h"
#include "bus/bus.h"
#include "db/writer.h"
#include "events/change.h"
#include "query/query.h"

namespace tt::alerts {

// A check as check_state rules see it: its sample labels (check, kind, node, its labels).
struct CheckStatus {
  std::int64_t id = 0;
  LabelSet labels;
  bool down = false;
};
using CheckSource = std::function<Result<std::vector<CheckStatus>>()>;

// The rule's result at time t: the expression's instant value (a scalar is one sample without
// labels), or one sample (value 1) per matching check that is down.
Result<query::Vector> rule_result(const Rule& rule, query::Engine& engine,
                                  const CheckSource& checks, TimeMs t);

// Rule `id` with interval `interval_ms` is evaluated at times phase + k * interval, the phase
// spreading rules over the interval and staying the same across restarts.
TimeMs first_slot_after(std::int64_t id, std::int64_t interval_ms, TimeMs now);

class Evaluator {
 public:
  Evaluator(db::Writer& writer, bus::Bus& bus, const Clock& clock, query::Storage& storage,
            CheckSource checks, query::EngineOptions engine = {});
  ~Evaluator();  // stop()s
  Evaluator(const Evaluator&) = delete;
  Evaluator& operator=(const Evaluator&) = delete;

  // Before start() or run_due(): the stored rules and the alerts that were active, which carry
  // on (active_at and all) as if there had been no restart.
  void load(std::vector<Rule> rules, std::vector<Alert> active);
  // Before start(): called inside the writer transaction that stores each transition, with the
  // transition's id, so that what it writes (the notification outbox) commits with it or not at
  // all.
  using TransitionHook =
      std::function<void(SQLite::Database&, const Transition&, std::int64_t transition_id)>;
  void on_transition(TransitionHook hook) { m_on_transition = std::move(hook); }
  // Starts the thread that calls run_due() whenever a rule is due.
  void start();
  // Finishes the round in progress and joins the thread. Idempotent.
  void stop();

  // Any thread: a created or changed rule (its active alerts carry over and the next round
  // decides), a disabled or deleted one (its active alerts resolve at the next round).
  void upsert(Rule r);
  void remove(std::int64_t id);

  // Evaluates every rule whose slot is at or before clock.now_ms(), each at its slot time, and
  // stores and publishes the transitions. Slots missed by more than an interval are skipped
  // (counted). Returns the number of evaluations. The thread's body; tests call it directly
  // with a ManualClock.
  std::size_t run_due();

  // Thread-safe: the latest value, annotations and evaluation time of an active alert.
  std::optional<Alert> live(std::int64_t alert_id) const;

 private:
  struct Entry {
    Rule rule;
    RuleAlerts alerts;
    TimeMs next_ms = 0;
  };
  void apply_changes(std::vector<Transition>& out);
  void add_entry(std::int64_t id, Entry e);
  void reschedule(std::int64_t id, Entry& e, TimeMs next_ms);
  Result<void> store(std::vector<Transition>& transitions);
  void run();

  events::Log m_log;
  const Clock& m_clock;
  query::Storage& m_storage;
  CheckSource m_checks;
  query::EngineOptions m_engine;
  TransitionHook m_on_transition;

  std::map<std::int64_t, Entry> m_entries;  // evaluating thread only
  // (next_ms, id) of every entry, soonest first: a round and the wait for the next one look at
  // the due rules only, not at all of them (rules' phases spread them over the interval, so the
  // thread wakes for a few rules at a time).
  std::set<std::pair<TimeMs, std::int64_t>> m_schedule;  // evaluating thread only

  mutable std::mutex m_mutex;  // guards what follows
  std::condition_variable m_cv;
  struct Change {
    std::int64_t id = 0;
    std::optional<Rule> rule;  // nullopt: removed
    TimeMs at = 0;             // when: a new rule's first slot is the first after it
  };
  std::vector<Change> m_changes;
  std::unordered_map<std::int64_t, Alert> m_live;
  bool m_stopping = false;
  std::thread m_thread;
};

}  // namespace tt::alerts
