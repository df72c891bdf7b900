// EvictionPolicy: which stored entry makes room when the catalog is full. Pure bookkeeping over
// the store's u32 handles (no keys, no I/O), so each policy is tested alone. Every operation is
// O(1) (none, lru) or O(log n) (tail, positional).
//
// HubCore tells a policy about every insert, use (register of a present key, Touch, Match hit,
// AlreadyStored answer) and erase (Remove, eviction, restore-erase), and asks Victim() when the
// catalog is full. The caller erases the victim and reports it through OnErase.
//
// Owned by HubCore; one thread; not thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>

#include "hub/core/hub_config.h"

namespace blockhub {

// What a policy may know about an entry, computed by HubCore from the key and metadata
// (block_lineage.h). `parent` is the handle of the stored parent entry, if any.
struct EntryShape {
  static constexpr uint32_t kNoParent = 0xFFFF'FFFFu;
  uint32_t depth = 0;  // position in the sequence (PositionMetadata.position / key position)
  uint32_t parent = kNoParent;
};

class EvictionPolicy {
 public:
  virtual ~EvictionPolicy() = default;
  virtual void OnInsert(uint32_t handle, const EntryShape& shape) = 0;
  virtual void OnUse(uint32_t handle) = 0;
  virtual void OnErase(uint32_t handle) = 0;
  // The entry to evict next, or nullopt (empty, or the `none` policy).
  virtual std::optional<uint32_t> Victim() const = 0;
  // A hint that OnUse may come next for this handle (HubCore calls it for every lookup candidate,
  // so some are never used): a policy may start loading its per-entry state. No observable
  // effect; default: nothing.
  virtual void PrefetchUse(uint32_t /*handle*/) const {}
  // The second round of that hint, called a little later with the handles found (kNoHandle
  // entries are skipped): a policy may now read the state PrefetchUse started loading and
  // prefetch what it points at (an LRU list's neighbours). The caller puts other independent
  // work between the two rounds.
  virtual void PrefetchUsesNext(std::span<const uint32_t> /*handles*/) const {}
  // A hint for a batch of inserts into a full catalog: writes the entries Victim() would return
  // one after another if each were erased and nothing else changed (at most out.size()), and
  // returns how many. Callers only prefetch with it. Default: none.
  virtual size_t NextVictims(std::span<uint32_t> /*out*/) const { return 0; }
  // Room for handles 0 .. entries-1 without reallocating (called once at start, with the
  // capacity up to kMaxPresizedEntries): growth would copy every entry's state. Default: nothing.
  virtual void Reserve(size_t /*entries*/) {}
  // True if OnInsert needs EntryShape::parent (saves HubCore the parent lookup otherwise).
  virtual bool wants_parent() const { return false; }
};

// Never evicts: at capacity the core rejects registrations.
class NonePolicy final : public EvictionPolicy {
 public:
  void OnInsert(uint32_t, const EntryShape&) override {}
  void OnUse(uint32_t) override {}
  void OnErase(uint32_t) override {}
  std::optional<uint32_t> Victim() const override { return std::nullopt; }
};

std::unique_ptr<EvictionPolicy> MakeEvictionPolicy(EvictionKind kind);

}  // namespace blockhub
