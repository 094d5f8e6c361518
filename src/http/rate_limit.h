// http/rate_limit.h — token buckets per client key with bounded memory. Thread-safe.
#pragma once

#include <cstdint>
#include <mutex>
#include <string>
#include <unordered_map>

#include "core/clock.h"

namespace tt::http {

class RateLimiter {
 public:
  // rate_per_s tokens refill each second up to burst; rate 0 disables limiting.
  RateLimiter(double rate_per_s, double burst, const Clock& clock = SystemClock::instance(),
              std::size_t max_keys = 10000)
      : m_rate(rate_per_s), m_burst(burst), m_clock(clock), m_max_keys(max_keys) {}

  // Takes one token for key. When none is left returns false and sets retry_after_s.
  bool allow(const std::string& key, int& retry_after_s);

 private:
  struct Bucket {
    double tokens;
    std::int64_t at_ms;
  };
  double m_rate, m_burst;
  const Clock& m_clock;
  std::size_t m_max_keys;
  std::mutex m_mutex;
  std::unordered_map<std::string, Bucket> m_buckets;
};

}  // namespace tt::http
