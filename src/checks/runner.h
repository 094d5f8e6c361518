// checks/runner.h — runs checks on the core loop: the scheduler says when, the kind's probe does
// the I/O, the conditions and the state tracker say what it means, and each result leaves on the
// runner's results channel for the recorder. Definitions arrive from the
// API threads through upsert()/remove(), which post to the loop.
#pragma once

#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <unordered_map>
#include <vector>

#include "bus/bus.h"
#include "checks/check.h"
#include "checks/conditions.h"
#include "checks/state.h"
#include "core/clock.h"
#include "core/metrics.h"
#include "probes/descriptor.h"
#include "probes/wire.h"
#include "sched/scheduler.h"

namespace tt::checks {

// A heartbeat sent to a push check's URL.
struct Heartbeat {
  bool up = true;
  std::string msg;
  std::optional<double> value;
  std::optional<double> ping_ms;
};

class Runner {
 public:
  // `kinds` finds a check's kind: the built-in table, or test kinds in unit tests.
  using KindLookup = std::function<const probes::KindDescriptor*(std::string_view)>;
  Runner(bus::CoreLoop& loop, const Clock& clock, KindLookup kinds = probes::find_kind);
  ~Runner();
  Runner(const Runner&) = delete;
  Runner& operator=(const Runner&) = delete;

  // Sends a run of a check that runs on an agent (its runs_on node's) to that agent; `done` gets
  // the agent's observation, or why there is none, on the loop thread. Called on the loop thread.
  using RemoteRun =
      std::function<void(std::int64_t node_id, probes::RunRequest run, probes::Done done)>;
  // Before start(). Without it, the runs of such checks fail (error "no_agent").
  void set_remote(RemoteRun remote) { m_remote = std::move(remote); }

  // Any thread. Schedules the stored checks; call once before the loop serves requests.
  void start(std::vector<Check> checks);
  // Any thread: a new or changed definition takes effect at once (reschedules live). With
  // FirstRun::now (a person created or changed it) it also runs at once, besides its slots, so
  // its state is known without waiting an interval; at start the stored checks keep their slots.
  enum class FirstRun { at_slot, now };
  void upsert(Check c, FirstRun first = FirstRun::at_slot);
  void remove(std::int64_t id);
  // Any thread: runs the check now and hands its result (the API's last_result JSON) to `done`
  // on the loop thread. The run counts like a scheduled one.
  void run_now(std::int64_t id, std::function<void(nlohmann::json)> done);
  void heartbeat(std::int64_t id, Heartbeat hb);
  // Any thread: runs `c` (validated, not stored: its id may be 0) once through its kind's probe
  // and hands `done`, on the loop thread, what a run would conclude with its metrics
  // (test_result_json), or null when the server is stopping. Nothing is recorded, no state
  // changes. Counts against the kind's concurrency limit as run_now does.
  void test(Check c, std::function<void(nlohmann::json)> done);
  // Loop thread: cancels runs in flight and closes every handle (from CoreLoop::stop's on_stop).
  void close();
  // Every result, in the order concluded: subscribe before start().
  bus::Channel<std::shared_ptr<const CheckResult>>& results() { return m_results; }

  // Thread-safe: the live state of a check, for API answers between the recorder's writes.
  struct Live {
    CheckState state = CheckState::pending;
    std::optional<TimeMs> since;
    bool flapping = false;
    std::shared_ptr<const LastRun> last;     // null until a run since the start
    std::shared_ptr<const LabelSet> labels;  // its samples' labels (sample_labels), sorted
  };
  std::optional<Live> live(std::int64_t id) const;
  // Every check's, by id: what check_state alert rules read each round, with no SQLite.
  std::vector<std::pair<std::int64_t, Live>> live_all() const;

 private:
  struct Entry {
    Check check;
    const probes::KindDescriptor* kind = nullptr;
    probes::Request request;  // target, options with durations in ms, timeout: shared by runs
    std::shared_ptr<const LabelSet>
        base_labels;  // check, kind, node and its labels, sorted: on every sample
    // The series this check's runs append to, built on first use: a run then shares them
    // instead of building label sets (see series()). Their labels tell which metric each is.
    std::vector<PackedLabels> series;
    std::vector<Condition> conditions;
    StateTracker tracker;
    std::uint64_t generation = 0;  // bumped by upsert: results of older definitions are dropped
    TimeMs last_slot = 0;          // the scheduled time of the last run (see on_due)
    bool running = false;
    bool queued = false;
  };
  struct KindSlot {
    const probes::KindDescriptor* kind = nullptr;  // set with the probe
    std::unique_ptr<probes::Probe> probe;
    std::size_t in_flight = 0;
    std::deque<std::pair<std::int64_t, TimeMs>> waiting;  // check id, scheduled wall time
    metrics::Counter* runs_up = nullptr;  // looked up once: the registry takes a lock
    metrics::Counter* runs_down = nullptr;
  };

  void upsert_on_loop(Check c, FirstRun first);
  void remove_on_loop(std::int64_t id);
  void on_due(std::int64_t id, std::int64_t late_ms);
  void start_run(Entry& e, TimeMs at, std::function<void(nlohmann::json)> also);
  void finish(std::int64_t id, std::uint64_t generation, TimeMs at, probes::Observation o,
              std::function<void(nlohmann::json)> also);
  void conclude(Entry& e, TimeMs at, probes::Observation o,
                std::function<void(nlohmann::json)> also);
  void start_remote_run(Entry& e, TimeMs at, std::function<void(nlohmann::json)> also);
  void start_waiting(KindSlot& s);
  // The probe of the kind, made on first use (loop thread).
  KindSlot& probe_slot(const probes::KindDescriptor& kind, const std::string& name);
  void schedule(Entry& e);
  void schedule_push_deadline(Entry& e, std::int64_t from_loop_ms);
  static std::int64_t push_window_ms(const Entry& e);
  std::string node_status(std::int64_t node_id) const;
  // For a node that lost (or gained) a check without a state change: its status again.
  void publish_node_status(std::int64_t node_id);
  // Also keeps `last` as the check's last result, when given.
  void set_live(const Entry& e, std::optional<TimeMs> changed_at,
                std::shared_ptr<const LastRun> last = nullptr);
  KindSlot& slot(const std::string& kind);
  // The one copy of options equal to `resolved` that some check holds, or a new one.
  probes::Options shared_options(nlohmann::json resolved);
  // The series of metric `name` with `extra` labels for this check; `hint` is where it was
  // found last time.
  static PackedLabels series(Entry& e, std::size_t hint, const probes::Metric& m);
  static constexpr std::size_t kMaxSeriesPerCheck = 4096;

  bus::CoreLoop& m_loop;
  bus::Channel<std::shared_ptr<const CheckResult>> m_results;
  const Clock& m_clock;
  KindLookup m_kinds;
  RemoteRun m_remote;
  std::unique_ptr<sched::Scheduler> m_scheduler;
  std::unordered_map<std::int64_t, Entry> m_entries;
  std::map<std::string, KindSlot> m_slots;
  std::unordered_multimap<std::size_t, std::weak_ptr<const nlohmann::json>> m_options;  // by hash
  std::size_t m_options_live = 0;  // entries after the last sweep
  std::uint64_t m_next_generation = 1;
  bool m_closed = false;

  mutable std::mutex m_live_mutex;
  std::unordered_map<std::int64_t, Live> m_live;
};

}  // namespace tt::checks
