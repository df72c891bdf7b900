// CatalogStore: the storage seam of the block catalog (ARCHITECTURE.md habit 4). It maps keys of
// the configured format to (value, metadata) and names each stored entry by a dense u32 Handle,
// which the eviction policies use to keep their per-entry state in plain arrays. It makes no
// decisions: capacity, eviction, leases and first-writer-wins live in HubCore.
//
// Implementations live in hub/store/: the in-memory default is MemoryCatalogStore
// (hub/store/memory_catalog_store.h), made by MakeMemoryCatalogStore().
//
// Owned by HubCore; called on the core's thread only; implementations need no locks.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string_view>

#include "codec/message.h"
#include "common/status.h"
#include "hub/core/hub_config.h"

namespace blockhub {

class CatalogStore {
 public:
  using Handle = uint32_t;
  static constexpr Handle kNoHandle = 0xFFFF'FFFFu;

  virtual ~CatalogStore() = default;

  // Called once by HubCore, before any other call, with the validated configuration.
  virtual Status Open(const HubConfig& config) = 0;

  // The entry stored under `key`, or kNoHandle.
  virtual Handle Find(std::string_view key) const = 0;
  // Told, during FindBatch, of each handle that may be a key's entry as soon as the store knows
  // it (before the entry has been read, so some turn out not to match): the caller can start
  // loading its own state for those handles in the same round.
  class CandidateHint {
   public:
    virtual void OnCandidate(Handle handle) const = 0;

   protected:
    ~CandidateHint() = default;
  };
  // Batch lookup: out[i] = Find(keys[i]) for every i, the store unchanged in between. Stores
  // override it to overlap the keys' memory accesses; the default calls Find per key. `hint`
  // (optional) hears of candidates as above; every found handle is among them.
  virtual void FindBatch(std::span<const std::string_view> keys, Handle* out,
                         const CandidateHint* hint = nullptr) const {
    for (size_t i = 0; i < keys.size(); ++i) {
      out[i] = Find(keys[i]);
      if (hint != nullptr && out[i] != kNoHandle) hint->OnCandidate(out[i]);
    }
  }
  // A hint that Find/Insert of these keys come next, in order (e.g. a registration batch): the
  // store may start loading the memory they touch. No observable effect; default: nothing.
  virtual void Prefetch(std::span<const std::string_view> /*keys*/) const {}
  // Stores an entry whose key is absent and valid for the key format (HubCore checks both).
  // A hint that these entries are erased next, in two rounds with other work between them:
  // round 0 starts loading the entries, round 1 (they have arrived) what erasing them touches
  // next (an index slot). No observable effect; default: nothing.
  virtual void PrefetchErase(std::span<const Handle> /*handles*/, int /*round*/) const {}
  virtual Handle Insert(const Entry& entry) = 0;
  virtual void Erase(Handle handle) = 0;
  // The entry's bytes, valid until the entry is erased.
  virtual Entry Get(Handle handle) const = 0;

  virtual uint64_t size() const = 0;
  // Every live handle is below this; a walk over [0, handle_limit()) with IsLive visits all.
  virtual Handle handle_limit() const = 0;
  virtual bool IsLive(Handle handle) const = 0;
};

}  // namespace blockhub
