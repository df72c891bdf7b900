// MemoryCatalogStore: the in-memory CatalogStore. Each entry is one KeyedSlab record:
//   key (fixed width inline; bytes keys with a u16 length) | value_len:u16 | metadata_len:u16 |
//   inline payload (HubConfig::inline_payload_bytes, at least 8)
// value‖metadata sit in the inline payload when they fit, else in a ValueArena block whose 8-byte
// reference takes the inline payload's place. A u64 key -> u64 value entry is a 20-byte record
// plus its index slot (4-byte record number + tag byte): no heap allocation per entry.
// FindBatch/Prefetch work in chunks of kPrefetchChunk keys: hash and prefetch every key's index
// group, then the records their tags name, then look the keys up in order (keyed_slab.h), so a
// batch waits for memory about twice instead of once or twice per key.
//
// Owned by HubCore; one thread; not thread-safe.
#pragma once

#include <memory>
#include <optional>

#include "hub/core/catalog_store.h"
#include "hub/core/keyed_slab.h"
#include "hub/core/value_arena.h"

namespace blockhub {

class MemoryCatalogStore final : public CatalogStore {
 public:
  MemoryCatalogStore() = default;

  Status Open(const HubConfig& config) override;
  Handle Find(std::string_view key) const override { return slab_->Find(key); }
  void FindBatch(std::span<const std::string_view> keys, Handle* out,
                 const CandidateHint* hint) const override;
  void Prefetch(std::span<const std::string_view> keys) const override;
  void PrefetchErase(std::span<const Handle> handles, int round) const override {
    if (round == 0) {
      slab_->PrefetchRecordsAt(handles);
    } else {
      slab_->PrefetchIndexOf(handles);
    }
  }
  Handle Insert(const Entry& entry) override;
  void Erase(Handle handle) override;
  Entry Get(Handle handle) const override;
  uint64_t size() const override { return slab_->size(); }
  Handle handle_limit() const override { return slab_->index_limit(); }
  bool IsLive(Handle handle) const override { return slab_->IsLive(handle); }

 private:
  static constexpr size_t kLengthsBytes = 4;
  // Keys per prefetch round: enough to overlap many misses, few enough that the prefetched lines
  // (two per key) stay in L1 until used.
  static constexpr size_t kPrefetchChunk = 128;

  size_t inline_bytes_ = 8;
  std::unique_ptr<KeyedSlab> slab_;
  std::unique_ptr<ValueArena> arena_;
};

// The in-memory default store (configured by HubCore through Open).
std::unique_ptr<CatalogStore> MakeMemoryCatalogStore();

}  // namespace blockhub
