// HubConfig helpers: eviction-kind names and the start-up validation of a whole config.
#include "hub/core/hub_config.h"

#include <string>

namespace blockhub {

std::string_view EvictionKindName(EvictionKind k) {
  switch (k) {
    case EvictionKind::kNone:
      return "none";
    case EvictionKind::kLru:
      return "lru";
    case EvictionKind::kTail:
      return "tail";
    case EvictionKind::kPositional:
      return "positional";
  }
  return "unknown";
}

Result<EvictionKind> ParseEvictionKind(std::string_view name) {
  for (EvictionKind k :
       {EvictionKind::kNone, EvictionKind::kLru, EvictionKind::kTail, EvictionKind::kPositional}) {
    if (name == EvictionKindName(k)) return k;
  }
  return InvalidArgumentError("unknown eviction policy '" + std::string(name) +
                              "' (none, lru, tail, positional)");
}

uint64_t EffectiveMaxLeases(const HubConfig& config) {
  return config.max_leases == 0 ? config.capacity : config.max_leases;
}

namespace {

// Which key formats each policy can read its ordering from.
Status CheckPolicyFitsKeys(EvictionKind eviction, KeyFormat format) {
  if (eviction == EvictionKind::kTail && format != KeyFormat::kU64 &&
      format != KeyFormat::kPositional) {
    return InvalidArgumentError("eviction 'tail' needs key format u64 or positional, not " +
                                std::string(KeyFormatName(format)));
  }
  if (eviction == EvictionKind::kPositional && format != KeyFormat::kPositional) {
    return InvalidArgumentError("eviction 'positional' needs key format positional, not " +
                                std::string(KeyFormatName(format)));
  }
  return Status::Ok();
}

}  // namespace

Status ValidateHubConfig(const HubConfig& config) {
  constexpr uint64_t kMaxEntries = 0xFFFF'FFFEull;  // catalog handles are u32
  if (config.capacity == 0 || config.capacity > kMaxEntries) {
    return InvalidArgumentError("capacity must be 1 .. 4294967294 entries");
  }
  if (config.lease_ttl.count() <= 0 || config.lease_ttl.count() > 0xFFFF'FFFFll) {
    return InvalidArgumentError("lease TTL must be 1 .. 4294967295 ms");
  }
  const DecodeLimits& l = config.limits;
  if (l.max_batch_keys == 0) return InvalidArgumentError("max_batch_keys must be at least 1");
  if (l.key_format == KeyFormat::kBytes && (l.max_key_bytes == 0 || l.max_key_bytes > 65535)) {
    return InvalidArgumentError("max_key_bytes must be 1 .. 65535");
  }
  if (l.max_value_bytes > 65535 || l.max_metadata_bytes > 65535) {
    return InvalidArgumentError("max_value_bytes and max_metadata_bytes must be <= 65535");
  }
  if (config.max_members == 0) return InvalidArgumentError("max_members must be at least 1");
  if (config.max_member_ttl.count() <= 0 || config.max_member_ttl.count() > 0xFFFF'FFFFll) {
    return InvalidArgumentError("max member TTL must be 1 .. 4294967295 ms");
  }
  if (l.max_member_metadata_bytes > 65535 || l.max_multicast_bytes > 65535) {
    return InvalidArgumentError(
        "max_member_metadata_bytes and max_multicast_bytes must be <= 65535");
  }
  if (config.inline_payload_bytes > 4096) {
    return InvalidArgumentError("inline_payload_bytes must be <= 4096");
  }
  if (config.hub_version.empty()) return InvalidArgumentError("hub_version must not be empty");
  return CheckPolicyFitsKeys(config.eviction, l.key_format);
}

}  // namespace blockhub
