#include "db/disk_health.h"

#include <sys/statvfs.h>

#include "core/log.h"
#include "core/metrics.h"

namespace tt::db {

namespace {

metrics::Counter& write_errors(WriteFailure why) {
  return metrics::registry()
      .family("telltale_store_write_errors_total",
              "Writes to the database or the sample log refused, by reason.",
              metrics::Type::counter)
      .counter({{"reason", why == WriteFailure::disk_full ? "disk_full" : "io"}});
}

metrics::Gauge& disk_full_gauge() {
  static auto& g =
      metrics::gauge("telltale_disk_full",
                     "1 while writes are refused because the data directory's disk is full.");
  return g;
}

}  // namespace

DiskHealth::DiskHealth(const Clock& clock) : m_clock(clock) {
  write_errors(WriteFailure::disk_full);
  write_errors(WriteFailure::io);
  disk_full_gauge();
}

void DiskHealth::watch(const std::string& dir) {
  watch([dir]() -> std::optional<std::uint64_t> {
    struct statvfs st {};
    if (::statvfs(dir.c_str(), &st) != 0) return std::nullopt;
    return static_cast<std::uint64_t>(st.f_bavail) * st.f_frsize;
  });
}

void DiskHealth::watch(FreeBytes free_bytes) {
  std::lock_guard lock(m_mutex);
  m_free_bytes = std::move(free_bytes);
  // A start on a full disk is read-only in effect from the first request, not from the first
  // refused write.
  auto free = m_free_bytes();
  if (!free || *free >= kRoomBytes || m_full.exchange(true)) return;
  disk_full_gauge().set(1);
  m_while_full = 0;
  m_last_look_ms = m_clock.mono_ms();
  m_last_log_ms = m_last_look_ms;
  m_logged = true;
  log::error(
      "storage: the disk is full ({} bytes free): changes are refused with 503 DISK_FULL until "
      "there is "
      "room; reads and logins go on",
      *free);
}

void DiskHealth::failed(WriteFailure why) {
  write_errors(why).inc();
  if (why != WriteFailure::disk_full) return;
  auto now = m_clock.mono_ms();
  std::lock_guard lock(m_mutex);
  if (!m_full.exchange(true)) {
    disk_full_gauge().set(1);
    m_while_full = 0;
  }
  m_last_look_ms = now;  // the disk just said no: no need to look before the next period
  ++m_while_full;
  ++m_unlogged;
  if (m_last_log_ms && now - *m_last_log_ms < kLogPeriodMs) return;
  log::error(
      "storage: the disk is full: changes are refused with 503 DISK_FULL until there is room "
      "({} refused since the last report); reads and logins go on",
      m_unlogged);
  m_logged = true;
  m_last_log_ms = now;
  m_unlogged = 0;
}

bool DiskHealth::full() {
  if (!m_full.load(std::memory_order_relaxed)) return false;
  std::optional<std::uint64_t> free;
  {
    std::lock_guard lock(m_mutex);
    auto now = m_clock.mono_ms();
    if (!m_free_bytes || now - m_last_look_ms < kLookPeriodMs) return true;
    m_last_look_ms = now;
    free = m_free_bytes();
  }
  if (!free || *free < kRoomBytes) return true;
  clear("there is free space");
  return false;
}

void DiskHealth::stored_while_full() {
  bool watched = false;
  {
    std::lock_guard lock(m_mutex);
    watched = static_cast<bool>(m_free_bytes);
  }
  if (watched)
    full();
  else
    clear("a write succeeded");
}

void DiskHealth::clear(const char* why) {
  std::lock_guard lock(m_mutex);
  if (!m_full.exchange(false)) return;
  disk_full_gauge().set(0);
  if (m_logged)
    log::info(
        "storage: room on the disk again ({}): changes are accepted ({} were refused while it was "
        "full)",
        why, m_while_full);
  m_logged = false;
  m_unlogged = 0;
}

DiskHealth& disk_health() {
  static DiskHealth health(SystemClock::instance());
  return health;
}

}  // namespace tt::db
