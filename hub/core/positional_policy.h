// PositionalPolicy: evicts the entry with the highest position (the tail end of the longest
// sequences, least likely to be shared as a prefix), least recently used first within one
// position. An LRU list per position, kept in an ordered map: O(log P) per operation for P
// distinct positions, 12 bytes per entry. Positional keys only. One thread; not thread-safe.
#pragma once

#include <map>
#include <vector>

#include "hub/core/eviction_policy.h"
#include "hub/core/index_list.h"

namespace blockhub {

class PositionalPolicy final : public EvictionPolicy {
 public:
  void OnInsert(uint32_t h, const EntryShape& shape) override;
  void OnUse(uint32_t h) override;
  void OnErase(uint32_t h) override;
  std::optional<uint32_t> Victim() const override;
  void Reserve(size_t entries) override {
    links_.reserve(entries);
    position_.reserve(entries);
  }

 private:
  std::vector<IndexLinks> links_;
  std::vector<uint32_t> position_;
  std::map<uint32_t, IndexList> by_position_;
};

}  // namespace blockhub
