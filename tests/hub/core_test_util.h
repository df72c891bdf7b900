// Helpers for the hub-core tests: key/value byte builders and request shortcuts through
// HubCore::Handle. Keys are owned by a KeyStore so the messages' string_views stay valid.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <vector>

#include "hub/core/hub_core.h"

namespace blockhub::testing {

inline TimePoint At(int64_t ms) { return TimePoint(std::chrono::milliseconds(ms)); }

std::string U64(uint64_t v);  // 8 bytes LE
std::string Positional(uint64_t worker, uint64_t hash, uint32_t position);
// PositionMetadata: position, parent_hash, sequence_length 0, created_at 0 (24 bytes).
std::string PositionMeta(uint32_t position, uint64_t parent_hash);

HubConfig U64Config(EvictionKind eviction = EvictionKind::kLru, uint64_t capacity = 1000);

// A core plus shortcuts that build messages from u64 keys.
class CoreHarness {
 public:
  explicit CoreHarness(HubConfig config);
  HubCore& core() { return core_; }

  Message Send(OwnerId owner, Body body, TimePoint now,
               ProtocolVersion version = ProtocolVersion::kV2);
  std::vector<OffloadStatus> CanOffload(OwnerId owner, const std::vector<uint64_t>& keys,
                                        TimePoint now);
  std::vector<RegisterStatus> RegisterSync(OwnerId owner, const std::vector<uint64_t>& keys,
                                           TimePoint now, uint64_t value_base = 1000);
  // Registers one entry with explicit bytes.
  RegisterStatus RegisterEntry(std::string_view key, std::string_view value,
                               std::string_view metadata, TimePoint now);
  std::vector<uint64_t> Match(const std::vector<uint64_t>& keys, TimePoint now,
                              MatchMode mode = MatchMode::kAll);
  uint64_t Remove(const std::vector<uint64_t>& keys, TimePoint now);
  uint64_t Touch(const std::vector<uint64_t>& keys, TimePoint now);
  std::vector<RenewStatus> Renew(OwnerId owner, const std::vector<uint64_t>& keys, TimePoint now);
  uint64_t Release(OwnerId owner, const std::vector<uint64_t>& keys, TimePoint now);
  bool Stored(uint64_t key);

  KeyList Keys(const std::vector<uint64_t>& keys);
  std::string_view Keep(std::string s);

 private:
  HubCore core_;
  std::deque<std::string> kept_;
};

uint64_t ReadU64(std::string_view bytes);

}  // namespace blockhub::testing
