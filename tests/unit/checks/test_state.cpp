#include <doctest/doctest.h>

#include <string>

#include "checks/state.h"

using namespace tt::checks;

namespace {

// Feeds outcomes written as a string ("uudd.."), returns the states after each.
std::string feed(StateTracker& t, const std::string& outcomes, int retries) {
  std::string out;
  for (char c : outcomes) {
    t.observe(c == 'u', retries);
    out += std::string(to_string(t.state())).substr(0, 1);
  }
  return out;
}

}  // namespace

TEST_CASE("state: retries failures in a row before down, one success back to up") {
  struct Case {
    int retries;
    std::string outcomes, states;
  };
  for (const auto& c : std::vector<Case>{
           {1, "uddu", "uddu"},
           {0, "dd", "dd"},              // 0 counts as 1: the first failure
           {3, "ddd", "ppd"},            // pending until the third failure
           {3, "uddudddu", "uuuuuudu"},  // failures must be in a row
           {2, "udduddd", "uuduudd"},
       }) {
    StateTracker t;
    CHECK_MESSAGE(feed(t, c.outcomes, c.retries) == c.states, c.outcomes, " retries=", c.retries);
  }
}

TEST_CASE(
    "state: a check that bounces is flagged flapping and its state frozen until it calms down") {
  StateTracker t;
  feed(t, "uuuuuuuuuuuuuuuuuuuuu", 1);  // a full window of calm
  CHECK(!t.flapping());
  int changes = 0;
  bool started = false;
  for (int i = 0; i < 20; ++i) {
    auto c = t.observe(i % 2 == 1, 1);
    changes += c.state_changed;
    started = started || c.flapping_started;
  }
  CHECK(started);
  CHECK(t.flapping());
  // Without damping there would have been 20 changes; the flag cuts them off early.
  CHECK(changes < 10);
  bool stopped = false;
  for (int i = 0; i < 21 && !stopped; ++i) stopped = t.observe(false, 1).flapping_stopped;
  CHECK(stopped);
  CHECK(t.state() == CheckState::down);  // settled on the underlying state
}

TEST_CASE("state: pausing and resuming") {
  StateTracker t(CheckState::up);
  auto c = t.set_paused(true);
  CHECK(c.state_changed);
  CHECK(t.state() == CheckState::paused);
  CHECK(!t.observe(false, 1).state_changed);  // results of a paused check change nothing
  c = t.set_paused(false);
  CHECK(c.to == CheckState::pending);
  CHECK(!t.set_paused(false).state_changed);
}
