// backup/schedule.h — serve's scheduled backups (--backup-every, --backup-keep): a thread of its
// own writes DIR/telltale-YYYYMMDD-HHMMSS.backup every period (the first one period after the
// start) and then deletes the oldest of them beyond `keep`; the backups taken before migrations
// (before-schema-*) are never deleted. A backup reads the database through a connection of its
// own and copies the log's segments, so ingestion goes on meanwhile.
//
// Metrics: telltale_backups_total{outcome="written|failed"},
// telltale_backup_last_success_timestamp_seconds, telltale_backup_last_bytes.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>

namespace tt::backup {

struct ScheduleOptions {
  std::string data_dir;
  std::string dir;  // where the backups go (created when missing)
  std::chrono::milliseconds every{0};
  int keep = 7;
};

class Schedule {
 public:
  explicit Schedule(ScheduleOptions options);
  ~Schedule();  // stops, letting a backup under way finish
  Schedule(const Schedule&) = delete;
  Schedule& operator=(const Schedule&) = delete;

  // Writes one backup now and prunes; false when it failed (logged).
  bool run_once();

 private:
  void loop();

  const ScheduleOptions m_options;
  std::mutex m_mutex;
  std::condition_variable m_cv;
  bool m_stopping = false;
  std::thread m_thread;
};

}  // namespace tt::backup
