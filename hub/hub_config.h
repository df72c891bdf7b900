// HubConfig: everything the hub core needs to know about its configuration. Built by main.cpp from
// flags and environment; a plain value type.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "codec/codec.h"
#include "codec/key_format.h"
#include "common/status.h"

namespace blockhub {

enum class EvictionKind : uint8_t { kNone, kLru, kTail, kPositional };
std::string_view EvictionKindName(EvictionKind k);  // "none", "lru", "tail", "positional"
Result<EvictionKind> ParseEvictionKind(std::string_view name);

struct HubConfig {
  DecodeLimits limits;  // key format, max batch keys, key/value/metadata sizes
  EvictionKind eviction = EvictionKind::kLru;
  uint64_t capacity = 1'000'000;  // stored entries
  uint64_t max_leases = 0;        // live leases; 0 = same as capacity
  std::chrono::milliseconds lease_ttl{30'000};
  uint64_t epoch = 0;             // random per start, chosen by main
  std::string hub_version = "blockhub 0.1.0";
};

// Start-up check of a whole config (e.g. the positional policy needs positional keys).
Status ValidateHubConfig(const HubConfig& config);

}  // namespace blockhub
