#include "hub/core/value_arena.h"

#include <cstring>

namespace blockhub {

ValueArena::ValueArena(size_t max_block) {
  chunk_shift_ = 20;
  while ((size_t{1} << chunk_shift_) < RoundUp(max_block)) ++chunk_shift_;
  chunk_mask_ = (uint64_t{1} << chunk_shift_) - 1;
  free_heads_.assign(RoundUp(max_block) / 8 + 1, kNoRef);
  used_in_last_ = size_t{1} << chunk_shift_;  // forces a chunk on the first Allocate
}

ValueArena::Ref ValueArena::Allocate(size_t n) {
  const size_t size = RoundUp(n == 0 ? 1 : n);
  const size_t cls = size / 8;
  in_use_ += size;
  if (cls < free_heads_.size() && free_heads_[cls] != kNoRef) {
    Ref ref = free_heads_[cls];
    std::memcpy(&free_heads_[cls], At(ref), sizeof(Ref));
    return ref;
  }
  const size_t chunk_size = size_t{1} << chunk_shift_;
  if (used_in_last_ + size > chunk_size) {
    chunks_.push_back(std::make_unique_for_overwrite<std::byte[]>(chunk_size));
    used_in_last_ = 0;
  }
  Ref ref = (Ref{chunks_.size() - 1} << chunk_shift_) | used_in_last_;
  used_in_last_ += size;
  return ref;
}

void ValueArena::Free(Ref ref, size_t n) {
  const size_t size = RoundUp(n == 0 ? 1 : n);
  const size_t cls = size / 8;
  in_use_ -= size;
  std::memcpy(At(ref), &free_heads_[cls], sizeof(Ref));
  free_heads_[cls] = ref;
}

}  // namespace blockhub
