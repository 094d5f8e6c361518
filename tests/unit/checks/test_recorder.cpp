#include <doctest/doctest.h>

#include <chrono>
#include <thread>

#include "../db/fixture.h"
#include "checks/check.h"
#include "checks/recorder.h"

using namespace tt;

namespace {

struct Fixture : test::DbFixture {
  Fixture() {
    exec(
        "INSERT INTO checks(id, name, kind, interval_ms, timeout_ms, created_at, updated_at) "
        "VALUES (1, 'a', 'push', 1000, 1000, 0, 0), (2, 'b', 'push', 1000, 1000, 0, 0)");
  }
  checks::Recorder recorder{*writer, bus, clock,
                            [](std::span<const RefSample>) -> Result<void> { return {}; }};

  void run(std::int64_t id, const std::string& message, const char* changed_to = nullptr) {
    auto r = std::make_shared<checks::CheckResult>();
    r->check_id = id;
    r->at = clock.now_ms();
    r->up = true;
    r->message = message;
    if (changed_to) {
      r->state_changed = true;
      r->from_state = "pending";
      r->state = changed_to;
    }
    r->last = std::make_shared<const checks::LastRun>(checks::last_run(*r));
    recorder.take(r);
  }
  std::string message(std::int64_t id) {
    return readers
        ->with([&](SQLite::Database& db) -> Result<std::string> {
          SQLite::Statement st(db, "SELECT last_result FROM checks WHERE id = ?");
          st.bind(1, id);
          st.executeStep();
          if (st.getColumn(0).isNull()) return std::string();
          return nlohmann::json::parse(st.getColumn(0).getString())["message"].get<std::string>();
        })
        .value();
  }
  // Check 2 changes state, which is written at once, and with it whatever came before.
  int marks = 0;
  void mark() {
    const std::string m = "mark " + std::to_string(++marks);
    run(2, m, marks % 2 ? "down" : "up");
    for (int i = 0; i < 400 && message(2) != m; ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    REQUIRE(message(2) == m);
  }
};

}  // namespace

TEST_CASE(
    "recorder: last results are written at a state change, then each period, and at the stop") {
  Fixture f;
  f.run(1, "first", "up");
  f.mark();
  CHECK(f.message(1) == "first");
  // Runs that change nothing wait for the period.
  f.run(1, "second");
  f.mark();
  CHECK(f.message(1) == "first");
  f.clock.advance_ms(checks::Recorder::kLastResultEveryMs);
  f.run(1, "third");
  f.mark();
  CHECK(f.message(1) == "third");
  // A check that stops running has its last result written a period later all the same.
  f.run(1, "fourth");
  f.mark();
  CHECK(f.message(1) == "third");
  f.clock.advance_ms(checks::Recorder::kLastResultEveryMs);
  f.mark();
  CHECK(f.message(1) == "fourth");
  // Then forgotten: its next run is written at once, the one after waits, and the stop writes it.
  f.run(1, "fifth");
  f.run(1, "sixth");
  f.mark();
  CHECK(f.message(1) == "fifth");
  f.recorder.stop();
  CHECK(f.message(1) == "sixth");
}
