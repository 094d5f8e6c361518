#include <doctest/doctest.h>

#include <map>
#include <set>
#include <vector>

#include "sched/scheduler.h"

using tt::sched::Scheduler;

TEST_CASE("scheduler: first slots are spread over the interval and stable") {
  std::set<std::int64_t> phases;
  for (std::int64_t id = 1; id <= 1000; ++id) {
    auto slot = Scheduler::first_slot(id, 10'000, 1'000'000);
    CHECK(slot >= 1'000'000);
    CHECK(slot < 1'010'000);
    CHECK(slot == Scheduler::first_slot(id, 10'000, 1'000'000));
    phases.insert(slot / 100);  // 100 buckets of 100 ms
  }
  CHECK(phases.size() == 100);  // every tenth of a second of the interval has some
}

TEST_CASE("scheduler: runs at fixed slots without drift, reschedules and removes live") {
  uv_loop_t loop;
  uv_loop_init(&loop);
  std::map<std::int64_t, std::vector<std::int64_t>> due;
  Scheduler* self = nullptr;
  Scheduler s(&loop, [&](std::int64_t id, std::int64_t due_ms, std::int64_t) {
    due[id].push_back(due_ms);
    if (id == 1 && due[1].size() == 3) self->upsert(1, 30);  // faster from now on
    if (id == 2 && due[2].size() == 2) self->remove(2);
    if (due[1].size() >= 8) self->close();
  });
  self = &s;
  s.upsert(1, 20);
  s.upsert(2, 20);
  // A job that blocks the loop longer than an interval must not make others burst.
  s.upsert(3, 15, static_cast<std::int64_t>(uv_now(&loop)) + 5);
  uv_run(&loop, UV_RUN_DEFAULT);
  CHECK(due[1].size() == 8);
  for (std::size_t i = 1; i < 3; ++i) CHECK(due[1][i] - due[1][i - 1] == 20);
  for (std::size_t i = 4; i < due[1].size(); ++i) CHECK(due[1][i] - due[1][i - 1] == 30);
  CHECK(due[2].size() == 2);
  for (std::size_t i = 1; i < due[3].size(); ++i) CHECK((due[3][i] - due[3][0]) % 15 == 0);
  uv_loop_close(&loop);
}
