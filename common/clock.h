// Clock: the time seam. The hub core and the client's batcher never read time themselves; they ask
// an injected Clock. SteadyClock reads std::chrono::steady_clock; ManualClock is moved by tests
// (no sleeps). Times are TimePoint = nanoseconds since an arbitrary, monotonic origin.
//
// SteadyClock is thread-safe. ManualClock is safe to read from many threads while one thread
// advances it (the value is an atomic).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>

namespace blockhub {

using Duration = std::chrono::nanoseconds;
using TimePoint = std::chrono::time_point<std::chrono::steady_clock, Duration>;

class Clock {
 public:
  virtual ~Clock() = default;
  virtual TimePoint Now() const = 0;
};

class SteadyClock final : public Clock {
 public:
  TimePoint Now() const override {
    return std::chrono::time_point_cast<Duration>(std::chrono::steady_clock::now());
  }
};

class ManualClock final : public Clock {
 public:
  explicit ManualClock(TimePoint start = TimePoint(std::chrono::seconds(1000))) {
    now_ns_.store(start.time_since_epoch().count());
  }
  TimePoint Now() const override { return TimePoint(Duration(now_ns_.load())); }
  void Advance(Duration d) { now_ns_.fetch_add(d.count()); }
  void Set(TimePoint t) { now_ns_.store(t.time_since_epoch().count()); }

 private:
  std::atomic<int64_t> now_ns_{0};
};

}  // namespace blockhub
