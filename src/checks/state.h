// checks/state.h — from a stream of run outcomes to a check's state: `retries` failures in a row
// before down, one success back to up, and flap damping. Pure: the runner feeds it on the loop.
#pragma once

#include <cstdint>

#include "checks/check.h"

namespace tt::checks {

// Flapping is measured as Nagios does: the share of state changes among the last 21 outcomes,
// weighted so recent changes count more; it starts above 50 % and stops below 25 % (hysteresis,
// so the flag itself does not flap). While a check flaps its state is frozen: people get one
// "flapping" event instead of a message per bounce, and the state settles when it calms down.
class StateTracker {
 public:
  explicit StateTracker(CheckState state = CheckState::pending, bool flapping = false)
      : m_state(state), m_underlying(state), m_flapping(flapping) {}

  struct Change {
    bool state_changed = false;
    CheckState from = CheckState::pending, to = CheckState::pending;
    bool flapping_started = false;
    bool flapping_stopped = false;
    bool any() const { return state_changed || flapping_started || flapping_stopped; }
  };

  Change observe(bool up, int retries);
  // A disabled check is paused; enabling it starts over as pending.
  Change set_paused(bool paused);

  CheckState state() const { return m_state; }
  bool flapping() const { return m_flapping; }
  int failures_in_row() const { return m_failures; }
  // Weighted share of changes among the recent outcomes, 0..1.
  double flap_ratio() const;

  static constexpr int kWindow = 21;
  static constexpr double kFlapStart = 0.5;
  static constexpr double kFlapStop = 0.25;

 private:
  CheckState m_state;
  CheckState m_underlying;  // the state without damping
  bool m_flapping;
  int m_failures = 0;
  std::uint32_t m_history = 0;  // bit i = outcome i runs ago (1 = up)
  int m_count = 0;              // outcomes in m_history, up to kWindow
};

}  // namespace tt::checks
