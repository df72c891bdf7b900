// Decider: the seam where a decoded request is decided (../shared/ARCHITECTURE.md). HubServer
// drives one and does not care which: HubCore (hub_core.h) decides in process over the memory
// store; a Redis Cluster backend (hub/store/redis/, planned) decides each key inside the cluster
// (one server-side script per key), so that any number of hubs share one catalog and its leases.
// Everything a Decider answers follows PROTOCOL.md §5 exactly, for v1 and v2.
//
// Ownership and threading: one owner thread (the hub's loop) calls everything; `now` is read by
// the caller from an injected Clock. Responses returned by Handle may borrow from the decider's
// memory (MatchResponse entries): encode them before the next call.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "codec/message.h"
#include "common/clock.h"
#include "hub/core/hub_config.h"

namespace blockhub {

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

// Receives the multicast messages a decider decides to send (the server's events publisher puts
// each on the PUB socket, topic member.<id>). Called on the decider's thread, synchronously; must
// not block and must not call back into the decider.
class MemberMessageSink {
 public:
  virtual ~MemberMessageSink() = default;
  virtual void Deliver(uint64_t member_id, uint64_t sender, std::string_view payload) = 0;
};

class Decider {
 public:
  virtual ~Decider() = default;

  // Answers one decoded query request (any request type valid on the query channel) from `owner`
  // in the request's version; v2 responses carry the config's epoch.
  virtual Message Handle(OwnerId owner, const Message& request, TimePoint now) = 0;
  // Applies a fire-and-forget Register (PULL channel), entry by entry: per-entry statuses.
  virtual std::vector<RegisterStatus> Apply(OwnerId owner, const Register& reg,
                                            TimePoint now) = 0;
  // Expires members and leases due by `now` (at most `max_work` units of work on each; a member
  // that expires has its live leases released at once); returns how many leases expired.
  virtual size_t Tick(TimePoint now, size_t max_work) = 0;
  // The earliest lease deadline still to be swept, if any.
  virtual std::optional<TimePoint> NextLeaseDeadline() const = 0;
  // The earliest lease or member deadline still to be swept, if any (the loop's poll timeout).
  virtual std::optional<TimePoint> NextDeadline() const = 0;
  // The change-event publisher (not owned; nullptr to detach): the changes this decider applied.
  virtual void SetEventListener(CatalogListener* listener) = 0;
  // Multicast delivery (not owned; nullptr = none: Multicast then answers wrong_channel, the hub
  // has no events socket).
  virtual void SetMemberSink(MemberMessageSink* sink) = 0;
  // Member times go on the wire as unix ms = (TimePoint + offset) / 1 ms; the server sets the
  // offset once at start (system clock minus its clock). Default 0.
  virtual void SetWallClockOffset(Duration offset) = 0;

  virtual const HubConfig& config() const = 0;
  virtual const HubCounters& counters() const = 0;
  virtual uint64_t entry_count() const = 0;
  virtual uint64_t active_leases() const = 0;
  virtual uint64_t member_count() const = 0;  // members held (expired ones not yet swept included)
};

}  // namespace blockhub
