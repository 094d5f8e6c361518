// checks/recorder.h — makes check results durable, off the loop: a thread takes the results the
// runner published on the bus and, about once a second, appends their samples to the store and
// writes in one transaction what changed: state transitions (with their events and the nodes'
// status), stretches of identical outcomes, and now and then each check's last result. State
// changes commit at once; the rest rides the writer's lazy commits. Events are published after
// their commit, as everywhere.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <span>
#include <thread>
#include <unordered_map>

#include "bus/bus.h"
#include "checks/history.h"
#include "checks/result.h"
#include "core/clock.h"
#include "core/series.h"
#include "db/writer.h"
#include "events/change.h"

namespace tt::checks {

class Recorder {
 public:
  using AppendSamples = std::function<Result<void>(std::span<const RefSample>)>;

  Recorder(db::Writer& writer, bus::Bus& bus, const Clock& clock, AppendSamples append);
  ~Recorder();  // stop()s
  Recorder(const Recorder&) = delete;
  Recorder& operator=(const Recorder&) = delete;

  // Any thread (the bus subscriber on the loop). Never blocks; beyond a bound results are
  // dropped and counted, which only happens when the disk has stopped taking writes.
  void take(std::shared_ptr<const CheckResult> r);
  // Writes everything taken so far and joins the thread. Idempotent.
  void stop();
  // Any thread: every check's open stretch as last recorded (about a second behind the runs),
  // fresher than its row in check_outcomes, which is rewritten every few minutes.
  std::vector<Stretch> open_stretches() const;

  static constexpr std::int64_t kStretchCheckpointMs = 300'000;  // open stretches rewritten
  // A check's last_result is written at a state change, at the stop, and else at most this
  // often: a kill -9 loses at most that much of it. Once a minute, 1,000 checks' rows took
  // about 2 B a sample of the SD card's writes (WAL and checkpoint).
  static constexpr std::int64_t kLastResultEveryMs = 900'000;
  static constexpr std::int64_t kLastSeenEveryMs = 60'000;  // a node's last_seen, at most
  static constexpr std::int64_t kOutcomeRetentionMs = 90LL * 86'400'000;

 private:
  struct Open {
    Stretch s;
    TimeMs written_ms = 0;  // wall clock of the last write
  };
  void run();
  void flush(std::vector<std::shared_ptr<const CheckResult>> batch);

  events::Log m_log;
  AppendSamples m_append;

  std::mutex m_mutex;
  std::condition_variable m_cv;
  std::vector<std::shared_ptr<const CheckResult>> m_queue;
  bool m_stopping = false;
  std::thread m_thread;

  // Written by the writer job (while this thread waits for it), read by open_stretches().
  mutable std::mutex m_open_mutex;
  std::unordered_map<std::int64_t, Open> m_open;
  // Recorder thread only.
  struct LastResult {
    TimeMs written_ms = 0;
    std::shared_ptr<const LastRun> unwritten;  // newer than the row
  };
  std::unordered_map<std::int64_t, LastResult> m_last_results;
  std::unordered_map<std::int64_t, TimeMs> m_last_seen_written;  // by node id
  TimeMs m_last_results_swept = 0;
  TimeMs m_last_retention = 0;
};

}  // namespace tt::checks
