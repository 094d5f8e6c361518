#include "auth/rate_limiter.h"

#include <algorithm>

namespace tt::auth {

RateLimiter::RateLimiter(const Clock& clock, RateLimiterOptions options)
    : m_clock(clock), m_options(options) {
  m_options.max_failures = std::max(1, m_options.max_failures);
  m_options.max_keys = std::max<std::size_t>(1, m_options.max_keys);
}

void RateLimiter::prune(Entry& e, std::int64_t now) const {
  auto expired = [&](std::int64_t t) { return now - t >= m_options.window_ms; };
  e.failures.erase(std::remove_if(e.failures.begin(), e.failures.end(), expired), e.failures.end());
}

const std::vector<std::int64_t>* RateLimiter::current(const std::string& key, std::int64_t now) {
  auto it = m_entries.find(key);
  if (it == m_entries.end()) return nullptr;
  prune(it->second, now);
  if (it->second.failures.empty()) {
    m_lru.erase(it->second.lru);
    m_entries.erase(it);
    return nullptr;
  }
  return &it->second.failures;
}

std::int64_t RateLimiter::blocked_for_ms(const std::string& key) {
  std::lock_guard lock(m_mutex);
  auto now = m_clock.mono_ms();
  const auto* failures = current(key, now);
  if (!failures || static_cast<int>(failures->size()) < m_options.max_failures) return 0;
  // Blocked until the oldest failure that still counts leaves the window.
  return std::max<std::int64_t>(1, failures->front() + m_options.window_ms - now);
}

int RateLimiter::failures(const std::string& key) {
  std::lock_guard lock(m_mutex);
  const auto* failures = current(key, m_clock.mono_ms());
  return failures ? static_cast<int>(failures->size()) : 0;
}

void RateLimiter::record_failure(const std::string& key) {
  std::lock_guard lock(m_mutex);
  auto now = m_clock.mono_ms();
  auto it = m_entries.find(key);
  if (it == m_entries.end()) {
    if (m_entries.size() >= m_options.max_keys) {
      m_entries.erase(m_lru.back());
      m_lru.pop_back();
    }
    m_lru.push_front(key);
    it = m_entries.emplace(key, Entry{{}, m_lru.begin()}).first;
  } else {
    m_lru.splice(m_lru.begin(), m_lru, it->second.lru);
  }
  auto& e = it->second;
  prune(e, now);
  e.failures.push_back(now);
  if (static_cast<int>(e.failures.size()) > m_options.max_failures) {
    e.failures.erase(e.failures.begin());
  }
}

void RateLimiter::reset(const std::string& key) {
  std::lock_guard lock(m_mutex);
  auto it = m_entries.find(key);
  if (it == m_entries.end()) return;
  m_lru.erase(it->second.lru);
  m_entries.erase(it);
}

std::size_t RateLimiter::size() const {
  std::lock_guard lock(m_mutex);
  return m_entries.size();
}

}  // namespace tt::auth
