// sched/ — the scheduler on the core loop: thousands of periodic jobs on one libuv timer. Jobs
// start spread over their interval (a phase from the job's id, so a restart keeps the spread and
// ten thousand checks added at once do not fire together); each next run is due one interval
// after the previous *scheduled* time, never after completion, so runs do not drift. A loop that
// stalled for longer than an interval skips the missed slots rather than bursting to catch up.
#pragma once

#include <uv.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <queue>
#include <unordered_map>
#include <vector>

#include "core/metrics.h"

namespace tt::sched {

class Scheduler {
 public:
  // Called on the loop when a job is due; `due_ms` is its scheduled time on the loop's clock
  // (uv_now), `late_ms` how much later it actually fired.
  using Fire = std::function<void(std::int64_t id, std::int64_t due_ms, std::int64_t late_ms)>;

  Scheduler(uv_loop_t* loop, Fire fire);
  ~Scheduler();
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

  // Loop thread only. Adds a job or changes its interval; its slots stay at phase(id) + k *
  // interval. `first_due_ms` (loop clock) overrides the first slot, e.g. for push deadlines.
  void upsert(std::int64_t id, std::int64_t interval_ms,
              std::optional<std::int64_t> first_due_ms = std::nullopt);
  void remove(std::int64_t id);
  bool contains(std::int64_t id) const { return m_jobs.count(id) != 0; }
  std::size_t size() const { return m_jobs.size(); }
  // Stops the timer and closes its handle; the loop can then finish.
  void close();

  // The first slot of a job at or after `now`: phase spread by a hash of the id.
  static std::int64_t first_slot(std::int64_t id, std::int64_t interval_ms, std::int64_t now_ms);

 private:
  struct Job {
    std::int64_t interval_ms;
    std::int64_t due_ms;
    std::uint64_t generation;  // entries of older generations in the heap are stale
  };
  struct Entry {
    std::int64_t due_ms;
    std::int64_t id;
    std::uint64_t generation;
    bool operator>(const Entry& o) const {
      return due_ms > o.due_ms || (due_ms == o.due_ms && id > o.id);
    }
  };
  static void on_timer(uv_timer_t* t);
  void fire_due();
  void arm();

  uv_loop_t* m_loop;
  uv_timer_t m_timer{};
  Fire m_fire;
  bool m_closed = false;
  std::uint64_t m_next_generation = 1;
  std::unordered_map<std::int64_t, Job> m_jobs;
  std::priority_queue<Entry, std::vector<Entry>, std::greater<Entry>> m_heap;
  std::vector<Entry> m_due;  // fire_due's list, kept with its capacity between ticks
  metrics::Histogram* m_lateness;
  metrics::Counter* m_skipped;
};

}  // namespace tt::sched
