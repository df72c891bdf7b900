// KeyedSlab: a dense, chunked array of fixed-size records, each starting with a key, plus a
// Swiss-table index (boost::unordered_flat_set<uint32_t>) over the record numbers. The table slot
// is the 4-byte record index; hashing and equality read the key from the slab, so a key is stored
// once. Record numbers are stable for a record's lifetime and are reused after Erase (free list).
// Records live in 65,536-record chunks that never move: pointers into a record stay valid until
// that record is erased. Untouched parts of a chunk cost no resident memory.
//
// Keys are fixed-length (`fixed_key_len` > 0) or variable, 1 .. max_key_bytes, stored with a u16
// length prefix. Each record has `payload_bytes` of caller-owned bytes after the key.
//
// Used by the in-memory catalog store and the lease table. Owned by one thread; not thread-safe.
// Not movable (the index's hasher points back at the slab).
#pragma once

#include <boost/unordered/unordered_flat_set.hpp>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string_view>
#include <type_traits>
#include <vector>

#include "hub/huge_page_allocator.h"

namespace blockhub {

class KeyedSlab {
 public:
  static constexpr uint32_t kNone = 0xFFFF'FFFFu;

  KeyedSlab(size_t fixed_key_len, size_t max_key_bytes, size_t payload_bytes);
  KeyedSlab(const KeyedSlab&) = delete;
  KeyedSlab& operator=(const KeyedSlab&) = delete;

  // The record holding `key`, or kNone.
  uint32_t Find(std::string_view key) const {
    auto it = index_.find(key);
    return it == index_.end() ? kNone : *it;
  }
  // Adds `key`, which must be absent and of a valid length; the payload is uninitialised.
  uint32_t Insert(std::string_view key);
  void Erase(uint32_t idx);

  std::string_view Key(uint32_t idx) const {
    const std::byte* r = Record(idx);
    if (fixed_key_len_ != 0) return {reinterpret_cast<const char*>(r), fixed_key_len_};
    uint16_t n;
    std::memcpy(&n, r, 2);
    return {reinterpret_cast<const char*>(r + 2), n};
  }
  std::byte* Payload(uint32_t idx) { return Record(idx) + key_region_; }
  const std::byte* Payload(uint32_t idx) const { return Record(idx) + key_region_; }

  bool IsLive(uint32_t idx) const {
    return idx < next_ && ((live_[idx >> 6] >> (idx & 63)) & 1u) != 0;
  }
  size_t size() const { return index_.size(); }
  // Every live record number is below this.
  uint32_t index_limit() const { return next_; }
  void Reserve(size_t n) { index_.reserve(n); }

 private:
  static constexpr uint32_t kChunkShift = 16;
  static constexpr uint32_t kChunkMask = (1u << kChunkShift) - 1;

  std::byte* Record(uint32_t idx) const {
    return chunks_[idx >> kChunkShift].get() + size_t{idx & kChunkMask} * stride_;
  }

  struct Hash {
    using is_transparent = void;
    using is_avalanching = std::true_type;
    const KeyedSlab* slab;
    size_t operator()(std::string_view key) const;
    size_t operator()(uint32_t idx) const { return (*this)(slab->Key(idx)); }
  };
  struct Equal {
    using is_transparent = void;
    const KeyedSlab* slab;
    bool operator()(uint32_t a, uint32_t b) const { return a == b; }
    bool operator()(std::string_view k, uint32_t i) const { return slab->Key(i) == k; }
    bool operator()(uint32_t i, std::string_view k) const { return slab->Key(i) == k; }
  };

  size_t fixed_key_len_;
  size_t key_region_;
  size_t stride_;
  uint32_t next_ = 0;  // records ever used: [0, next_)
  std::vector<std::unique_ptr<std::byte[]>> chunks_;
  std::vector<uint64_t> live_;
  std::vector<uint32_t> free_;
  boost::unordered_flat_set<uint32_t, Hash, Equal, HugePageAllocator<uint32_t>> index_;
};

}  // namespace blockhub
