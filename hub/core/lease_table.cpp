#include "hub/core/lease_table.h"

#include <algorithm>
#include <cstring>

namespace blockhub {

LeaseTable::LeaseTable(KeyFormat format, uint32_t max_key_bytes, Duration ttl)
    : slab_(KeyFormatLength(format), max_key_bytes, 16, /*prefetch_payload=*/true),
      ttl_ns_(ttl.count()) {}

uint64_t LeaseTable::Owner(uint32_t idx) const {
  uint64_t v;
  std::memcpy(&v, slab_.Payload(idx), 8);
  return v;
}

int64_t LeaseTable::Deadline(uint32_t idx) const {
  int64_t v;
  std::memcpy(&v, slab_.Payload(idx) + 8, 8);
  return v;
}

void LeaseTable::Set(uint32_t idx, uint64_t owner, int64_t deadline_ns) {
  std::memcpy(slab_.Payload(idx), &owner, 8);
  std::memcpy(slab_.Payload(idx) + 8, &deadline_ns, 8);
  queue_.push_back(QueueItem{idx, deadline_ns});
}

void LeaseTable::Expire(uint32_t idx) {
  slab_.Erase(idx);
  ++counters_.expired;
}

void LeaseTable::Prefetch(std::span<const std::string_view> keys) const {
  if (slab_.size() == 0) return;  // nothing to find; inserts go to a cached group anyway
  constexpr size_t kChunk = 128;
  uint64_t hashes[kChunk];
  for (size_t base = 0; base < keys.size(); base += kChunk) {
    slab_.Prefetch(keys.subspan(base, std::min(kChunk, keys.size() - base)), hashes,
                   /*inserting=*/true);
  }
}

uint32_t LeaseTable::FindLive(std::string_view key, uint64_t hash, TimePoint now) {
  uint32_t idx = slab_.Find(key, hash);
  if (idx != KeyedSlab::kNone && Deadline(idx) <= Ns(now)) {
    Expire(idx);
    return KeyedSlab::kNone;
  }
  return idx;
}

LeaseTable::AcquireResult LeaseTable::Acquire(std::string_view key, uint64_t owner, TimePoint now) {
  const uint64_t hash = KeyedSlab::HashOf(key);
  uint32_t idx = FindLive(key, hash, now);
  if (idx == KeyedSlab::kNone) {
    Set(slab_.Insert(key, hash), owner, Ns(now) + ttl_ns_);
    ++counters_.granted;
    return AcquireResult::kGranted;
  }
  if (Owner(idx) != owner) {
    ++counters_.denied;
    return AcquireResult::kLeased;
  }
  Set(idx, owner, Ns(now) + ttl_ns_);
  ++counters_.refreshed;
  ++counters_.offload_refreshed;
  return AcquireResult::kRefreshed;
}

bool LeaseTable::HasLive(std::string_view key, TimePoint now, uint64_t* holder) const {
  uint32_t idx = slab_.Find(key);
  if (idx == KeyedSlab::kNone || Deadline(idx) <= Ns(now)) return false;
  if (holder != nullptr) *holder = Owner(idx);
  return true;
}

bool LeaseTable::Renew(std::string_view key, uint64_t owner, TimePoint now) {
  uint32_t idx = FindLive(key, now);
  if (idx == KeyedSlab::kNone || Owner(idx) != owner) return false;
  Set(idx, owner, Ns(now) + ttl_ns_);
  ++counters_.refreshed;
  return true;
}

bool LeaseTable::Release(std::string_view key, uint64_t owner, TimePoint now) {
  uint32_t idx = FindLive(key, now);
  if (idx == KeyedSlab::kNone || Owner(idx) != owner) return false;
  slab_.Erase(idx);
  ++counters_.released;
  return true;
}

bool LeaseTable::DropForRegister(std::string_view key, TimePoint now) {
  if (slab_.size() == 0) return false;
  uint32_t idx = FindLive(key, now);
  if (idx == KeyedSlab::kNone) return false;
  slab_.Erase(idx);
  ++counters_.released_by_register;
  return true;
}

size_t LeaseTable::ReleaseOwners(std::span<const uint64_t> owners, TimePoint now) {
  if (owners.empty() || slab_.size() == 0) return 0;
  const int64_t now_ns = Ns(now);
  size_t released = 0;
  for (uint32_t idx = 0; idx < slab_.index_limit(); ++idx) {
    if (!slab_.IsLive(idx) || Deadline(idx) <= now_ns) continue;  // expired: Tick's to count
    if (!std::binary_search(owners.begin(), owners.end(), Owner(idx))) continue;
    slab_.Erase(idx);  // its queue item becomes stale (no longer matches a live record)
    ++released;
  }
  counters_.released_by_departure += released;
  return released;
}

size_t LeaseTable::Tick(TimePoint now, size_t max_work) {
  size_t expired = 0;
  const int64_t now_ns = Ns(now);
  for (size_t work = 0; work < max_work && !queue_.empty(); ++work) {
    const QueueItem item = queue_.front();
    if (item.deadline_ns > now_ns) break;
    queue_.pop_front();
    // A stale item (lease refreshed, released, or its record reused) no longer matches.
    if (slab_.IsLive(item.idx) && Deadline(item.idx) == item.deadline_ns) {
      Expire(item.idx);
      ++expired;
    }
  }
  return expired;
}

std::optional<TimePoint> LeaseTable::NextDeadline() const {
  if (queue_.empty()) return std::nullopt;
  return TimePoint(Duration(queue_.front().deadline_ns));
}

}  // namespace blockhub
