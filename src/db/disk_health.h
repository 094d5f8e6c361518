// db/disk_health.h — whether the data directory's disk has room, as the writes find it. A write
// refused for lack of space (SQLITE_FULL, ENOSPC on the sample log) marks the disk full; a look at
// the free space (at most every few seconds while marked) that finds room clears the mark, so
// /readyz and /metrics follow the disk without a restart. A write that succeeds does not clear it
// by itself while the free space can be seen: small writes fit in space already allocated (the
// sample log's last page, WAL frames) on a full disk, and the mark would flap. Refusals are counted
// by reason (telltale_store_write_errors_total) and logged at most once a minute, with their
// number. The db layer and the sample log report here; app/ asks. Thread-safe.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>

#include "core/clock.h"

namespace tt::db {

enum class WriteFailure { disk_full, io };

class DiskHealth {
 public:
  // Free bytes for unprivileged writers on the disk being watched; nullopt when unknown.
  using FreeBytes = std::function<std::optional<std::uint64_t>()>;

  explicit DiskHealth(const Clock& clock);

  // Where to look for free space: statvfs() of `dir`. Until called, only writes clear the mark.
  // Less than kRoomBytes free now marks the disk full at once (a start on a full disk).
  void watch(const std::string& dir);
  // The same with another source of free space (tests).
  void watch(FreeBytes free_bytes);

  void failed(WriteFailure why);
  // A write that needed room (a commit that changed rows, an append to the sample log) succeeded:
  // the mark clears when there is no way to look at the free space, else a due look decides.
  void stored() {
    if (m_full.load(std::memory_order_relaxed)) stored_while_full();
  }
  // Whether the disk is full now: marked, and no look at the free space since says otherwise.
  bool full();

  // Free space at which a look clears the mark.
  static constexpr std::uint64_t kRoomBytes = 1u << 20;
  static constexpr std::int64_t kLookPeriodMs = 5'000;
  static constexpr std::int64_t kLogPeriodMs = 60'000;

 private:
  void stored_while_full();
  void clear(const char* why);

  const Clock& m_clock;
  std::atomic<bool> m_full{false};
  std::mutex m_mutex;
  FreeBytes m_free_bytes;
  std::int64_t m_last_look_ms = 0;
  std::optional<std::int64_t> m_last_log_ms;  // of the last "disk is full" line
  bool m_logged = false;  // a "disk is full" line since the mark was set: "room again" follows it
  std::uint64_t m_unlogged = 0;    // refusals since the last log line
  std::uint64_t m_while_full = 0;  // refusals since the disk was marked full
};

// The process's one, on the system clock, as metrics::registry() is.
DiskHealth& disk_health();

}  // namespace tt::db
