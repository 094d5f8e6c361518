#include "sched/scheduler.h"

namespace tt::sched {

Scheduler::Scheduler(uv_loop_t* loop, Fire fire) : m_loop(loop), m_fire(std::move(fire)) {
  uv_timer_init(m_loop, &m_timer);
  m_timer.data = this;
  m_lateness = &metrics::histogram("telltale_scheduler_lateness_seconds",
                                   "How long after its scheduled time a job started.",
                                   metrics::latency_buckets());
  m_skipped =
      &metrics::counter("telltale_scheduler_skipped_total",
                        "Scheduled runs skipped because the loop was more than an interval late.");
}

Scheduler::~Scheduler() { close(); }

void Scheduler::close() {
  if (m_closed) return;
  m_closed = true;
  uv_timer_stop(&m_timer);
  uv_close(reinterpret_cast<uv_handle_t*>(&m_timer), nullptr);
}

std::int64_t Scheduler::first_slot(std::int64_t id, std::int64_t interval_ms, std::int64_t now_ms) {
  // Fibonacci hashing spreads consecutive ids evenly over the interval.
  std::uint64_t h = static_cast<std::uint64_t>(id) * 11400714819323198485ull;
  auto phase = static_cast<std::int64_t>(h % static_cast<std::uint64_t>(interval_ms));
  std::int64_t base = now_ms - (now_ms % interval_ms) + phase;
  return base >= now_ms ? base : base + interval_ms;
}

void Scheduler::upsert(std::int64_t id, std::int64_t interval_ms,
                       std::optional<std::int64_t> first_due_ms) {
  if (m_closed || interval_ms <= 0) return;
  std::int64_t now = static_cast<std::int64_t>(uv_now(m_loop));
  Job job{interval_ms, first_due_ms ? *first_due_ms : first_slot(id, interval_ms, now),
          m_next_generation++};
  m_jobs[id] = job;
  m_heap.push({job.due_ms, id, job.generation});
  arm();
}

void Scheduler::remove(std::int64_t id) { m_jobs.erase(id); }  // its heap entries become stale

void Scheduler::arm() {
  // Stale entries at the top would only wake the timer for nothing.
  while (!m_heap.empty()) {
    const auto& top = m_heap.top();
    auto it = m_jobs.find(top.id);
    if (it != m_jobs.end() && it->second.generation == top.generation) break;
    m_heap.pop();
  }
  if (m_heap.empty()) {
    uv_timer_stop(&m_timer);
    return;
  }
  std::int64_t now = static_cast<std::int64_t>(uv_now(m_loop));
  std::int64_t delay = m_heap.top().due_ms - now;
  uv_timer_start(&m_timer, on_timer, delay > 0 ? static_cast<std::uint64_t>(delay) : 0, 0);
}

void Scheduler::on_timer(uv_timer_t* t) { static_cast<Scheduler*>(t->data)->fire_due(); }

void Scheduler::fire_due() {
  std::int64_t now = static_cast<std::int64_t>(uv_now(m_loop));
  // Jobs fired here that become due again within this pass wait for the next timer tick.
  std::vector<Entry>& due = m_due;
  due.clear();
  while (!m_heap.empty() && m_heap.top().due_ms <= now) {
    due.push_back(m_heap.top());
    m_heap.pop();
  }
  for (const auto& e : due) {
    auto it = m_jobs.find(e.id);
    if (it == m_jobs.end() || it->second.generation != e.generation) continue;
    Job& job = it->second;
    std::int64_t late = now - e.due_ms;
    std::int64_t next = e.due_ms + job.interval_ms;
    if (next <= now) {
      std::int64_t missed = (now - e.due_ms) / job.interval_ms;
      m_skipped->inc(static_cast<double>(missed));
      next = e.due_ms + (missed + 1) * job.interval_ms;
    }
    job.due_ms = next;
    m_heap.push({next, e.id, job.generation});
    m_lateness->observe(static_cast<double>(late) / 1000.0);
    m_fire(e.id, e.due_ms, late);  // may upsert or remove jobs
    if (m_closed) return;
  }
  arm();
}

}  // namespace tt::sched
