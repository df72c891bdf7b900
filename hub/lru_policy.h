// LruPolicy: evicts the least recently used entry (inserts and uses move an entry to the back).
// 8 bytes per entry; every operation O(1). One thread; not thread-safe.
#pragma once

#include <vector>

#include "hub/eviction_policy.h"
#include "hub/index_list.h"

namespace blockhub {

class LruPolicy final : public EvictionPolicy {
 public:
  void OnInsert(uint32_t h, const EntryShape&) override {
    EnsureIndex(links_, h);
    list_.PushBack(links_, h);
  }
  void OnUse(uint32_t h) override { list_.MoveToBack(links_, h); }
  void OnErase(uint32_t h) override { list_.Unlink(links_, h); }
  std::optional<uint32_t> Victim() const override {
    if (list_.empty()) return std::nullopt;
    return list_.front();
  }

 private:
  std::vector<IndexLinks> links_;
  IndexList list_;
};

}  // namespace blockhub
