#include "hub/core/keyed_slab.h"

// Inlined (same function and values as the library's XXH3_64bits): the hash is on every lookup.
#define XXH_INLINE_ALL
#include <xxhash.h>

#include <algorithm>
#include <cassert>

namespace blockhub {

KeyedSlab::KeyedSlab(size_t fixed_key_len, size_t max_key_bytes, size_t payload_bytes,
                     bool prefetch_payload)
    : fixed_key_len_(fixed_key_len),
      key_region_(fixed_key_len != 0 ? fixed_key_len : 2 + max_key_bytes),
      stride_(std::max(key_region_ + payload_bytes, sizeof(uint32_t))),  // room for the free link
      prefetch_tail_(prefetch_payload ? stride_ - 1 : 0) {}

uint64_t KeyedSlab::HashOf(std::string_view key) { return XXH3_64bits(key.data(), key.size()); }

void KeyedSlab::PrefetchGroups(std::span<const std::string_view> keys, uint64_t* hashes) const {
  for (size_t i = 0; i < keys.size(); ++i) {
    hashes[i] = HashOf(keys[i]);
    index_.PrefetchGroup(hashes[i]);
  }
}

void KeyedSlab::PrefetchRecords(std::span<const uint64_t> hashes, bool inserting,
                                CandidateFn on_candidate, const void* ctx) const {
  const auto load = [this, on_candidate, ctx](uint32_t idx) {
    const std::byte* r = Record(idx);
    __builtin_prefetch(r);
    // A record whose payload reaches into the next cache line needs that line too.
    if (prefetch_tail_ != 0) __builtin_prefetch(r + prefetch_tail_);
    if (on_candidate != nullptr) on_candidate(ctx, idx);
  };
  // The groups are on their way; a tag match names the record whose key Find will compare.
  constexpr size_t kMaxOnward = 32;
  uint64_t onward[kMaxOnward];
  size_t n_onward = 0;
  for (const uint64_t hash : hashes) {
    if (index_.PrefetchCandidates(hash, inserting, load) && n_onward < kMaxOnward) {
      onward[n_onward++] = hash;
    }
  }
  // Keys that may sit in their probe's second group (started above): its candidates too, or
  // Find would wait for the group and then for the record, one after the other.
  for (size_t i = 0; i < n_onward; ++i) index_.PrefetchNextCandidates(onward[i], load);
}

uint32_t KeyedSlab::Insert(std::string_view key, uint64_t hash) {
  uint32_t idx;
  if (free_head_ != kNone) {
    idx = free_head_;
    std::memcpy(&free_head_, Record(idx), sizeof(free_head_));
  } else {
    idx = next_++;
    if ((idx >> kChunkShift) >= chunks_.size()) {
      // Uninitialised: pages become resident only as records are written.
      chunks_.push_back(std::make_unique_for_overwrite<std::byte[]>(stride_ << kChunkShift));
    }
    if ((idx >> 6) >= live_.size()) live_.push_back(0);
  }
  std::byte* r = Record(idx);
  if (fixed_key_len_ != 0) {
    assert(key.size() == fixed_key_len_);
    std::memcpy(r, key.data(), fixed_key_len_);
  } else {
    auto n = static_cast<uint16_t>(key.size());
    std::memcpy(r, &n, 2);
    std::memcpy(r + 2, key.data(), key.size());
  }
  // Indexed before it is marked live: a growth during Insert re-places the live records only.
  index_.Insert(hash, idx, EachRecord());
  live_[idx >> 6] |= uint64_t{1} << (idx & 63);
  return idx;
}

void KeyedSlab::Reserve(size_t n) { index_.Reserve(n, EachRecord()); }

void KeyedSlab::Erase(uint32_t idx) {
  assert(IsLive(idx));
  index_.Erase(HashOf(Key(idx)), idx);
  live_[idx >> 6] &= ~(uint64_t{1} << (idx & 63));
  std::memcpy(Record(idx), &free_head_, sizeof(free_head_));
  free_head_ = idx;
}

}  // namespace blockhub
