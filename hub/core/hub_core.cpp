// HubCore: construction, the per-entry catalog operations, leases' Tick, recovery and the
// incremental walk. Request dispatch is in hub_core_handle.cpp.
#include "hub/core/hub_core.h"

#include <algorithm>
#include <stdexcept>

#include "hub/core/block_lineage.h"
#include "hub/core/hub_core_impl.h"

namespace blockhub {

HubCore::Impl::Impl(HubConfig cfg, std::unique_ptr<CatalogStore> s)
    : config(std::move(cfg)),
      store(std::move(s)),
      policy(MakeEvictionPolicy(config.eviction)),
      leases(config.limits.key_format, config.limits.max_key_bytes, config.lease_ttl),
      max_leases(EffectiveMaxLeases(config)),
      fixed_key_len(KeyFormatLength(config.limits.key_format)),
      needs_shape(config.eviction == EvictionKind::kTail ||
                  config.eviction == EvictionKind::kPositional),
      policy_hint(*policy) {
  if (!store) throw std::invalid_argument("HubCore needs a CatalogStore");
  policy->Reserve(static_cast<size_t>(std::min(config.capacity, kMaxPresizedEntries)));
}

EntryShape HubCore::Impl::ShapeOf(const Entry& entry) const {
  EntryShape shape;
  if (!needs_shape) return shape;
  BlockLineage lineage = LineageOf(config.limits.key_format, entry.key, entry.metadata);
  shape.depth = lineage.depth;
  if (policy->wants_parent() && lineage.parent_len != 0) {
    shape.parent = store->Find(lineage.parent());
  }
  return shape;
}

RegisterStatus HubCore::Impl::RegisterOne(const Entry& entry, TimePoint now, bool live) {
  CatalogStore::Handle h = store->Find(entry.key);
  if (h != CatalogStore::kNoHandle) {
    policy->OnUse(h);
    if (live) ++counters.entries_already_stored;
    return RegisterStatus::kAlreadyStored;
  }
  if (store->size() >= config.capacity) {
    std::optional<uint32_t> victim = policy->Victim();
    if (!victim) {
      ++counters.entries_rejected;
      return RegisterStatus::kRejected;
    }
    // The new entry is not in the catalog yet, so it can never be its own victim.
    EraseOne(*victim, /*evicted=*/true, /*notify=*/live);
  }
  const EntryShape shape = ShapeOf(entry);
  h = store->Insert(entry);
  policy->OnInsert(h, shape);
  if (live) {
    leases.DropForRegister(entry.key, now);
    ++counters.entries_stored;
    if (listener != nullptr) listener->OnInsert(entry);
    if (event_listener != nullptr) event_listener->OnInsert(entry);
  }
  return RegisterStatus::kStored;
}

void HubCore::Impl::LookUpChunk(std::span<const std::string_view> chunk, bool leases_too) {
  found.resize(chunk.size());
  // The policy's state of every candidate entry starts loading in the store's own record round.
  store->FindBatch(chunk, found.data(), &policy_hint);
  // Then rounds of independent loads, each started before the previous one is waited for: the
  // lease index of the misses, the policy's second round, the leases themselves.
  leases_too = leases_too && leases.size() != 0;
  if (leases_too) {
    chunk_keys.clear();
    for (size_t i = 0; i < chunk.size(); ++i) {
      if (found[i] == CatalogStore::kNoHandle) chunk_keys.push_back(chunk[i]);
    }
    leases.PrefetchGroups(chunk_keys, lease_hashes);
  }
  policy->PrefetchUsesNext(found);
  if (leases_too)
    leases.PrefetchRecords(std::span<const uint64_t>(lease_hashes, chunk_keys.size()));
}

void HubCore::Impl::PrefetchChunk(std::span<const std::string_view> chunk, bool leases_too) {
  store->Prefetch(chunk);
  if (leases_too) leases.Prefetch(chunk);
}

void HubCore::Impl::PrefetchEntries(std::span<const Entry> entries) {
  chunk_keys.clear();
  for (const Entry& e : entries) chunk_keys.push_back(e.key);
  PrefetchChunk(chunk_keys, /*leases_too=*/true);
}

void HubCore::Impl::RegisterAll(const std::vector<Entry>& entries, TimePoint now,
                                std::vector<RegisterStatus>* out) {
  out->reserve(out->size() + entries.size());
  const std::span<const Entry> all(entries);
  for (size_t base = 0; base < all.size(); base += kChunk) {
    const auto chunk = all.subspan(base, std::min(kChunk, all.size() - base));
    // A full catalog evicts about one entry per new key: the next victims' records and index
    // slots are loaded in rounds around the entries' own.
    size_t victims = 0;
    if (const uint64_t size = store->size(); size + chunk.size() > config.capacity) {
      const size_t over = static_cast<size_t>(
          std::min<uint64_t>(chunk.size(), size + chunk.size() - config.capacity));
      victims = policy->NextVictims(std::span<uint32_t>(victim_scratch, over));
    }
    const std::span<const CatalogStore::Handle> next_victims(victim_scratch, victims);
    if (victims != 0) store->PrefetchErase(next_victims, 0);
    PrefetchEntries(chunk);
    if (victims != 0) store->PrefetchErase(next_victims, 1);
    for (const Entry& e : chunk) out->push_back(RegisterOne(e, now, /*live=*/true));
  }
}

void HubCore::Impl::EraseOne(CatalogStore::Handle h, bool evicted, bool notify) {
  if (notify) {
    const EraseReason reason = evicted ? EraseReason::kEvicted : EraseReason::kRemoved;
    if (listener != nullptr) listener->OnErase(store->Get(h).key, reason);
    if (event_listener != nullptr) event_listener->OnErase(store->Get(h).key, reason);
  }
  policy->OnErase(h);
  store->Erase(h);
  if (evicted) {
    ++counters.entries_evicted;
  } else if (notify) {
    ++counters.entries_removed;
  }
}

HubCore::HubCore(HubConfig config, std::unique_ptr<CatalogStore> store) {
  // A bad configuration is a start-up error (ARCHITECTURE.md habit 3): main validates first.
  if (Status s = ValidateHubConfig(config); !s.ok()) throw std::invalid_argument(s.ToString());
  impl_ = std::make_unique<Impl>(std::move(config), std::move(store));
  if (Status s = impl_->store->Open(impl_->config); !s.ok()) {
    throw std::invalid_argument(s.ToString());
  }
}

HubCore::~HubCore() = default;

Message HubCore::Handle(OwnerId owner, const Message& request, TimePoint now) {
  return impl_->Dispatch(owner, request, now);
}

std::vector<RegisterStatus> HubCore::Apply(OwnerId owner, const Register& reg, TimePoint now) {
  // Registrations carry no lease owner: registration by anyone drops the key's lease.
  if (!impl_->CheckEntries(reg.entries).ok()) {
    return std::vector<RegisterStatus>(reg.entries.size(), RegisterStatus::kRejected);
  }
  std::vector<RegisterStatus> out;
  impl_->RegisterAll(reg.entries, now, &out);
  // A v2 registration from a member is a heartbeat too (v1 frames come with owner 0).
  if (owner != 0) impl_->members.Heartbeat(owner, now);
  return out;
}

size_t HubCore::Tick(TimePoint now, size_t max_work) {
  impl_->ExpireMembers(now, max_work);
  return impl_->leases.Tick(now, max_work);
}

std::optional<TimePoint> HubCore::NextLeaseDeadline() const { return impl_->leases.NextDeadline(); }

bool HubCore::Restore(const Entry& entry, TimePoint now) {
  if (!impl_->CheckKey(entry.key).ok() ||
      entry.value.size() > impl_->config.limits.max_value_bytes ||
      entry.metadata.size() > impl_->config.limits.max_metadata_bytes) {
    return false;
  }
  return impl_->RegisterOne(entry, now, /*live=*/false) == RegisterStatus::kStored;
}

bool HubCore::RestoreErase(std::string_view key) {
  if (!impl_->CheckKey(key).ok()) return false;
  CatalogStore::Handle h = impl_->store->Find(key);
  if (h == CatalogStore::kNoHandle) return false;
  impl_->EraseOne(h, /*evicted=*/false, /*notify=*/false);
  return true;
}

void HubCore::ForEachEntry(const std::function<void(const Entry&)>& fn) const {
  const CatalogStore& s = *impl_->store;
  for (CatalogStore::Handle h = 0; h < s.handle_limit(); ++h) {
    if (s.IsLive(h)) fn(s.Get(h));
  }
}

uint64_t HubCore::VisitEntries(uint64_t cursor, size_t max_entries,
                               const std::function<void(const Entry&)>& fn) const {
  // The cursor is the next handle to look at. Handles are stable for an entry's lifetime, so an
  // entry present for the whole walk is seen exactly once.
  const CatalogStore& s = *impl_->store;
  const uint64_t limit = s.handle_limit();
  const size_t budget = std::max<size_t>(max_entries, 1);
  size_t visited = 0;
  size_t scanned = 0;
  const size_t max_scanned = budget * 8 + 1024;  // bounds work over freed slots too
  uint64_t h = cursor;
  for (; h < limit && visited < budget && scanned < max_scanned; ++h, ++scanned) {
    if (s.IsLive(static_cast<CatalogStore::Handle>(h))) {
      fn(s.Get(static_cast<CatalogStore::Handle>(h)));
      ++visited;
    }
  }
  return h >= limit ? 0 : h;
}

void HubCore::SetListener(CatalogListener* listener) { impl_->listener = listener; }
void HubCore::SetEventListener(CatalogListener* listener) { impl_->event_listener = listener; }

const HubConfig& HubCore::config() const { return impl_->config; }

const HubCounters& HubCore::counters() const { return impl_->SyncedCounters(); }

StatsResponse HubCore::StatsSnapshot() const { return impl_->StatsBody(); }

uint64_t HubCore::entry_count() const { return impl_->store->size(); }

uint64_t HubCore::active_leases() const { return impl_->leases.size(); }

}  // namespace blockhub
