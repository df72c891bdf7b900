// BlockLineage: where an entry sits in its sequence, read from its key and Dynamo's
// PositionMetadata (`position:u32, parent_hash:u64, sequence_length:u32, created_at:u64`; the
// first 12 bytes are enough here). Feeds the tail and positional eviction policies.
//   u64 keys:        depth = metadata position; parent key = parent_hash as 8 bytes LE (0 = none).
//   positional keys: depth = key position; parent key = (same worker, parent_hash, position - 1),
//                    when parent_hash != 0 and position > 0.
// Metadata shorter than 12 bytes means depth 0 (u64) and no parent. Pure; thread-safe.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

#include "codec/key_format.h"

namespace blockhub {

struct BlockLineage {
  uint32_t depth = 0;
  uint8_t parent_len = 0;  // 0 = no parent
  std::array<char, 20> parent_key{};
  std::string_view parent() const { return {parent_key.data(), parent_len}; }
};

BlockLineage LineageOf(KeyFormat format, std::string_view key, std::string_view metadata);

}  // namespace blockhub
