#include "hub/keyed_slab.h"

#include <xxhash.h>

#include <cassert>

namespace blockhub {

KeyedSlab::KeyedSlab(size_t fixed_key_len, size_t max_key_bytes, size_t payload_bytes)
    : fixed_key_len_(fixed_key_len),
      key_region_(fixed_key_len != 0 ? fixed_key_len : 2 + max_key_bytes),
      stride_(key_region_ + payload_bytes),
      index_(0, Hash{this}, Equal{this}, HugePageAllocator<uint32_t>()) {}

size_t KeyedSlab::Hash::operator()(std::string_view key) const {
  return static_cast<size_t>(XXH3_64bits(key.data(), key.size()));
}

uint32_t KeyedSlab::Insert(std::string_view key) {
  uint32_t idx;
  if (!free_.empty()) {
    idx = free_.back();
    free_.pop_back();
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
  live_[idx >> 6] |= uint64_t{1} << (idx & 63);
  index_.insert(idx);
  return idx;
}

void KeyedSlab::Erase(uint32_t idx) {
  assert(IsLive(idx));
  index_.erase(idx);
  live_[idx >> 6] &= ~(uint64_t{1} << (idx & 63));
  free_.push_back(idx);
}

}  // namespace blockhub
