// core/clock.h — time behind an interface so tests can freeze it.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace tt {

// Wall-clock milliseconds since the Unix epoch. All stored times use this unit.
using TimeMs = std::int64_t;

class Clock {
 public:
  virtual ~Clock() = default;
  virtual TimeMs now_ms() const = 0;         // wall clock, for timestamps that are stored or shown
  virtual std::int64_t mono_ms() const = 0;  // monotonic, for durations and timeouts
};

class SystemClock final : public Clock {
 public:
  TimeMs now_ms() const override;
  std::int64_t mono_ms() const override;
  static const SystemClock& instance();
};

// A clock tests move by hand. Thread-safe.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(TimeMs start_ms = 1'700'000'000'000) : m_now(start_ms) {}
  TimeMs now_ms() const override { return m_now.load(); }
  std::int64_t mono_ms() const override { return m_now.load(); }
  void advance_ms(std::int64_t d) { m_now += d; }
  void set_ms(TimeMs t) { m_now = t; }

 private:
  std::atomic<TimeMs> m_now;
};

// RFC 3339 UTC with milliseconds: 2026-11-22T20:26:40.123Z
std::string format_rfc3339(TimeMs t);
// "2026-11-22T20:26:40.123Z" (UTC: Z or +00:00; fraction optional, to the millisecond);
// nullopt for anything else.
std::optional<TimeMs> parse_rfc3339(std::string_view s);

}  // namespace tt
