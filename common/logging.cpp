#include "common/logging.h"

#include <spdlog/sinks/stdout_color_sinks.h>

#include <string>

namespace blockhub {

Result<spdlog::level::level_enum> ParseLogLevel(std::string_view text) {
  static constexpr std::pair<std::string_view, spdlog::level::level_enum> kLevels[] = {
      {"trace", spdlog::level::trace}, {"debug", spdlog::level::debug},
      {"info", spdlog::level::info},   {"warn", spdlog::level::warn},
      {"error", spdlog::level::err},   {"critical", spdlog::level::critical},
      {"off", spdlog::level::off}};
  for (const auto& [name, level] : kLevels) {
    if (text == name) return level;
  }
  return InvalidArgumentError(
      fmt::format("log level '{}' is not one of trace|debug|info|warn|error|critical|off", text));
}

Status SetupLogging(std::string_view level) {
  auto parsed = ParseLogLevel(level);
  if (!parsed) return parsed.error();
  auto logger = spdlog::stderr_color_mt("blockhub");
  logger->set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ %v");
  logger->set_level(*parsed);
  spdlog::set_default_logger(logger);
  return Status::Ok();
}

bool RateLimiter::Allow(TimePoint now, uint64_t& suppressed) {
  if (now - window_start_ >= period_) {
    window_start_ = now;
    in_window_ = 0;
  }
  if (in_window_ < burst_) {
    ++in_window_;
    suppressed = suppressed_;
    suppressed_ = 0;
    return true;
  }
  ++suppressed_;
  return false;
}

}  // namespace blockhub
