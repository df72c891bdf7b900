// LruPolicy: evicts the least recently used entry (inserts and uses move an entry to the back).
// 8 bytes per entry; every operation O(1). PrefetchUse/PrefetchUsesNext let a batch of uses
// overlap the cache misses on the links of entries spread over a large catalog. One thread; not
// thread-safe.
#pragma once

#include <vector>

#include "hub/core/eviction_policy.h"
#include "hub/core/index_list.h"

namespace blockhub {

class LruPolicy final : public EvictionPolicy {
 public:
  void OnInsert(uint32_t h, const EntryShape&) override {
    EnsureIndex(links_, h);
    list_.PushBack(links_, h);
  }
  void OnUse(uint32_t h) override { list_.MoveToBack(links_, h); }
  void Reserve(size_t entries) override { links_.reserve(entries); }
  void OnErase(uint32_t h) override { list_.Unlink(links_, h); }
  // Two rounds: the entries' links, then their neighbours' (which a move to the back rewrites).
  void PrefetchUse(uint32_t h) const override {
    if (h < links_.size()) __builtin_prefetch(&links_[h]);
  }
  void PrefetchUsesNext(std::span<const uint32_t> handles) const override {
    for (uint32_t h : handles) {
      if (h >= links_.size()) continue;
      const IndexLinks l = links_[h];
      if (l.prev != IndexList::kEnd) __builtin_prefetch(&links_[l.prev], 1);
      if (l.next != IndexList::kEnd) __builtin_prefetch(&links_[l.next], 1);
    }
  }
  size_t NextVictims(std::span<uint32_t> out) const override {
    size_t n = 0;
    for (uint32_t h = list_.front(); n < out.size() && h != IndexList::kEnd; h = links_[h].next) {
      out[n++] = h;
    }
    return n;
  }
  std::optional<uint32_t> Victim() const override {
    if (list_.empty()) return std::nullopt;
    return list_.front();
  }

 private:
  std::vector<IndexLinks> links_;
  IndexList list_;
};

}  // namespace blockhub
