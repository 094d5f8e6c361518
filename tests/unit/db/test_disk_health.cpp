#include <doctest/doctest.h>

#include "db/disk_health.h"

using namespace tt;

TEST_CASE("disk health: a refused write marks the disk full until a look finds room") {
  ManualClock clock;
  db::DiskHealth health(clock);
  std::uint64_t free_bytes = 0;
  int looks = 0;
  CHECK_FALSE(health.full());
  health.watch([&]() -> std::optional<std::uint64_t> {
    ++looks;
    return free_bytes;
  });
  // Watching an empty disk marks it at once (a start on a full disk); a write that fits in
  // space already allocated does not clear it.
  CHECK(health.full());
  health.stored();
  CHECK(health.full());
  free_bytes = 10u << 20;
  clock.advance_ms(db::DiskHealth::kLookPeriodMs);
  CHECK_FALSE(health.full());

  health.failed(db::WriteFailure::io);  // not about space
  CHECK_FALSE(health.full());
  health.failed(db::WriteFailure::disk_full);
  int before = looks;
  CHECK(health.full());
  clock.advance_ms(db::DiskHealth::kLookPeriodMs - 1);
  CHECK(health.full());  // no look yet: the refusal is recent
  CHECK(looks == before);
  clock.advance_ms(1);
  CHECK_FALSE(health.full());  // room again, nothing written meanwhile
  CHECK(looks == before + 1);

  free_bytes = db::DiskHealth::kRoomBytes - 1;
  health.failed(db::WriteFailure::disk_full);
  clock.advance_ms(db::DiskHealth::kLookPeriodMs);
  health.stored();
  CHECK(health.full());  // looked: still too little
}

TEST_CASE("disk health: without a way to look, a write that stores clears the mark") {
  ManualClock clock;
  db::DiskHealth health(clock);
  health.failed(db::WriteFailure::disk_full);
  CHECK(health.full());
  clock.advance_ms(db::DiskHealth::kLookPeriodMs);
  CHECK(health.full());
  health.stored();
  CHECK_FALSE(health.full());
}
