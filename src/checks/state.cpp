#include "checks/state.h"

#include <algorithm>

namespace tt::checks {

double StateTracker::flap_ratio() const {
  if (m_count < kWindow) return 0;  // too little history to call it flapping
  // Changes between consecutive outcomes; the newest pair weighs 1.25, the oldest 0.75.
  double weighted = 0, total = 0;
  for (int i = 0; i + 1 < kWindow; ++i) {
    double w = 1.25 - 0.5 * i / (kWindow - 2);
    bool a = (m_history >> i) & 1u, b = (m_history >> (i + 1)) & 1u;
    if (a != b) weighted += w;
    total += w;
  }
  return weighted / total;
}

StateTracker::Change StateTracker::observe(bool up, int retries) {
  Change c;
  c.from = m_state;
  if (m_state == CheckState::paused) {
    c.to = m_state;
    return c;
  }
  m_history = ((m_history << 1) | (up ? 1u : 0u)) & ((1u << kWindow) - 1);
  m_count = std::min(m_count + 1, kWindow);
  m_failures = up ? 0 : m_failures + 1;
  if (up)
    m_underlying = CheckState::up;
  else if (m_failures >= std::max(1, retries))
    m_underlying = CheckState::down;

  double ratio = flap_ratio();
  if (!m_flapping && ratio >= kFlapStart) {
    m_flapping = c.flapping_started = true;
  } else if (m_flapping && ratio < kFlapStop) {
    m_flapping = false;
    c.flapping_stopped = true;
  }
  if (!m_flapping && m_underlying != m_state) {
    m_state = m_underlying;
    c.state_changed = true;
  }
  c.to = m_state;
  return c;
}

StateTracker::Change StateTracker::set_paused(bool paused) {
  Change c;
  c.from = m_state;
  CheckState next =
      paused ? CheckState::paused : (m_state == CheckState::paused ? CheckState::pending : m_state);
  if (next != m_state) {
    *this = StateTracker(next, false);
    c.state_changed = true;
    c.flapping_stopped = false;
  }
  c.to = m_state;
  return c;
}

}  // namespace tt::checks
