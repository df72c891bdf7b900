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
#include "hub/core/decider.h"
#include "hub/core/hub_config.h"

namespace blockhub {

class CatalogStore;

// The in-process Decider: the memory store behind the lease table, capacity and eviction.
class HubCore final : public Decider {
 public:
  // `store` (required) holds the entries: e.g. MakeMemoryCatalogStore() (hub/store/).
  HubCore(HubConfig config, std::unique_ptr<CatalogStore> store);
  ~HubCore();
  HubCore(const HubCore&) = delete;
  HubCore& operator=(const HubCore&) = delete;

  // Answers one decoded query request (any request type valid on the query channel) from `owner`
  // in the request's version; v2 responses carry the config's epoch. Requests that violate a
  // limit the codec cannot see (e.g. the live-lease bound) get an ErrorResponse and have no effect.
  Message Handle(OwnerId owner, const Message& request, TimePoint now) override;

  // Applies a fire-and-forget Register (PULL channel), entry by entry. Returns per-entry statuses
  // (the server counts rejections; nothing is sent back). `owner` (the v2 client id, bound to
  // the key under CurveZMQ; 0 for v1) takes no lease; a member's registration is its heartbeat.
  std::vector<RegisterStatus> Apply(OwnerId owner, const Register& reg, TimePoint now) override;

  // Expires members and leases whose deadline is <= now, doing at most `max_work` units of work
  // on each. A member that expires has its live leases released at once. Returns the number of
  // leases expired. Expired leases and members are already treated as absent by every
  // operation; Tick reclaims their memory and counts them (and releases departed members' leases).
  size_t Tick(TimePoint now, size_t max_work = 4096) override;
  // The earliest lease deadline still to be swept, if any.
  std::optional<TimePoint> NextLeaseDeadline() const override;
  // The earliest lease or member deadline still to be swept, if any (the loop's poll timeout).
  std::optional<TimePoint> NextDeadline() const override;
  // Multicast delivery and member times: see Decider.
  void SetMemberSink(MemberMessageSink* sink) override;
  void SetWallClockOffset(Duration offset) override;

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
  void SetEventListener(CatalogListener* listener) override;  // not owned; nullptr to detach

  const HubConfig& config() const override;
  const HubCounters& counters() const override;
  uint64_t entry_count() const override;
  uint64_t active_leases() const override;
  uint64_t member_count() const override;
  // The v2 Stats body: every counter and gauge by its documented name.
  StatsResponse StatsSnapshot() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace blockhub
