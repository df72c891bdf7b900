// Eviction through HubCore: tail (parent-aware chains) and positional, observed through the
// CatalogListener (OnErase for every eviction, in order).
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "hub/core/hub_core.h"
#include "tests/hub/core_test_util.h"

namespace blockhub::testing {
namespace {

class RecordingListener : public CatalogListener {
 public:
  void OnInsert(const Entry& e) override { inserted.emplace_back(e.key); }
  void OnErase(std::string_view key, EraseReason reason) override {
    erased.emplace_back(key);
    reasons.push_back(reason);
  }
  std::vector<std::string> inserted;
  std::vector<std::string> erased;
  std::vector<EraseReason> reasons;
};

// Registers u64 key `k` at `position` whose parent is `parent` (0 = none).
void Block(CoreHarness& h, uint64_t k, uint32_t position, uint64_t parent) {
  REQUIRE(h.RegisterEntry(U64(k), U64(k * 10), PositionMeta(position, parent), At(0)) ==
          RegisterStatus::kStored);
}

std::vector<uint64_t> Erased(const RecordingListener& l) {
  std::vector<uint64_t> out;
  for (const std::string& k : l.erased) out.push_back(ReadU64(k));
  return out;
}

TEST_CASE("tail: chain 1->2->3 evicts 3 first") {
  CoreHarness h(U64Config(EvictionKind::kTail, 3));
  RecordingListener l;
  h.core().SetListener(&l);
  Block(h, 1, 0, 0);
  Block(h, 2, 1, 1);
  Block(h, 3, 2, 2);
  Block(h, 10, 0, 0);
  CHECK(Erased(l) == std::vector<uint64_t>{3});
  Block(h, 11, 0, 0);  // 2 is a leaf again and the deepest
  CHECK(Erased(l) == std::vector<uint64_t>{3, 2});
  CHECK(l.inserted.size() == 5);
  CHECK(h.core().counters().entries_evicted == 2);
}

TEST_CASE("tail: capacity 3 with chain 1->2->3 plus child 4 keeps 1 and 2") {
  CoreHarness h(U64Config(EvictionKind::kTail, 3));
  Block(h, 1, 0, 0);
  Block(h, 2, 1, 1);
  Block(h, 3, 2, 2);
  Block(h, 4, 3, 3);
  CHECK(h.Stored(1));
  CHECK(h.Stored(2));
  CHECK(h.Stored(4));  // the new entry is never the victim of its own insert
  CHECK_FALSE(h.Stored(3));
}

TEST_CASE("tail: removing 2 from 1->2 makes 1 the next victim") {
  CoreHarness h(U64Config(EvictionKind::kTail, 2));
  RecordingListener l;
  h.core().SetListener(&l);
  Block(h, 1, 0, 0);
  Block(h, 2, 1, 1);
  CHECK(h.Remove({2}, At(0)) == 1);
  Block(h, 3, 0, 0);
  Block(h, 4, 0, 0);
  CHECK(Erased(l) == std::vector<uint64_t>{2, 1});  // Remove 2, then evict 1 (a leaf again)
}

TEST_CASE("tail: removing 2 from 1->2->3->4 gives eviction order 4, 3, 1") {
  CoreHarness h(U64Config(EvictionKind::kTail, 4));
  RecordingListener l;
  h.core().SetListener(&l);
  Block(h, 1, 0, 0);
  Block(h, 2, 1, 1);
  Block(h, 3, 2, 2);
  Block(h, 4, 3, 3);
  CHECK(h.Remove({2}, At(0)) == 1);
  for (uint64_t root = 100; root < 104; ++root) Block(h, root, 0, 0);
  CHECK(Erased(l) == std::vector<uint64_t>{2, 4, 3, 1});
}

TEST_CASE("tail: a re-registered parent does not adopt its former children") {
  CoreHarness h(U64Config(EvictionKind::kTail, 3));
  RecordingListener l;
  h.core().SetListener(&l);
  Block(h, 1, 0, 0);
  Block(h, 2, 1, 1);
  CHECK(h.Remove({1}, At(0)) == 1);
  Block(h, 1, 0, 0);  // 2 stays a root; 1 is a leaf
  Block(h, 5, 0, 0);
  Block(h, 6, 0, 0);  // leaves: 2 (depth 1) deepest
  Block(h, 7, 0, 0);  // then the oldest depth-0 leaf: 1
  CHECK(Erased(l) == std::vector<uint64_t>{1, 2, 1});
  // The listener learns why each entry left: the Remove, then two evictions.
  CHECK(l.reasons == std::vector<EraseReason>{EraseReason::kRemoved, EraseReason::kEvicted,
                                              EraseReason::kEvicted});
}

TEST_CASE("tail with positional keys: the parent is (worker, parent_hash, position - 1)") {
  HubConfig cfg = U64Config(EvictionKind::kTail, 3);
  cfg.limits.key_format = KeyFormat::kPositional;
  CoreHarness h(cfg);
  RecordingListener l;
  h.core().SetListener(&l);
  const std::string a = Positional(7, 0xA, 0), b = Positional(7, 0xB, 1), c = Positional(7, 0xC, 2),
                    d = Positional(7, 0xD, 0);
  REQUIRE(h.RegisterEntry(a, "v", PositionMeta(0, 0), At(0)) == RegisterStatus::kStored);
  REQUIRE(h.RegisterEntry(b, "v", PositionMeta(1, 0xA), At(0)) == RegisterStatus::kStored);
  REQUIRE(h.RegisterEntry(c, "v", PositionMeta(2, 0xB), At(0)) == RegisterStatus::kStored);
  REQUIRE(h.RegisterEntry(d, "v", PositionMeta(0, 0), At(0)) == RegisterStatus::kStored);
  REQUIRE(h.RegisterEntry(Positional(8, 1, 0), "v", {}, At(0)) == RegisterStatus::kStored);
  CHECK(l.erased == std::vector<std::string>{c, b});
  CHECK(l.reasons == std::vector<EraseReason>{EraseReason::kEvicted, EraseReason::kEvicted});
}

TEST_CASE("positional: highest position first, least recently used within it") {
  HubConfig cfg = U64Config(EvictionKind::kPositional, 3);
  cfg.limits.key_format = KeyFormat::kPositional;
  CoreHarness h(cfg);
  RecordingListener l;
  h.core().SetListener(&l);
  const std::string low = Positional(1, 1, 1), hi_a = Positional(1, 2, 5),
                    hi_b = Positional(1, 3, 5);
  h.RegisterEntry(hi_a, "a", {}, At(0));
  h.RegisterEntry(low, "l", {}, At(0));
  h.RegisterEntry(hi_b, "b", {}, At(0));
  Message t = h.Send(1, Touch{{hi_a}}, At(1));  // hi_b is now the LRU at position 5
  CHECK(std::get<TouchResponse>(t.body).touched == 1);
  h.RegisterEntry(Positional(2, 9, 0), "n", {}, At(2));
  CHECK(l.erased == std::vector<std::string>{hi_b});
  h.RegisterEntry(Positional(2, 8, 0), "n", {}, At(3));
  CHECK(l.erased == std::vector<std::string>{hi_b, hi_a});
  h.RegisterEntry(Positional(2, 7, 0), "n", {}, At(4));
  CHECK(l.erased.back() == low);
}

TEST_CASE("lru: one Register of 300 new keys into a full catalog evicts the 300 oldest, in order") {
  // The batch spans several lookup chunks, each of which prefetches its next victims.
  RecordingListener listener;
  CoreHarness h(U64Config(EvictionKind::kLru, 400));
  h.core().SetListener(&listener);
  std::vector<uint64_t> first, second;
  for (uint64_t k = 1; k <= 400; ++k) first.push_back(k);
  for (uint64_t k = 1001; k <= 1300; ++k) second.push_back(k);
  h.RegisterSync(1, first, At(0));
  h.Touch({5, 7}, At(1));  // 5 and 7 become the most recent: the victims skip them
  const std::vector<RegisterStatus> stored(300, RegisterStatus::kStored);
  CHECK(h.RegisterSync(1, second, At(2)) == stored);
  std::vector<uint64_t> want;
  for (uint64_t k = 1; want.size() < 300; ++k) {
    if (k != 5 && k != 7) want.push_back(k);
  }
  std::vector<uint64_t> erased;
  for (const std::string& k : listener.erased) erased.push_back(ReadU64(k));
  CHECK(erased == want);
  CHECK(h.Stored(5));
  CHECK(h.Stored(7));
  CHECK(h.core().entry_count() == 400);
}

TEST_CASE("listener: OnInsert per stored entry, OnErase for Remove, none for AlreadyStored") {
  CoreHarness h(U64Config(EvictionKind::kLru, 10));
  RecordingListener l;
  h.core().SetListener(&l);
  h.RegisterSync(1, {1, 2, 1}, At(0));
  h.Remove({2, 3}, At(0));
  CHECK(l.inserted.size() == 2);
  CHECK(Erased(l) == std::vector<uint64_t>{2});
  h.core().SetListener(nullptr);
  h.Remove({1}, At(0));
  CHECK(l.erased.size() == 1);
}

TEST_CASE("Restore applies capacity and eviction without the listener, walk sees every entry") {
  CoreHarness h(U64Config(EvictionKind::kLru, 50));
  RecordingListener l;
  h.core().SetListener(&l);
  std::vector<std::string> keys;
  for (uint64_t k = 0; k < 80; ++k) keys.push_back(U64(k));
  for (const std::string& k : keys) CHECK(h.core().Restore(Entry{k, "value", "m"}, At(0)));
  CHECK_FALSE(h.core().Restore(Entry{keys[79], "other", ""}, At(0)));
  CHECK(h.core().entry_count() == 50);
  CHECK(h.core().counters().entries_evicted == 30);
  CHECK(l.inserted.empty());
  CHECK(l.erased.empty());
  CHECK(h.core().RestoreErase(keys[79]));
  CHECK_FALSE(h.core().RestoreErase(keys[79]));
  // Incremental walk, mutating between steps: entries present throughout are seen once.
  std::vector<int> seen(80, 0);
  uint64_t cursor = 0;
  int steps = 0;
  do {
    cursor = h.core().VisitEntries(cursor, 7, [&](const Entry& e) { ++seen[ReadU64(e.key)]; });
    if (steps++ == 2) CHECK(h.core().RestoreErase(keys[78]));
  } while (cursor != 0);
  for (uint64_t k = 30; k < 78; ++k) CHECK(seen[k] == 1);
  for (uint64_t k = 0; k < 30; ++k) CHECK(seen[k] == 0);
  size_t n = 0;
  h.core().ForEachEntry([&](const Entry& e) {
    CHECK(e.value == "value");
    CHECK(e.metadata == "m");
    ++n;
  });
  CHECK(n == 48);
}

}  // namespace
}  // namespace blockhub::testing
