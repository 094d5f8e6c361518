#include "http/rate_limit.h"

#include <algorithm>
#include <cmath>

namespace tt::http {

bool RateLimiter::allow(const std::string& key, int& retry_after_s) {
  if (m_rate <= 0) return true;
  auto now = m_clock.mono_ms();
  std::lock_guard lock(m_mutex);
  if (m_buckets.size() >= m_max_keys && !m_buckets.count(key)) {
    // Forget buckets that have refilled completely: they carry no state worth keeping.
    std::erase_if(m_buckets, [&](const auto& kv) {
      return kv.second.tokens + (now - kv.second.at_ms) * m_rate / 1000.0 >= m_burst;
    });
    if (m_buckets.size() >= m_max_keys) m_buckets.clear();
  }
  auto [it, fresh] = m_buckets.try_emplace(key, Bucket{m_burst, now});
  auto& b = it->second;
  b.tokens = std::min(m_burst, b.tokens + (now - b.at_ms) * m_rate / 1000.0);
  b.at_ms = now;
  if (b.tokens >= 1) {
    b.tokens -= 1;
    return true;
  }
  retry_after_s = std::max(1, static_cast<int>(std::ceil((1 - b.tokens) / m_rate)));
  return false;
}

}  // namespace tt::http
