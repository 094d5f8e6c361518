#include "db/writer.h"

#include <sqlite3.h>

#include <iterator>

#include "core/clock.h"
#include "core/log.h"
#include "core/metrics.h"
#include "core/worker.h"
#include "db/disk_health.h"

namespace tt::db {

namespace {
metrics::Histogram& commit_latency() {
  static auto& h =
      metrics::histogram("telltale_db_commit_seconds", "Time to run and commit one writer batch.",
                         metrics::latency_buckets());
  return h;
}
metrics::Counter& committed_jobs() {
  static auto& c =
      metrics::counter("telltale_db_writer_jobs_total", "Jobs the writer thread has run.");
  return c;
}
}  // namespace

Writer::Writer(std::unique_ptr<SQLite::Database> db, WriterOptions options)
    : m_db(std::move(db)), m_options(options) {
  commit_latency();
  committed_jobs();
  m_thread = std::thread([this] { loop(); });
}

Writer::~Writer() { stop(); }

bool Writer::enqueue(Job job) {
  job.queued_at_ms = SystemClock::instance().mono_ms();
  {
    std::lock_guard lock(m_mutex);
    if (m_stopping || m_queue.size() >= m_options.max_queue) return false;
    m_queue.push_back(std::move(job));
  }
  m_cv.notify_one();
  return true;
}

std::size_t Writer::queue_depth() const {
  std::lock_guard lock(m_mutex);
  return m_queue.size();
}

void Writer::stop() { stop_worker(m_mutex, m_cv, m_stopping, m_thread); }

void Writer::loop() {
  std::unique_lock lock(m_mutex);
  for (;;) {
    m_cv.wait(lock, [&] { return m_stopping || !m_queue.empty(); });
    if (m_queue.empty() && m_stopping) break;
    // Lazy jobs wait for company until the oldest has waited lazy_flush_ms.
    bool all_lazy = true;
    for (const auto& j : m_queue) all_lazy = all_lazy && j.urgency == Urgency::lazy;
    if (all_lazy && !m_stopping && m_queue.size() < m_options.max_batch) {
      auto waited = SystemClock::instance().mono_ms() - m_queue.front().queued_at_ms;
      if (waited < m_options.lazy_flush_ms) {
        m_cv.wait_for(lock, std::chrono::milliseconds(m_options.lazy_flush_ms - waited));
        continue;
      }
    }
    std::deque<Job> batch;
    while (!m_queue.empty() && batch.size() < m_options.max_batch) {
      batch.push_back(std::move(m_queue.front()));
      m_queue.pop_front();
    }
    lock.unlock();
    run_batch(batch);
    lock.lock();
  }
}

void Writer::run_batch(std::deque<Job>& batch) {
  auto start = SystemClock::instance().mono_ms();
  std::optional<Error> commit_error;
  const auto changes_before = sqlite3_total_changes64(m_db->getHandle());
  std::size_t ran = batch.size();  // the jobs this transaction is about
  try {
    SQLite::Transaction tx(*m_db, SQLite::TransactionBehavior::IMMEDIATE);
    for (std::size_t i = 0; i < batch.size(); ++i) {
      m_db->exec("SAVEPOINT job");
      const Error* failed = batch[i].run(*m_db);
      if (!failed) {
        m_db->exec("RELEASE job");
      } else if (sqlite3_get_autocommit(m_db->getHandle())) {
        // SQLite rolled the whole transaction back: the jobs before this one are undone too,
        // and the cause (DISK_FULL, say) is what each job's caller must hear. The jobs after it
        // have not run: they get a transaction of their own.
        commit_error = *failed;
        ran = i + 1;
        break;
      } else {
        m_db->exec("ROLLBACK TO job");
        m_db->exec("RELEASE job");
      }
    }
    if (!commit_error) tx.commit();
  } catch (const std::exception& e) {
    commit_error = error_from_exception(e);
  }
  if (commit_error && commit_error->code != "DISK_FULL") disk_health().failed(WriteFailure::io);
  // A commit that wrote rows found room (one that changed nothing proves nothing).
  if (!commit_error && sqlite3_total_changes64(m_db->getHandle()) != changes_before)
    disk_health().stored();
  for (std::size_t i = 0; i < ran; ++i) {
    bool committed = !commit_error;
    batch[i].finish(committed, commit_error ? &*commit_error : nullptr);
  }
  committed_jobs().inc(static_cast<double>(ran));
  commit_latency().observe(static_cast<double>(SystemClock::instance().mono_ms() - start) / 1000.0);
  if (ran < batch.size()) {
    std::deque<Job> rest(std::make_move_iterator(batch.begin() + static_cast<std::ptrdiff_t>(ran)),
                         std::make_move_iterator(batch.end()));
    run_batch(rest);
  }
}

}  // namespace tt::db
