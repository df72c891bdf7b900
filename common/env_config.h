// Typed settings from environment variables, with errors that name the variable.
//
// Each Env* function returns: nullopt when the variable is unset or empty, the parsed value when it
// is valid, and an InvalidArgument Status naming the variable and the bad value otherwise. A bad
// DYN_REGISTRY_* value is a start-up error, never silently the default. The command-line layer
// (CLI11) applies these as defaults so that flags win over the environment.
//
// Reads the process environment; call from start-up code only (getenv is not thread-safe against
// setenv).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace blockhub {

Result<std::optional<std::string>> EnvString(const char* name);
// Unsigned decimal integer in [min, max].
Result<std::optional<uint64_t>> EnvU64(const char* name, uint64_t min = 0,
                                       uint64_t max = UINT64_MAX);
// true/false, 1/0, yes/no, on/off (case-insensitive).
Result<std::optional<bool>> EnvBool(const char* name);
// One of `choices` (case-sensitive); the error lists them.
Result<std::optional<std::string>> EnvChoice(const char* name,
                                             const std::vector<std::string>& choices);

// Parsers shared with the command line.
Result<uint64_t> ParseU64(std::string_view text, uint64_t min = 0, uint64_t max = UINT64_MAX);
Result<bool> ParseBool(std::string_view text);

}  // namespace blockhub
