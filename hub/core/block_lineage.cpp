#include "hub/core/block_lineage.h"

#include <cstring>

namespace blockhub {

BlockLineage LineageOf(KeyFormat format, std::string_view key, std::string_view metadata) {
  BlockLineage out;
  uint32_t meta_position = 0;
  uint64_t parent_hash = 0;
  if (metadata.size() >= 12) {
    std::memcpy(&meta_position, metadata.data(), 4);
    std::memcpy(&parent_hash, metadata.data() + 4, 8);
  }
  if (format == KeyFormat::kU64) {
    out.depth = meta_position;
    if (parent_hash != 0) {
      std::memcpy(out.parent_key.data(), &parent_hash, 8);
      out.parent_len = 8;
    }
  } else if (format == KeyFormat::kPositional && key.size() == 20) {
    uint32_t position;
    std::memcpy(&position, key.data() + 16, 4);
    out.depth = position;
    if (parent_hash != 0 && position > 0) {
      const uint32_t parent_position = position - 1;
      std::memcpy(out.parent_key.data(), key.data(), 8);  // same worker
      std::memcpy(out.parent_key.data() + 8, &parent_hash, 8);
      std::memcpy(out.parent_key.data() + 16, &parent_position, 4);
      out.parent_len = 20;
    }
  }
  return out;
}

}  // namespace blockhub
