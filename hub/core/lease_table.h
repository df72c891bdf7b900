// LeaseTable: who may upload which key, until when. One lease per key: an owner (u64) and a
// deadline. Leases live in a KeyedSlab of their own (most stored keys have none) and in an expiry
// queue ordered by deadline. Because every deadline is `now + ttl` with one TTL, deadlines are
// granted in non-decreasing order and a FIFO queue is a correct deadline order; a refresh appends
// a new queue item and leaves the old one stale (detected by its deadline no longer matching).
//
// An expired lease is absent for every operation even before Tick sweeps it: the operation that
// finds it reclaims it (counted as expired). Tick(now, max_work) does at most max_work queue pops,
// so a million simultaneous expiries are spread over many loop turns.
//
// Owned by HubCore; one thread; not thread-safe.
#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <span>
#include <string_view>

#include "codec/key_format.h"
#include "common/clock.h"
#include "hub/core/keyed_slab.h"

namespace blockhub {

struct LeaseCounters {
  uint64_t granted = 0;            // new leases
  uint64_t refreshed = 0;          // same owner asked again (CanOffload) or Renew
  uint64_t offload_refreshed = 0;  // the CanOffload part of `refreshed` (answered Granted)
  uint64_t denied = 0;             // Leased answers
  uint64_t released_by_register = 0;
  uint64_t released = 0;  // by Release
  uint64_t expired = 0;
  uint64_t released_by_departure = 0;  // live leases of members that expired or withdrew
};

class LeaseTable {
 public:
  enum class AcquireResult : uint8_t { kGranted, kRefreshed, kLeased };

  LeaseTable(KeyFormat format, uint32_t max_key_bytes, Duration ttl);
  LeaseTable(const LeaseTable&) = delete;
  LeaseTable& operator=(const LeaseTable&) = delete;

  // A hint that these keys are looked up next (at most a few hundred: see KeyedSlab::Prefetch).
  void Prefetch(std::span<const std::string_view> keys) const;
  // The same hint in two rounds, for callers that put other work between them: PrefetchGroups
  // sets hashes[i] and starts loading the index; PrefetchRecords (same hashes) the leases.
  void PrefetchGroups(std::span<const std::string_view> keys, uint64_t* hashes) const {
    if (slab_.size() != 0) slab_.PrefetchGroups(keys, hashes);
  }
  void PrefetchRecords(std::span<const uint64_t> hashes) const {
    if (slab_.size() != 0) slab_.PrefetchRecords(hashes, /*inserting=*/true);
  }
  // CanOffload for a key that is not stored: grant, refresh (same owner), or deny.
  AcquireResult Acquire(std::string_view key, uint64_t owner, TimePoint now);
  // True if someone holds a live lease on `key`; sets *holder to the owner when given.
  bool HasLive(std::string_view key, TimePoint now, uint64_t* holder = nullptr) const;
  // Extends `owner`'s live lease; false if it holds none.
  bool Renew(std::string_view key, uint64_t owner, TimePoint now);
  // Drops `owner`'s live lease; false if it holds none.
  bool Release(std::string_view key, uint64_t owner, TimePoint now);
  // The key was registered: drops any lease on it. True if a live lease was dropped.
  bool DropForRegister(std::string_view key, TimePoint now);

  // Drops every live lease held by one of `owners` (sorted ascending); returns how many. One walk
  // over the table (no per-owner index: the lease hot path stays as it is), so callers batch the
  // owners that departed together.
  size_t ReleaseOwners(std::span<const uint64_t> owners, TimePoint now);

  // Expires leases with deadline <= now, popping at most `max_work` queue items. Returns the
  // number of leases expired.
  size_t Tick(TimePoint now, size_t max_work);
  // Earliest queued deadline (possibly a stale item: waking for it is harmless).
  std::optional<TimePoint> NextDeadline() const;

  // Leases held, including expired ones not yet reclaimed (an upper bound of the live ones; exact
  // after Tick has caught up).
  size_t size() const { return slab_.size(); }
  const LeaseCounters& counters() const { return counters_; }

 private:
  struct QueueItem {
    uint32_t idx;
    int64_t deadline_ns;
  };
  static int64_t Ns(TimePoint t) { return t.time_since_epoch().count(); }
  uint64_t Owner(uint32_t idx) const;
  int64_t Deadline(uint32_t idx) const;
  void Set(uint32_t idx, uint64_t owner, int64_t deadline_ns);
  // Looks `key` up; an expired lease found is reclaimed (and counted) and reported absent.
  uint32_t FindLive(std::string_view key, uint64_t hash, TimePoint now);
  uint32_t FindLive(std::string_view key, TimePoint now) {
    return FindLive(key, KeyedSlab::HashOf(key), now);
  }
  void Expire(uint32_t idx);

  KeyedSlab slab_;  // payload: owner u64, deadline_ns i64
  int64_t ttl_ns_;
  std::deque<QueueItem> queue_;
  LeaseCounters counters_;
};

}  // namespace blockhub
