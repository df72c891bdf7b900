#include "common/clock.h"

#include <doctest/doctest.h>

#include "common/logging.h"

namespace blockhub {

TEST_CASE("ManualClock moves only when told") {
  ManualClock clock;
  TimePoint t0 = clock.Now();
  CHECK(clock.Now() == t0);
  clock.Advance(std::chrono::milliseconds(5));
  CHECK(clock.Now() - t0 == std::chrono::milliseconds(5));
  clock.Set(t0);
  CHECK(clock.Now() == t0);
}

TEST_CASE("SteadyClock is monotonic") {
  SteadyClock clock;
  TimePoint a = clock.Now();
  TimePoint b = clock.Now();
  CHECK(b >= a);
}

TEST_CASE("RateLimiter allows a burst per period and counts what it suppressed") {
  ManualClock clock;
  RateLimiter limiter(2, std::chrono::seconds(10));
  uint64_t suppressed = 0;
  CHECK(limiter.Allow(clock.Now(), suppressed));
  CHECK(limiter.Allow(clock.Now(), suppressed));
  CHECK_FALSE(limiter.Allow(clock.Now(), suppressed));
  CHECK_FALSE(limiter.Allow(clock.Now(), suppressed));
  clock.Advance(std::chrono::seconds(10));
  REQUIRE(limiter.Allow(clock.Now(), suppressed));
  CHECK(suppressed == 2);
}

TEST_CASE("ParseLogLevel") {
  CHECK(*ParseLogLevel("warn") == spdlog::level::warn);
  CHECK_FALSE(ParseLogLevel("loud").has_value());
}

}  // namespace blockhub
