// Eviction policies: the factory and the out-of-line parts of positional and tail.
#include "hub/core/eviction_policy.h"

#include "hub/core/lru_policy.h"
#include "hub/core/positional_policy.h"
#include "hub/core/tail_policy.h"

namespace blockhub {

std::unique_ptr<EvictionPolicy> MakeEvictionPolicy(EvictionKind kind) {
  switch (kind) {
    case EvictionKind::kNone:
      return std::make_unique<NonePolicy>();
    case EvictionKind::kLru:
      return std::make_unique<LruPolicy>();
    case EvictionKind::kTail:
      return std::make_unique<TailPolicy>();
    case EvictionKind::kPositional:
      return std::make_unique<PositionalPolicy>();
  }
  return std::make_unique<NonePolicy>();
}

// ---- positional ----

void PositionalPolicy::OnInsert(uint32_t h, const EntryShape& shape) {
  EnsureIndex(links_, h);
  EnsureIndex(position_, h);
  position_[h] = shape.depth;
  by_position_[shape.depth].PushBack(links_, h);
}

void PositionalPolicy::OnUse(uint32_t h) { by_position_[position_[h]].MoveToBack(links_, h); }

void PositionalPolicy::OnErase(uint32_t h) {
  auto it = by_position_.find(position_[h]);
  it->second.Unlink(links_, h);
  if (it->second.empty()) by_position_.erase(it);
}

std::optional<uint32_t> PositionalPolicy::Victim() const {
  if (by_position_.empty()) return std::nullopt;
  return by_position_.rbegin()->second.front();
}

// ---- tail ----

void TailPolicy::OnInsert(uint32_t h, const EntryShape& shape) {
  EnsureIndex(nodes_, h);
  Node& n = nodes_[h];
  n.parent = shape.parent;
  n.children = 0;
  n.depth = shape.depth;
  n.sequence = next_sequence_++;
  if (shape.parent != EntryShape::kNoParent && shape.parent != h) {
    Node& p = nodes_[shape.parent];
    n.parent_generation = p.generation;
    if (p.children++ == 0) leaves_.erase(KeyOf(shape.parent));
  } else {
    n.parent = EntryShape::kNoParent;
  }
  leaves_.insert(KeyOf(h));
}

void TailPolicy::OnErase(uint32_t h) {
  Node& n = nodes_[h];
  if (n.children == 0) leaves_.erase(KeyOf(h));
  if (n.parent != EntryShape::kNoParent) {
    Node& p = nodes_[n.parent];
    // The link holds only while the parent entry is the one this child was linked to.
    if (p.generation == n.parent_generation && --p.children == 0) leaves_.insert(KeyOf(n.parent));
  }
  ++n.generation;
  n.children = 0;
  n.parent = EntryShape::kNoParent;
}

std::optional<uint32_t> TailPolicy::Victim() const {
  if (leaves_.empty()) return std::nullopt;
  return std::get<2>(*leaves_.begin());
}

}  // namespace blockhub
