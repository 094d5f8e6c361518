// db/writer.h — the only thread that writes to SQLite. Callers on any thread submit jobs; the
// writer runs every job queued at that moment inside one transaction (group commit), each in its
// own savepoint so one failing job does not undo the others, then commits once and completes
// the jobs' futures. One commit per batch is what keeps ingest fast and SD cards alive. When a
// job's failure made SQLite undo the whole transaction (it may on SQLITE_FULL or an I/O error),
// the jobs run in it so far fail with that job's error and the rest get a new transaction.
#pragma once

#include <SQLiteCpp/SQLiteCpp.h>

#include <condition_variable>
#include <deque>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <thread>

#include "core/result.h"
#include "db/database.h"

namespace tt::db {

struct WriterOptions {
  std::size_t max_batch = 1024;   // jobs per transaction at most
  std::size_t max_queue = 65536;  // submit fails with WRITER_BUSY beyond this
  int lazy_flush_ms = 1000;       // how long lazy jobs may wait for company
};

enum class Urgency {
  now,   // a person is waiting (an API mutation): commit as soon as the writer is free
  lazy,  // bulk data (samples, results): may wait up to lazy_flush_ms to share a commit
};

class Writer {
 public:
  // Takes ownership of the read-write connection; starts the thread.
  explicit Writer(std::unique_ptr<SQLite::Database> db, WriterOptions options = {});
  ~Writer();  // stop()s
  Writer(const Writer&) = delete;
  Writer& operator=(const Writer&) = delete;

  // Queues fn to run on the writer thread inside the batch transaction. The future completes
  // after the batch has committed (the change is durable in WAL), or with the job's error.
  template <typename T>
  std::future<Result<T>> submit(std::function<Result<T>(SQLite::Database&)> fn,
                                Urgency urgency = Urgency::now);

  // submit() and wait: for API handlers, which answer only once the change is committed.
  template <typename T>
  Result<T> run(std::function<Result<T>(SQLite::Database&)> fn) {
    return submit<T>(std::move(fn)).get();
  }

  // Finishes every queued job, commits and joins the thread. Later submits fail with
  // WRITER_STOPPED. Idempotent.
  void stop();

  std::size_t queue_depth() const;

 private:
  struct Job {
    // Runs the job; returns its error when it failed (its savepoint is then rolled back).
    std::function<const Error*(SQLite::Database&)> run;
    // Completes the future: committed=true after a successful commit.
    std::function<void(bool committed, const Error* commit_error)> finish;
    Urgency urgency;
    std::int64_t queued_at_ms;
  };
  bool enqueue(Job job);
  void loop();
  void run_batch(std::deque<Job>& batch);

  std::unique_ptr<SQLite::Database> m_db;
  WriterOptions m_options;
  mutable std::mutex m_mutex;
  std::condition_variable m_cv;
  std::deque<Job> m_queue;
  bool m_stopping = false;
  std::thread m_thread;
};

template <typename T>
std::future<Result<T>> Writer::submit(std::function<Result<T>(SQLite::Database&)> fn,
                                      Urgency urgency) {
  auto promise = std::make_shared<std::promise<Result<T>>>();
  auto future = promise->get_future();
  auto outcome = std::make_shared<std::optional<Result<T>>>();
  Job job;
  job.urgency = urgency;
  job.run = [fn = std::move(fn), outcome](SQLite::Database& db) {
    outcome->emplace(guarded([&] { return fn(db); }));
    return outcome->value().ok() ? nullptr : &outcome->value().error();
  };
  job.finish = [promise, outcome](bool committed, const Error* commit_error) {
    if (!committed && commit_error)
      promise->set_value(*commit_error);
    else
      promise->set_value(std::move(outcome->value()));
  };
  if (!enqueue(std::move(job))) {
    promise->set_value(Error::make(ErrorKind::unavailable, "WRITER_STOPPED",
                                   "the server is shutting down or overloaded; try again"));
  }
  return future;
}

}  // namespace tt::db
