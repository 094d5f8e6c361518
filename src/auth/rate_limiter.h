// auth/rate_limiter.h — counts failures per key (a remote address, a user name) in a sliding
// window and blocks a key once it has too many. In memory only, with a bounded number of keys
// (the least recently failed key is forgotten first). Time comes from the injected Clock's
// monotonic milliseconds. Thread-safe.
#pragma once

#include <cstdint>
#include <list>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/clock.h"

namespace tt::auth {

struct RateLimiterOptions {
  int max_failures = 5;  // failures within the window that block a key
  std::int64_t window_ms = 15 * 60 * 1000;
  std::size_t max_keys = 10'000;  // memory bound
};

class RateLimiter {
 public:
  explicit RateLimiter(const Clock& clock, RateLimiterOptions options = {});
  RateLimiter(const RateLimiter&) = delete;
  RateLimiter& operator=(const RateLimiter&) = delete;

  // Milliseconds until `key` may try again; 0 when it is not blocked.
  std::int64_t blocked_for_ms(const std::string& key);
  // Failures of `key` within the window (at most max_failures).
  int failures(const std::string& key);
  void record_failure(const std::string& key);
  void reset(const std::string& key);
  std::size_t size() const;

 private:
  struct Entry {
    std::vector<std::int64_t> failures;  // mono ms, oldest first, at most max_failures
    std::list<std::string>::iterator lru;
  };
  void prune(Entry& e, std::int64_t now) const;
  // The key's failures within the window, forgetting it when none are; null then. Under m_mutex.
  const std::vector<std::int64_t>* current(const std::string& key, std::int64_t now);

  const Clock& m_clock;
  RateLimiterOptions m_options;
  mutable std::mutex m_mutex;
  std::unordered_map<std::string, Entry> m_entries;
  std::list<std::string> m_lru;  // most recently failed first
};

}  // namespace tt::auth
