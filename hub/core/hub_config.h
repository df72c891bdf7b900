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
#include "common/version.h"

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
  uint64_t epoch = 0;  // random per start, chosen by main
  std::string hub_version = "blockhub " BLOCKHUB_VERSION_STRING;  // Hello, metrics, --version
  // Bytes of value+metadata stored inside each catalog record; larger payloads go to an arena
  // (8-byte reference inline). 0 = automatic: 24 for positional keys (Dynamo's RemoteKey values),
  // 8 otherwise (a u64 value, no metadata). Memory only: never changes behaviour.
  uint32_t inline_payload_bytes = 0;
  // Worker membership (codec/FORMAT.md "Members"); the metadata and multicast byte limits are in
  // `limits`. A new member beyond max_members gets error 6 (capacity); an Announce TTL above
  // max_member_ttl is cut to it (the AnnounceResponse says the TTL applied).
  uint64_t max_members = 10'000;
  std::chrono::milliseconds max_member_ttl{600'000};
};

// Per-entry structures (the catalog's index, the eviction policy's arrays) are sized for the
// configured capacity up to this many entries when the hub starts, and grow beyond it. Untouched
// reserved memory is address space only, not resident.
inline constexpr uint64_t kMaxPresizedEntries = uint64_t{1} << 25;

// The live-lease bound in force: max_leases, or capacity when max_leases is 0.
uint64_t EffectiveMaxLeases(const HubConfig& config);

// Start-up check of a whole config: capacity 1 .. 2^32-2, a lease TTL of 1 ms .. 2^32-1 ms,
// tail needs u64 or positional keys, positional needs positional keys, sizes the catalog can hold,
// max_members >= 1, a member TTL bound of 1 ms .. 2^32-1 ms, member metadata and multicast
// payload limits <= 65535.
Status ValidateHubConfig(const HubConfig& config);

}  // namespace blockhub
