// GroupIndex: an open-addressing hash index of u32 values (record numbers) built for batched
// lookups. The caller supplies each value's 64-bit hash and, on lookup, an equality predicate
// (the keys live elsewhere, in KeyedSlab's records), so a key is stored once.
//
// Layout: an array of 64-byte groups (any count), each one cache line holding 12 one-byte tags
// (0 = empty slot, else 8 bits of the hash), an overflow byte and 12 u32 values. A key's home
// group comes from the hash's high 32 bits scaled to the group count (multiply and shift, so the
// count need not be a power of two); probing visits the following groups in turn. The overflow
// byte has bit (hash >> 8) & 7 set when an insert with that bit passed the group because it was
// full, so a lookup ends at the first group without its bit: deletion just clears the tag (no
// tombstones, no shifting); an erase from an overflowed group lowers the max load by one, so steady
// churn ends in a same-size rebuild that clears stale overflow bits. Max load 7/8 of the slots.
// Reserve(n) sizes for n at 2/3 of the slots instead (~8 bytes per entry): a catalog presized to
// its capacity stays at that load when full, where one lookup in a hundred or so leaves its home
// group (at 7/8 it is one in twenty, each a second dependent cache miss), whatever the capacity.
//
// Why not boost::unordered_flat_set: a lookup here touches one cache line of index (Boost 1.81
// touches a metadata group and a separate element array), and Prefetch(hash) lets a batch issue
// all its index loads before the first one is needed; Boost 1.81 has no prefetch-by-hash API.
//
// Big arrays are mmap'd on huge pages (huge_page_allocator.h); untouched groups cost no memory.
// One thread; not thread-safe. Not copyable.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <utility>

#include "hub/core/huge_page_allocator.h"

#ifdef __SSE2__
#include <emmintrin.h>
#endif

namespace blockhub {

class GroupIndex {
 public:
  static constexpr uint32_t kNone = 0xFFFF'FFFFu;

  GroupIndex() { Allocate(1); }
  ~GroupIndex() { Free(); }
  GroupIndex(const GroupIndex&) = delete;
  GroupIndex& operator=(const GroupIndex&) = delete;

  size_t size() const { return size_; }
  // How many values fit before the next rebuild (growth, or a same-size rebuild that clears
  // overflow bits left behind by erases).
  size_t max_load() const { return max_size_; }

  // Diagnostics and tests: the number of groups a lookup of `hash` visits when it misses.
  size_t ProbeLength(uint64_t hash) const {
    const uint8_t bit = OverflowBit(hash);
    size_t pos = Home(hash);
    for (size_t step = 1;; ++step) {
      if ((groups_[pos].overflow & bit) == 0 || step >= groups_count_) return step;
      pos = Next(pos);
    }
  }

  // Starts loading the group a lookup of `hash` reads first.
  void PrefetchGroup(uint64_t hash) const { __builtin_prefetch(&groups_[Home(hash)]); }
  // Second batch stage (the group should be cached by now): starts loading the values whose tag
  // matches, through `load(value)`, and the next group of the probe when a lookup may continue
  // there (the group overflowed with the hash's bit) or, with `inserting`, an insert would (the
  // group is full). Returns true in the first case: the caller may then, once that group has
  // arrived, PrefetchNextCandidates (at high load about one lookup in fifteen needs it).
  template <typename Load>
  bool PrefetchCandidates(uint64_t hash, bool inserting, Load&& load) const {
    const size_t pos = Home(hash);
    const Group& g = groups_[pos];
    const bool onward = (g.overflow & OverflowBit(hash)) != 0;
    if (onward || (inserting && MatchTag(g, 0) == 0)) {
      __builtin_prefetch(&groups_[Next(pos)]);
    }
    for (uint32_t m = MatchTag(g, Tag(hash)); m != 0; m &= m - 1) {
      load(g.values[__builtin_ctz(m)]);
    }
    return onward;
  }
  // Third batch stage for the hashes PrefetchCandidates returned true for: the candidates of the
  // probe's second group.
  template <typename Load>
  void PrefetchNextCandidates(uint64_t hash, Load&& load) const {
    const Group& g = groups_[Next(Home(hash))];
    for (uint32_t m = MatchTag(g, Tag(hash)); m != 0; m &= m - 1) {
      load(g.values[__builtin_ctz(m)]);
    }
  }

  // The value stored under `hash` for which eq(value) holds, or kNone.
  template <typename Eq>
  uint32_t Find(uint64_t hash, Eq&& eq) const {
    const uint8_t tag = Tag(hash);
    const uint8_t bit = OverflowBit(hash);
    size_t pos = Home(hash);
    for (size_t step = 1;; ++step) {
      const Group& g = groups_[pos];
      for (uint32_t m = MatchTag(g, tag); m != 0; m &= m - 1) {
        const uint32_t v = g.values[__builtin_ctz(m)];
        if (eq(v)) return v;
      }
      if ((g.overflow & bit) == 0 || step >= groups_count_) return kNone;
      pos = Next(pos);
    }
  }

  // Adds `value` (absent) under `hash`. Grows first when at max load, re-placing every value:
  // `for_each(place)` must call place(hash, value) once per stored value (the owner walks its
  // records in memory order, which reads them sequentially rather than at random).
  template <typename ForEach>
  void Insert(uint64_t hash, uint32_t value, ForEach&& for_each) {
    if (size_ >= max_size_) Rehash(RebuildGroups(), for_each);
    Place(hash, value);
    ++size_;
  }

