// ValueArena: storage for catalog payloads too large to sit inside a record. Blocks are rounded
// up to 8 bytes and carved from 1 MiB (or larger, if a block needs it) chunks that never move;
// freed blocks go to a free list per size class and are reused by the next block of that class.
// A Ref is a u64 (chunk, offset) that stays valid until the block is freed.
//
// Owned by the catalog store; one thread; not thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

namespace blockhub {

class ValueArena {
 public:
  using Ref = uint64_t;

  // `max_block`: the largest block ever asked for.
  explicit ValueArena(size_t max_block);

  // A block of at least `n` bytes (n >= 1), uninitialised.
  Ref Allocate(size_t n);
  // Returns a block of `n` bytes (the same n it was allocated with).
  void Free(Ref ref, size_t n);

  std::byte* At(Ref ref) { return chunks_[ref >> chunk_shift_].get() + (ref & chunk_mask_); }
  const std::byte* At(Ref ref) const {
    return chunks_[ref >> chunk_shift_].get() + (ref & chunk_mask_);
  }
  // Bytes in blocks handed out and not freed.
  size_t bytes_in_use() const { return in_use_; }

 private:
  static constexpr Ref kNoRef = ~Ref{0};
  static size_t RoundUp(size_t n) { return (n + 7) & ~size_t{7}; }

  uint32_t chunk_shift_;
  uint64_t chunk_mask_;
  size_t used_in_last_ = 0;  // bytes carved from the last chunk
  size_t in_use_ = 0;
  std::vector<std::unique_ptr<std::byte[]>> chunks_;
  std::vector<Ref> free_heads_;  // per class (size / 8); the next Ref is in the block's first bytes
};

}  // namespace blockhub
