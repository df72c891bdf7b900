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

void LocalCache::Put(std::string_view key, std::optional<BlockEntry> entry, uint64_t since) {
  std::lock_guard lock(mu_);
  if (!learning_ || since < cleared_at_ || since < floor_) return;
  if (!recent_.empty()) {
    auto r = recent_.find(std::string(key));
    if (r != recent_.end() && r->second > since) return;  // invalidated after the request left
  }
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

uint64_t LocalCache::Generation() const {
  if (!enabled()) return 0;
  std::lock_guard lock(mu_);
  return generation_;
}

void LocalCache::LearnStored(std::string_view key, uint64_t since) {
  if (enabled()) Put(key, std::nullopt, since);
}

void LocalCache::LearnEntry(const BlockEntry& entry, uint64_t since) {
  if (enabled()) Put(entry.key, entry, since);
}

void LocalCache::Invalidate(std::string_view key) {
  if (!enabled()) return;
  std::lock_guard lock(mu_);
  ++generation_;
  std::string k(key);
  recent_[k] = generation_;
  recent_order_.emplace_back(k, generation_);
  if (recent_order_.size() > kRecentInvalidations) {
    auto& [old_key, old_gen] = recent_order_.front();
    floor_ = old_gen;
    auto r = recent_.find(old_key);
    if (r != recent_.end() && r->second == old_gen) recent_.erase(r);
    recent_order_.pop_front();
  }
  auto it = map_.find(k);
  if (it == map_.end()) return;
  ++counters_.invalidations;
  EraseLocked(it);
}

void LocalCache::SetLearning(bool on) {
  std::lock_guard lock(mu_);
  // Resuming: replies to requests sent while learning was off teach nothing (what changed before
  // the resume was not seen).
  if (on && !learning_) cleared_at_ = ++generation_;
  learning_ = on;
}

bool LocalCache::learning() const {
  std::lock_guard lock(mu_);
  return learning_;
}

void LocalCache::Clear() {
  if (!enabled()) return;
  std::lock_guard lock(mu_);
  ++generation_;
  cleared_at_ = generation_;
  // Everything before the clear is covered by cleared_at_.
  recent_.clear();
  recent_order_.clear();
  floor_ = 0;
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
