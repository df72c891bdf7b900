// LocalCache: the client's memory of keys known to be stored (DYN_REGISTRY_CLIENT_LOCAL_CACHE).
//
// It holds keys the hub said are stored — AlreadyStored answers, Match hits (with their entries),
// the client's own acknowledged registrations — in an LRU of at most `capacity` keys. An entry is
// trusted for `ttl` after it was learnt; after that it is a miss and is dropped. Only "stored" is
// ever remembered: the cache answers AlreadyStored (CanOffload) or the entry (Match), never Granted
// or Leased, because those are about leases, which only the hub can decide.
//
// Removes and evictions done elsewhere reach it as Invalidate(key) (from the hub's events);
// anything that may have lost events (a sequence gap, a new hub epoch, a lost event connection)
// calls Clear(). How stale an answer can be is in the README ("The client's local cache").
//
// Learning races with invalidation: a reply and an event travel on different connections, so the
// event of a Remove applied after the hub answered "stored" may arrive before that answer. A
// caller therefore takes Generation() before it sends a request and learns from the reply with
// it: the key is not learnt when it was invalidated (or the cache cleared) since. The memory of
// recent invalidations is bounded (kRecentInvalidations keys); a reply older than what it
// remembers teaches nothing. While learning is off (SetLearning(false): an event stream that is
// not live yet, or lost), nothing is learnt at all.
//
// Thread-safe (one mutex): callers' threads look up, the client's I/O thread learns.
#pragma once

#include <cstdint>
#include <deque>
#include <list>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "client/block_entry.h"
#include "common/clock.h"

namespace blockhub {

struct LocalCacheCounters {
  uint64_t hits = 0;           // lookups answered from the cache
  uint64_t misses = 0;         // lookups that had to ask the hub (absent, expired, no entry)
  uint64_t expired = 0;        // of the misses: entries older than the TTL, dropped
  uint64_t invalidations = 0;  // keys dropped because they were removed or evicted
  uint64_t clears = 0;         // whole-cache clears (gap, epoch change, lost events, Clear())
  uint64_t size = 0;           // keys held now
};

class LocalCache {
 public:
  // capacity 0 = off: every lookup misses (and counts nothing), nothing is learnt.
  LocalCache(size_t capacity, Duration ttl, const Clock& clock);

  bool enabled() const { return capacity_ > 0; }

  // CanOffload: true when `key` is known stored (with or without its entry).
  bool KnownStored(std::string_view key);
  // KnownStored for a batch under one lock: known[i] = 1 when keys[i] is; returns how many are.
  size_t KnownStored(std::span<const std::string> keys, std::vector<uint8_t>& known);
  // Match: the stored entry when it is known (a key learnt from CanOffload has none: a miss).
  std::optional<BlockEntry> Entry(std::string_view key);

  // Taken before a request is sent; passed to Learn* with its reply.
  uint64_t Generation() const;
  void LearnStored(std::string_view key, uint64_t since);    // AlreadyStored answer: key only
  void LearnEntry(const BlockEntry& entry, uint64_t since);  // Match hit or acknowledged register
  void Invalidate(std::string_view key);  // removed or evicted (an event, or our own Remove)
  void Clear();
  // Off: Learn* do nothing (events configured but not live). On by default.
  void SetLearning(bool on);
  bool learning() const;

  static constexpr size_t kRecentInvalidations = 65536;

  LocalCacheCounters counters() const;

 private:
  struct Slot {
    std::list<std::string>::iterator lru;  // position in lru_ (front = most recently used)
    TimePoint learnt;
    std::optional<BlockEntry> entry;
  };
  using Map = std::unordered_map<std::string, Slot>;

  // The live slot of `key`, refreshed in the LRU; nullptr (and the slot dropped) when expired.
  Slot* Find(std::string_view key, TimePoint now);
  void Put(std::string_view key, std::optional<BlockEntry> entry, uint64_t since);
  void EraseLocked(Map::iterator it);

  const size_t capacity_;
  const Duration ttl_;
  const Clock& clock_;
  mutable std::mutex mu_;
  Map map_;
  std::list<std::string> lru_;
  LocalCacheCounters counters_;
  // Learning guard (see above): generation +1 per invalidation and clear.
  bool learning_ = true;
  uint64_t generation_ = 0;
  uint64_t cleared_at_ = 0;  // generation of the last Clear
  uint64_t floor_ = 0;       // generation of the newest invalidation forgotten from recent_
  std::unordered_map<std::string, uint64_t> recent_;        // key -> generation of invalidation
  std::deque<std::pair<std::string, uint64_t>> recent_order_;  // oldest first
};

}  // namespace blockhub
