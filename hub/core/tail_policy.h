// TailPolicy: parent-aware eviction for prefix chains of blocks. An entry whose stored parent is
// known (EntryShape::parent, found by HubCore from PositionMetadata.parent_hash) is that parent's
// child; only leaves (entries with no stored children) are evicted, the deepest first
// (EntryShape::depth), the oldest inserted first among equal depths. Evicting or removing a leaf
// makes its parent a leaf again when it has no other children; removing an inner entry turns its
// children into roots (their link is cut by a generation check, O(1)).
//
// Per entry: parent, parent generation, own generation, child count, depth, insertion sequence;
// leaves in an ordered set. O(log n) per operation. One thread; not thread-safe.
#pragma once

#include <set>
#include <tuple>
#include <vector>

#include "hub/core/eviction_policy.h"

namespace blockhub {

class TailPolicy final : public EvictionPolicy {
 public:
  void OnInsert(uint32_t h, const EntryShape& shape) override;
  void OnUse(uint32_t) override {}  // age is insertion order
  void OnErase(uint32_t h) override;
  std::optional<uint32_t> Victim() const override;
  void Reserve(size_t entries) override { nodes_.reserve(entries); }
  bool wants_parent() const override { return true; }

 private:
  struct Node {
    uint32_t parent = EntryShape::kNoParent;
    uint32_t parent_generation = 0;
    uint32_t generation = 0;  // bumped when the handle's entry is erased
    uint32_t children = 0;    // stored children still linked
    uint32_t depth = 0;
    uint64_t sequence = 0;
  };
  // Deepest first, then oldest: (~depth, sequence, handle) ascending.
  using LeafKey = std::tuple<uint32_t, uint64_t, uint32_t>;
  LeafKey KeyOf(uint32_t h) const { return {~nodes_[h].depth, nodes_[h].sequence, h}; }

  std::vector<Node> nodes_;
  std::set<LeafKey> leaves_;
  uint64_t next_sequence_ = 0;
};

}  // namespace blockhub
