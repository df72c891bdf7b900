// KeyedSlab: a dense, chunked array of fixed-size records, each starting with a key, plus a
// GroupIndex (group_index.h) over the record numbers: the index holds 4-byte record numbers and a
// tag byte per slot; equality reads the key from the slab, so a key is stored once.
// Record numbers are stable for a record's lifetime and are reused after Erase (free list).
// Records live in 65,536-record chunks that never move: pointers into a record stay valid until
// that record is erased. Untouched parts of a chunk cost no resident memory.
//
// Batches: HashOf(key) once per key, then Prefetch(keys, hashes) issues the index loads of every
// key and, once those are in flight, the loads of the records their tags point at; the lookups
// that follow (Find/Insert with the hash) then mostly hit the cache. Prefetching never changes
// a result: callers still look keys up one by one, in order.
//
// Keys are fixed-length (`fixed_key_len` > 0) or variable, 1 .. max_key_bytes, stored with a u16
// length prefix. Each record has `payload_bytes` of caller-owned bytes after the key.
//
// Used by the in-memory catalog store and the lease table. Owned by one thread; not thread-safe.
// Not movable.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <span>
#include <string_view>
#include <type_traits>
#include <vector>

#include "hub/core/group_index.h"

namespace blockhub {

class KeyedSlab {
 public:
  static constexpr uint32_t kNone = 0xFFFF'FFFFu;

  // `prefetch_payload`: Prefetch also loads a record's last byte (a record can straddle two cache
  // lines), for callers that read the payload right after the lookup (the lease table).
  KeyedSlab(size_t fixed_key_len, size_t max_key_bytes, size_t payload_bytes,
            bool prefetch_payload = false);
  KeyedSlab(const KeyedSlab&) = delete;
  KeyedSlab& operator=(const KeyedSlab&) = delete;

  static uint64_t HashOf(std::string_view key);

  // The record holding `key`, or kNone. `hash` = HashOf(key).
  uint32_t Find(std::string_view key) const { return Find(key, HashOf(key)); }
  uint32_t Find(std::string_view key, uint64_t hash) const {
    if (fixed_key_len_ == 8 && key.size() == 8) {  // the common u64 format: no memcmp call
      uint64_t want;
      std::memcpy(&want, key.data(), 8);
      return index_.Find(hash, [&](uint32_t idx) {
        uint64_t have;
        std::memcpy(&have, Record(idx), 8);
        return have == want;
      });
    }
    return index_.Find(hash, [&](uint32_t idx) { return Key(idx) == key; });
  }
  // Sets hashes[i] = HashOf(keys[i]) and starts loading what Find(keys[i]) will read (see top).
  // `inserting`: the keys that are absent will be inserted (also load where they would go).
  void Prefetch(std::span<const std::string_view> keys, uint64_t* hashes,
                bool inserting = false) const {
    PrefetchGroups(keys, hashes);
    PrefetchRecords(std::span<const uint64_t>(hashes, keys.size()), inserting);
  }
  // Prefetch in two rounds, for callers that put other work between them: the index groups
  // (and hashes[i] = HashOf(keys[i])), then, once those have arrived, the records they name.
  void PrefetchGroups(std::span<const std::string_view> keys, uint64_t* hashes) const;
  // `on_candidate(ctx, idx)`, when given, is called for every record loaded as a candidate.
  using CandidateFn = void (*)(const void* ctx, uint32_t idx);
  void PrefetchRecords(std::span<const uint64_t> hashes, bool inserting = false,
                       CandidateFn on_candidate = nullptr, const void* ctx = nullptr) const;
  // For records about to be erased: their lines, then (once those have arrived) their index
  // groups, which Erase reads. Numbers that are not live are skipped.
  void PrefetchRecordsAt(std::span<const uint32_t> idxs) const {
    for (const uint32_t idx : idxs) {
      if (IsLive(idx)) __builtin_prefetch(Record(idx));
    }
  }
  void PrefetchIndexOf(std::span<const uint32_t> idxs) const {
    for (const uint32_t idx : idxs) {
      if (IsLive(idx)) index_.PrefetchGroup(HashOf(Key(idx)));
    }
  }
  // Adds `key`, which must be absent and of a valid length; the payload is uninitialised.
  uint32_t Insert(std::string_view key) { return Insert(key, HashOf(key)); }
  uint32_t Insert(std::string_view key, uint64_t hash);
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
  void Reserve(size_t n);

 private:
  static constexpr uint32_t kChunkShift = 16;
  static constexpr uint32_t kChunkMask = (1u << kChunkShift) - 1;

  std::byte* Record(uint32_t idx) const {
    return chunks_[idx >> kChunkShift].get() + size_t{idx & kChunkMask} * stride_;
  }

  // For GroupIndex growth: calls place(hash, idx) for every live record, in memory order.
  auto EachRecord() const {
    return [this](auto&& place) {
      for (uint32_t idx = 0; idx < next_; ++idx) {
        if (IsLive(idx)) place(HashOf(Key(idx)), idx);
      }
    };
  }

  size_t fixed_key_len_;
  size_t key_region_;
  size_t stride_;
  size_t prefetch_tail_;  // offset of the last byte Prefetch loads (0: the record's first line)
  uint32_t next_ = 0;     // records ever used: [0, next_)
  std::vector<std::unique_ptr<std::byte[]>> chunks_;
  std::vector<uint64_t> live_;
  // Erased records, most recent first, linked through their first 4 bytes (no side array: an
  // erase never allocates, so a Tick that expires a million leases never waits for a list to
  // grow).
  uint32_t free_head_ = kNone;
  GroupIndex index_;
};

}  // namespace blockhub
