#include "backup/schedule.h"

#include <algorithm>
#include <ctime>
#include <filesystem>
#include <vector>

#include "backup/backup.h"
#include "core/log.h"
#include "core/metrics.h"

namespace tt::backup {

namespace {

namespace fs = std::filesystem;

constexpr std::string_view kName = "telltale";

// The scheduled backups in `dir`, oldest first (their names sort by time).
std::vector<fs::path> scheduled(const std::string& dir) {
  std::vector<fs::path> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    const auto name = e.path().filename().string();
    if (name.starts_with(std::string(kName) + "-") && name.ends_with(".backup"))
      out.push_back(e.path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

Schedule::Schedule(ScheduleOptions options) : m_options(std::move(options)) {
  if (m_options.every.count() > 0) m_thread = std::thread([this] { loop(); });
}

Schedule::~Schedule() {
  {
    std::lock_guard lock(m_mutex);
    m_stopping = true;
  }
  m_cv.notify_all();
  if (m_thread.joinable()) m_thread.join();
}

bool Schedule::run_once() {
  static auto& outcomes = metrics::registry().family(
      "telltale_backups_total", "Scheduled backups of the data directory, by outcome",
      metrics::Type::counter);
  static auto& written = outcomes.counter({{"outcome", "written"}});
  static auto& failed = outcomes.counter({{"outcome", "failed"}});
  static auto& last_ok = metrics::gauge("telltale_backup_last_success_timestamp_seconds",
                                        "When the last scheduled backup was written");
  static auto& last_bytes =
      metrics::gauge("telltale_backup_last_bytes", "Size of the last scheduled backup");
  std::error_code ec;
  fs::create_directories(m_options.dir, ec);
  const std::string out = timestamped_path(m_options.dir, kName);
  auto size = write(m_options.data_dir, out);
  if (!size.ok()) {
    failed.inc();
    log::error("backup: {} not written: {}", out, size.error().message);
    return false;
  }
  written.inc();
  last_ok.set(static_cast<double>(std::time(nullptr)));
  last_bytes.set(static_cast<double>(size.value()));
  auto all = scheduled(m_options.dir);
  const auto keep = static_cast<std::size_t>(std::max(1, m_options.keep));
  for (std::size_t i = 0; i + keep < all.size(); ++i) fs::remove(all[i], ec);
  log::info("backup: wrote {} ({} bytes)", out, size.value());
  return true;
}

void Schedule::loop() {
  std::unique_lock lock(m_mutex);
  while (!m_cv.wait_for(lock, m_options.every, [this] { return m_stopping; })) {
    lock.unlock();
    run_once();
    lock.lock();
  }
}

}  // namespace tt::backup
