#include "common/env_config.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdlib>

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace blockhub {

Result<uint64_t> ParseU64(std::string_view text, uint64_t min, uint64_t max) {
  uint64_t v = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (text.empty() || ec != std::errc() || ptr != text.data() + text.size()) {
    return InvalidArgumentError(fmt::format("'{}' is not an unsigned integer", text));
  }
  if (v < min || v > max) {
    return InvalidArgumentError(fmt::format("{} is outside [{}, {}]", text, min, max));
  }
  return v;
}

Result<bool> ParseBool(std::string_view text) {
  std::string t(text);
  std::transform(t.begin(), t.end(), t.begin(), [](unsigned char c) { return std::tolower(c); });
  if (t == "1" || t == "true" || t == "yes" || t == "on") return true;
  if (t == "0" || t == "false" || t == "no" || t == "off") return false;
  return InvalidArgumentError(fmt::format("'{}' is not a boolean (true/false)", text));
}

Result<std::optional<std::string>> EnvString(const char* name) {
  const char* v = std::getenv(name);
  if (v == nullptr || *v == '\0') return std::optional<std::string>();
  return std::optional<std::string>(v);
}

namespace {
Status Named(const char* name, const Status& s) {
  return InvalidArgumentError(fmt::format("environment variable {}: {}", name, s.message()));
}
}  // namespace

Result<std::optional<uint64_t>> EnvU64(const char* name, uint64_t min, uint64_t max) {
  auto s = EnvString(name);
  if (!s->has_value()) return std::optional<uint64_t>();
  auto v = ParseU64(**s, min, max);
  if (!v) return Named(name, v.error());
  return std::optional<uint64_t>(*v);
}

Result<std::optional<bool>> EnvBool(const char* name) {
  auto s = EnvString(name);
  if (!s->has_value()) return std::optional<bool>();
  auto v = ParseBool(**s);
  if (!v) return Named(name, v.error());
  return std::optional<bool>(*v);
}

Result<std::optional<std::string>> EnvChoice(const char* name,
                                             const std::vector<std::string>& choices) {
  auto s = EnvString(name);
  if (!s->has_value()) return std::optional<std::string>();
  if (std::find(choices.begin(), choices.end(), **s) != choices.end()) return *s;
  return InvalidArgumentError(fmt::format("environment variable {}: '{}' is not one of {}", name,
                                          **s, fmt::join(choices, "|")));
}

}  // namespace blockhub
