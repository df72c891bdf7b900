// Logging set-up on spdlog: one process-wide logger writing to stderr (stdout is reserved for the
// hub's single `ready ...` line and for tool output).
//
// Call SetupLogging once at start-up, before threads start; after that spdlog's default logger is
// thread-safe. RateLimiter keeps warnings about bad input from flooding the log under attack.
#pragma once

#include <spdlog/spdlog.h>

#include <cstdint>
#include <string_view>

#include "common/clock.h"
#include "common/status.h"

namespace blockhub {

// trace|debug|info|warn|error|critical|off
Result<spdlog::level::level_enum> ParseLogLevel(std::string_view text);
Status SetupLogging(std::string_view level);

// Allows at most `burst` events per `period`; counts the ones it suppressed so the next allowed
// log line can say "(N similar suppressed)". One owner thread.
class RateLimiter {
 public:
  RateLimiter(uint32_t burst, Duration period) : burst_(burst), period_(period) {}
  // True when the caller may log now; `suppressed` is set to the count swallowed since the last
  // allowed event (then reset).
  bool Allow(TimePoint now, uint64_t& suppressed);

 private:
  uint32_t burst_;
  Duration period_;
  TimePoint window_start_{};
  uint32_t in_window_ = 0;
  uint64_t suppressed_ = 0;
};

}  // namespace blockhub
