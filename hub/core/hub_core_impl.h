// HubCore::Impl: the core's state and per-key operations, shared by hub_core.cpp (catalog, leases,
// recovery, walk) and hub_core_handle.cpp (request dispatch, validation, responses). Private to
// hub/; one thread; not thread-safe.
#pragma once

#include <memory>
#include <span>
#include <string_view>
#include <vector>

#include "hub/core/catalog_store.h"
#include "hub/core/eviction_policy.h"
#include "hub/core/hub_core.h"
#include "hub/core/lease_table.h"
#include "hub/core/member_table.h"

namespace blockhub {

struct HubCore::Impl {
  Impl(HubConfig config, std::unique_ptr<CatalogStore> store);

  // Registers one entry (first writer wins, capacity and eviction apply). `live` = a real
  // registration: drops the key's lease and tells the listener; false for Restore.
  RegisterStatus RegisterOne(const Entry& entry, TimePoint now, bool live);
  // Erases a stored entry; `evicted` picks the counter, `notify` calls the listener.
  void EraseOne(CatalogStore::Handle h, bool evicted, bool notify);
  EntryShape ShapeOf(const Entry& entry) const;

  // Validation (before any effect): counts, key lengths, value/metadata sizes.
  Status CheckKey(std::string_view key) const;
  Status CheckKeys(const KeyList& keys) const;
  Status CheckEntries(const std::vector<Entry>& entries) const;
  // The live-lease bound for a CanOffload of `keys` (only new leases count).
  Status CheckLeaseRoom(const KeyList& keys, TimePoint now);

  // Batches (memory-level parallelism): a request is walked in chunks of kChunk keys. For each
  // chunk, the store is asked for every key at once (FindBatch overlaps the index and record
  // misses) into `found`, then the policy's state of the hits and, with `leases_too`, the lease
  // index of the misses are prefetched; the caller then applies the keys one by one, in order.
  // Only for requests that do not change the store (the handles must stay valid for the chunk).
  static constexpr size_t kChunk = 128;
  void LookUpChunk(std::span<const std::string_view> chunk, bool leases_too);
  // For requests that change the store (Register, Remove): prefetch only, then look up in order.
  void PrefetchChunk(std::span<const std::string_view> chunk, bool leases_too);
  void PrefetchEntries(std::span<const Entry> entries);
  // Registers entries in request order, prefetching chunk by chunk; `live` as for RegisterOne.
  void RegisterAll(const std::vector<Entry>& entries, TimePoint now,
                   std::vector<RegisterStatus>* out);

  Message Reply(ProtocolVersion version, Body body) const;
  Message ErrorReply(ProtocolVersion version, const Status& error) const;
  // Counters with the lease fields brought up to date.
  const HubCounters& SyncedCounters();
  // Every counter and gauge by its documented name (hub/STATS.md).
  StatsResponse StatsBody();
  struct Dispatcher;
  Message Dispatch(OwnerId owner, const Message& request, TimePoint now);

  // Worker membership (hub_core_members.cpp).
  Message HandleAnnounce(OwnerId owner, uint64_t client_id, const Announce& r, TimePoint now);
  Message HandleEnumerate(const Enumerate& r, TimePoint now);
  Message HandleMulticast(OwnerId sender, const Multicast& r, TimePoint now);
  // Members past their deadline leave (at most max_work heap items), their leases released.
  void ExpireMembers(TimePoint now, size_t max_work);
  // `departed` (any order) have left: their live leases are released at once, and counted.
  void ReleaseLeasesOf(std::vector<uint64_t>& departed, TimePoint now);
  uint64_t UnixMs(TimePoint t) const;

  HubConfig config;
  std::unique_ptr<CatalogStore> store;
  std::unique_ptr<EvictionPolicy> policy;
  LeaseTable leases;
  CatalogListener* listener = nullptr;
  CatalogListener* event_listener = nullptr;
  MemberTable members;
  MemberMessageSink* member_sink = nullptr;
  Duration wall_offset{0};
  std::vector<uint64_t> departed;  // scratch for ExpireMembers
  HubCounters counters;  // lease fields are copied from `leases` on read
  uint64_t max_leases;
  size_t fixed_key_len;                     // 0 for bytes keys
  bool needs_shape;                         // the policy reads EntryShape
  std::vector<CatalogStore::Handle> found;  // LookUpChunk's result (scratch)
  // Tells the policy of lookup candidates (LookUpChunk).
  struct PolicyHint final : CatalogStore::CandidateHint {
    explicit PolicyHint(const EvictionPolicy& p) : policy(p) {}
    void OnCandidate(CatalogStore::Handle h) const override { policy.PrefetchUse(h); }
    const EvictionPolicy& policy;
  };
  PolicyHint policy_hint;
  std::vector<std::string_view> chunk_keys;  // scratch for the prefetch helpers
  uint64_t lease_hashes[kChunk];
  CatalogStore::Handle victim_scratch[kChunk];  // scratch for LookUpChunk
};

}  // namespace blockhub