  // Removes `value`, stored under `hash`.
  void Erase(uint64_t hash, uint32_t value) {
    const uint8_t tag = Tag(hash);
    size_t pos = Home(hash);
    for (size_t step = 1; step <= groups_count_; ++step) {
      Group& g = groups_[pos];
      for (uint32_t m = MatchTag(g, tag); m != 0; m &= m - 1) {
        const int i = __builtin_ctz(m);
        if (g.values[i] == value) {
          g.tags[i] = 0;
          --size_;
          // The freed slot cannot clear the overflow bits that inserts set while passing this
          // group, so misses keep probing past it. Charge the erase against the max load: under
          // steady churn (a full catalog evicting one entry per insert) the index then rebuilds
          // itself, which clears every stale overflow bit. Amortised O(1) (as Boost's tables do).
          if (g.overflow != 0 && max_size_ > 0) --max_size_;
          return;
        }
      }
      pos = Next(pos);
    }
  }

  // Makes room for `n` values without growing later, at 2/3 load (see top); never shrinks.
  template <typename ForEach>
  void Reserve(size_t n, ForEach&& for_each) {
    const size_t groups = std::min(kMaxGroups, (n + kReservedPerGroup - 1) / kReservedPerGroup);
    if (groups > groups_count_ && MaxLoad(groups_count_) < n) Rehash(groups, for_each);
  }

 private:
  static constexpr int kSlots = 12;
  static constexpr size_t kMaxGroups = size_t{1} << 30;
  static constexpr size_t kReservedPerGroup = kSlots * 2 / 3;
  struct alignas(64) Group {
    uint8_t tags[kSlots];
    uint8_t overflow;
    uint8_t unused[3];
    uint32_t values[kSlots];
  };
  static_assert(sizeof(Group) == 64);

  static size_t MaxLoad(size_t groups) { return groups * kSlots / 8 * 7; }
  // Groups for the rebuild at max load: the same count when the live values fill at most 4/5 of
  // it (the load was worn down by erases: a rebuild clears the overflow bits), else twice as many.
  // 4/5 of 7/8 is above the 2/3 that Reserve sizes for, so a full catalog churning at its
  // capacity rebuilds in place rather than doubling its index.
  size_t RebuildGroups() const {
    const size_t groups = groups_count_;
    if (size_ + 1 <= MaxLoad(groups) / 5 * 4) return groups;
    return groups < kMaxGroups ? groups * 2 : 0;
  }
  static uint8_t Tag(uint64_t hash) {
    const auto t = static_cast<uint8_t>(hash);
    return t == 0 ? 1 : t;
  }
  static uint8_t OverflowBit(uint64_t hash) {
    return static_cast<uint8_t>(1u << ((hash >> 8) & 7));
  }
  size_t Home(uint64_t hash) const {
    return static_cast<size_t>(((hash >> 32) * groups_count_) >> 32);
  }
  size_t Next(size_t pos) const { return pos + 1 == groups_count_ ? 0 : pos + 1; }

  // Bit i set when tags[i] == tag (tag 0 finds the empty slots).
  static uint32_t MatchTag(const Group& g, uint8_t tag) {
#ifdef __SSE2__
    const __m128i v = _mm_load_si128(reinterpret_cast<const __m128i*>(&g));
    const __m128i eq = _mm_cmpeq_epi8(v, _mm_set1_epi8(static_cast<char>(tag)));
    return static_cast<uint32_t>(_mm_movemask_epi8(eq)) & ((1u << kSlots) - 1);
#else
    uint32_t m = 0;
    for (int i = 0; i < kSlots; ++i) m |= uint32_t{g.tags[i] == tag} << i;
    return m;
#endif
  }

  void Place(uint64_t hash, uint32_t value) {
    const uint8_t bit = OverflowBit(hash);
    // Below max load some group has room: the walk ends.
    for (size_t pos = Home(hash);; pos = Next(pos)) {
      Group& g = groups_[pos];
      if (const uint32_t empty = MatchTag(g, 0); empty != 0) {
        const int i = __builtin_ctz(empty);
        g.tags[i] = Tag(hash);
        g.values[i] = value;
        return;
      }
      g.overflow |= bit;
    }
  }

  template <typename ForEach>
  void Rehash(size_t groups, ForEach&& for_each) {
    if (groups == 0) throw std::bad_alloc();  // 2^30 groups: beyond any u32 record number
    Free();
    Allocate(groups);
    for_each([this](uint64_t hash, uint32_t value) { Place(hash, value); });
  }

  void Allocate(size_t groups) {
    groups_ = HugePageAllocator<Group>().allocate(groups);
    if (!HugePageAllocator<Group>::ReturnsZeroed(groups)) {
      std::memset(static_cast<void*>(groups_), 0, groups * sizeof(Group));
    }
    groups_count_ = groups;
    max_size_ = MaxLoad(groups);
  }
  void Free() {
    if (groups_ != nullptr) HugePageAllocator<Group>().deallocate(groups_, groups_count_);
    groups_ = nullptr;
  }

  Group* groups_ = nullptr;
  size_t groups_count_ = 0;
  size_t size_ = 0;
  size_t max_size_ = 0;
};

}  // namespace blockhub
