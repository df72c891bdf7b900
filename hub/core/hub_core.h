// HubCore: the hub's decisions — block catalog, lease table, capacity and eviction — for every v1
// and v2 query and registration, exactly as PROTOCOL.md §5 says. Knows no sockets and no threads;
// time is passed in (`now`, read by the caller from an injected Clock).
//
// Ownership and threading: one owner thread (the hub's loop) calls everything; no locks inside.
// Responses returned by Handle may borrow from catalog memory (MatchResponse entries): encode them
// before the next call into the core.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string_view>

#include "codec/message.h"
#include "common/clock.h"
#include "hub/core/hub_config.h"

namespace blockhub {

class CatalogStore;

// A lease owner: the v2 client_id, or (v1) a 64-bit hash of the peer's ROUTER routing id.
using OwnerId = uint64_t;

// Why an entry left the catalog.
enum class EraseReason : uint8_t {
  kRemoved = 1,  // by a Remove request
  kEvicted = 2,  // by the eviction policy, to make room for a new entry
};

// Observes every change to the catalog in the order applied (inserts by Register/RegisterSync,
// erases by Remove and by eviction). The write-ahead log and the change-event publisher implement
// it. Called on the core's thread, synchronously; must not call back into the core.
class CatalogListener {
 public:
  virtual ~CatalogListener() = default;
  virtual void OnInsert(const Entry& entry) = 0;
  virtual void OnErase(std::string_view key, EraseReason reason) = 0;
};

// Monotonic counters (since start) and gauges. Names in Stats/metrics are documented in
// hub/STATS.md.
struct HubCounters {
  // leases
  uint64_t leases_granted = 0;            // new leases
  uint64_t leases_refreshed = 0;          // same owner asked again / Renew
  uint64_t leases_offload_refreshed = 0;  // the CanOffload part of leases_refreshed (Granted)
  uint64_t leases_denied = 0;             // Leased answers
  uint64_t leases_released_by_register = 0;
  uint64_t leases_released = 0;  // by Release
  uint64_t leases_expired = 0;
  uint64_t lease_capacity_errors = 0;  // CanOffload answered with code 6
  // catalog
  uint64_t entries_stored = 0;          // inserts
  uint64_t entries_already_stored = 0;  // registrations of a present key
  uint64_t entries_rejected = 0;        // refused by capacity (eviction none)
  uint64_t entries_removed = 0;         // by Remove
  uint64_t entries_evicted = 0;         // by the eviction policy
  uint64_t match_hits = 0;
  uint64_t match_misses = 0;
  uint64_t offload_already_stored = 0;  // AlreadyStored answers to CanOffload
  // worker membership
  uint64_t members_announced = 0;  // accepted Announces with a TTL (joins and renewals)
  uint64_t members_joined = 0;     // the part of members_announced that made a new member
  uint64_t members_withdrawn = 0;  // live members removed by an Announce with TTL 0
  uint64_t members_expired = 0;    // members whose TTL lapsed without a request from them
  uint64_t member_capacity_errors = 0;  // Announces refused: max_members live members
  uint64_t multicasts = 0;              // Multicast requests that published
  uint64_t multicast_recipients = 0;    // members matched by them (one message each)
  uint64_t leases_released_by_departure = 0;  // live leases of members that expired or withdrew
};

// Receives the multicast messages the core decides to send (the server's events publisher puts
// each on the PUB socket, topic member.<id>). Called on the core's thread, synchronously; must not
// block and must not call back into the core.
class MemberMessageSink {
 public:
  virtual ~MemberMessageSink() = default;
  virtual void Deliver(uint64_t member_id, uint64_t sender, std::string_view payload) = 0;
};

class HubCore {
 public:
  // `store` (required) holds the entries: e.g. MakeMemoryCatalogStore() (hub/store/).
  HubCore(HubConfig config, std::unique_ptr<CatalogStore> store);
  ~HubCore();
  HubCore(const HubCore&) = delete;
  HubCore& operator=(const HubCore&) = delete;

  // Answers one decoded query request (any request type valid on the query channel) from `owner`
  // in the request's version; v2 responses carry the config's epoch. Requests that violate a
  // limit the codec cannot see (e.g. the live-lease bound) get an ErrorResponse and have no effect.
  Message Handle(OwnerId owner, const Message& request, TimePoint now);

  // Applies a fire-and-forget Register (PULL channel), entry by entry. Returns per-entry statuses
  // (the server counts rejections; nothing is sent back).
  std::vector<RegisterStatus> Apply(OwnerId owner, const Register& reg, TimePoint now);

  // Expires members and leases whose deadline is <= now, doing at most `max_work` units of work
  // on each. A member that expires has its live leases released at once. Returns the number of
  // leases expired. Expired leases and members are already treated as absent by every
  // operation; Tick reclaims their memory and counts them (and releases departed members' leases).
  size_t Tick(TimePoint now, size_t max_work = 4096);
  // The earliest lease deadline still to be swept, if any.
  std::optional<TimePoint> NextLeaseDeadline() const;
  // The earliest lease or member deadline still to be swept, if any (the loop's poll timeout).
  std::optional<TimePoint> NextDeadline() const;

  // Multicast delivery (not owned; nullptr = none: Multicast then answers wrong_channel, the
  // hub has no events socket).
  void SetMemberSink(MemberMessageSink* sink);
  // Member times go on the wire as unix ms = (TimePoint + offset) / 1 ms; the server sets the
  // offset once at start (system clock minus its clock). Default 0.
  void SetWallClockOffset(Duration offset);

  // Recovery: inserts an entry as if registered (capacity and eviction apply) without calling
  // the listener and without lease effects. Returns false if it was already present.
  bool Restore(const Entry& entry, TimePoint now);
  // Recovery: erases a stored key without calling the listener.
  bool RestoreErase(std::string_view key);
  // Visits every stored entry. Must not mutate the core from `fn`.
  void ForEachEntry(const std::function<void(const Entry&)>& fn) const;
  // Incremental walk for snapshots taken while serving: visits up to `max_entries` stored entries
  // from `cursor` (0 to begin) and returns the cursor to continue from, or 0 when the walk is done.
  // Safe across mutations between calls: every entry present for the whole walk is visited exactly
  // once; entries inserted or erased during the walk may or may not be visited (the write-ahead
  // log from the walk's start covers them).
  uint64_t VisitEntries(uint64_t cursor, size_t max_entries,
                        const std::function<void(const Entry&)>& fn) const;

  void SetListener(CatalogListener* listener);  // not owned; nullptr to detach
  // A second, independent observer (the change-event publisher), called after the first.
  void SetEventListener(CatalogListener* listener);  // not owned; nullptr to detach

  const HubConfig& config() const;
  const HubCounters& counters() const;
  uint64_t entry_count() const;
  uint64_t active_leases() const;
  uint64_t member_count() const;  // members held (expired ones not yet swept included)
  // The v2 Stats body: every counter and gauge by its documented name.
  StatsResponse StatsSnapshot() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace blockhub
