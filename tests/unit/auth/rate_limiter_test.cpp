#include "auth/rate_limiter.h"

#include <doctest/doctest.h>

using namespace tt;
using namespace tt::auth;

TEST_CASE("blocks after max failures within the window, with the time to wait") {
  ManualClock clock;
  RateLimiter rl(clock, {3, 60'000, 100});
  CHECK(rl.blocked_for_ms("k") == 0);
  rl.record_failure("k");
  clock.advance_ms(10'000);
  rl.record_failure("k");
  CHECK(rl.blocked_for_ms("k") == 0);
  clock.advance_ms(10'000);
  rl.record_failure("k");
  // The first failure (at t=0) leaves the window at t=60s; now t=20s.
  CHECK(rl.blocked_for_ms("k") == 40'000);
  CHECK(rl.blocked_for_ms("other") == 0);
  clock.advance_ms(39'999);
  CHECK(rl.blocked_for_ms("k") == 1);
  clock.advance_ms(1);
  CHECK(rl.blocked_for_ms("k") == 0);
  // Sliding: one more failure blocks again until the second failure leaves the window.
  rl.record_failure("k");
  CHECK(rl.blocked_for_ms("k") == 10'000);
}

TEST_CASE("failures older than the window do not count") {
  ManualClock clock;
  RateLimiter rl(clock, {2, 1'000, 100});
  rl.record_failure("k");
  clock.advance_ms(1'000);
  rl.record_failure("k");
  CHECK(rl.blocked_for_ms("k") == 0);
  clock.advance_ms(5'000);
  CHECK(rl.blocked_for_ms("k") == 0);
  CHECK(rl.size() == 0);  // forgotten once nothing counts
}

TEST_CASE("reset clears a key") {
  ManualClock clock;
  RateLimiter rl(clock, {1, 1'000, 100});
  rl.record_failure("k");
  CHECK(rl.blocked_for_ms("k") > 0);
  rl.reset("k");
  CHECK(rl.blocked_for_ms("k") == 0);
  rl.reset("never-seen");
}

TEST_CASE("memory is bounded: the least recently failed key is evicted") {
  ManualClock clock;
  RateLimiter rl(clock, {1, 60'000, 3});
  rl.record_failure("a");
  rl.record_failure("b");
  rl.record_failure("c");
  rl.record_failure("a");  // a becomes the most recent
  rl.record_failure("d");  // evicts b
  CHECK(rl.size() == 3);
  CHECK(rl.blocked_for_ms("a") > 0);
  CHECK(rl.blocked_for_ms("b") == 0);
  CHECK(rl.blocked_for_ms("c") > 0);
  CHECK(rl.blocked_for_ms("d") > 0);
  for (int i = 0; i < 1000; ++i) rl.record_failure("k" + std::to_string(i));
  CHECK(rl.size() == 3);
}

TEST_CASE("failures counts a key's failures within the window, up to max_failures") {
  ManualClock clock;
  RateLimiter rl(clock, {3, 1'000, 100});
  CHECK(rl.failures("k") == 0);
  rl.record_failure("k");
  clock.advance_ms(500);
  rl.record_failure("k");
  CHECK(rl.failures("k") == 2);
  for (int i = 0; i < 5; ++i) rl.record_failure("k");
  CHECK(rl.failures("k") == 3);
  clock.advance_ms(1'000);
  CHECK(rl.failures("k") == 0);
  CHECK(rl.size() == 0);
}
