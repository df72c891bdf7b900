#include "client/local_cache.h"

#include <utility>

namespace blockhub {

LocalCache::LocalCache(size_t capacity, Duration ttl, const Clock& clock)
    : capacity_(capacity), ttl_(ttl), clock_(clock) {
  if (capacity_ > 0) map_.reserve(capacity_);
}

LocalCache::Slot* LocalCache::Find(std::string_view key, TimePoint now) {
  auto it = map_.find(std::string(key));
  if (it == map_.end()) return nullptr;
  if (now - it->second.learnt >= ttl_) {
    ++counters_.expired;
    EraseLocked(it);
    return nullptr;
  }
  lru_.splice(lru_.begin(), lru_, it->second.lru);
  return &it->second;
}

bool LocalCache::KnownStored(std::string_view key) {
  if (!enabled()) return false;
  std::lock_guard lock(mu_);
  const bool hit = Find(key, clock_.Now()) != nullptr;
  ++(hit ? counters_.hits : counters_.misses);
  return hit;
}

size_t LocalCache::KnownStored(std::span<const std::string> keys, std::vector<uint8_t>& known) {
  known.assign(keys.size(), 0);
  if (!enabled()) return 0;
  size_t hits = 0;
  std::lock_guard lock(mu_);
  const TimePoint now = clock_.Now();
  for (size_t i = 0; i < keys.size(); ++i) {
    if (Find(keys[i], now) != nullptr) {
      known[i] = 1;
      ++hits;
    }
  }
  counters_.hits += hits;
  counters_.misses += keys.size() - hits;
  return hits;
}

std::optional<BlockEntry> LocalCache::Entry(std::string_view key) {
  if (!enabled()) return std::nullopt;
  std::lock_guard lock(mu_);
  Slot* slot = Find(key, clock_.Now());
  if (slot == nullptr || !slot->entry) {
    ++counters_.misses;
    return std::nullopt;
  }
  ++counters_.hits;
  return slot->entry;
}

void LocalCache::Put(std::string_view key, std::optional<BlockEntry> entry) {
  std::lock_guard lock(mu_);
  auto it = map_.find(std::string(key));
  if (it != map_.end()) {
    // Learnt again: trusted for a new TTL; a known entry is kept when only the key is learnt.
    it->second.learnt = clock_.Now();
    if (entry) it->second.entry = std::move(entry);
    lru_.splice(lru_.begin(), lru_, it->second.lru);
    return;
  }
  if (map_.size() >= capacity_) EraseLocked(map_.find(lru_.back()));
  lru_.emplace_front(key);
  map_.emplace(std::string(key), Slot{lru_.begin(), clock_.Now(), std::move(entry)});
  counters_.size = map_.size();
}

void LocalCache::LearnStored(std::string_view key) {
  if (enabled()) Put(key, std::nullopt);
}

void LocalCache::LearnEntry(const BlockEntry& entry) {
  if (enabled()) Put(entry.key, entry);
}

void LocalCache::Invalidate(std::string_view key) {
  if (!enabled()) return;
  std::lock_guard lock(mu_);
  auto it = map_.find(std::string(key));
  if (it == map_.end()) return;
  ++counters_.invalidations;
  EraseLocked(it);
}

void LocalCache::Clear() {
  if (!enabled()) return;
  std::lock_guard lock(mu_);
  map_.clear();
  lru_.clear();
  ++counters_.clears;
  counters_.size = 0;
}

void LocalCache::EraseLocked(Map::iterator it) {
  lru_.erase(it->second.lru);
  map_.erase(it);
  counters_.size = map_.size();
}

LocalCacheCounters LocalCache::counters() const {
  std::lock_guard lock(mu_);
  return counters_;
}

}  // namespace blockhub
