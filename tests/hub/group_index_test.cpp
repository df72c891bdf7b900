// GroupIndex alone: crafted hashes force full groups, overflow chains, tag collisions and growth;
// a randomized run checks every lookup against std::unordered_map.
#include "hub/core/group_index.h"

#include <doctest/doctest.h>

#include <random>
#include <unordered_map>
#include <vector>

namespace blockhub {
namespace {

// Calls place(hash, value) for every entry of the model (GroupIndex growth).
auto EachOf(const std::unordered_map<uint32_t, uint64_t>& model) {
  return [&model](auto&& place) {
    for (const auto& [value, hash] : model) place(hash, value);
  };
}

uint32_t FindIn(const GroupIndex& index, uint64_t hash, uint32_t value) {
  return index.Find(hash, [value](uint32_t v) { return v == value; });
}

TEST_CASE("group index: one home group overflows into a chain, erase keeps the rest findable") {
  GroupIndex index;
  std::unordered_map<uint32_t, uint64_t> model;
  // Same high bits (home group), same tag byte for all, same overflow bit: the worst case.
  auto hash_of = [](uint32_t v) { return (uint64_t{v} << 11) | 0x42; };
  index.Reserve(200, EachOf(model));
  for (uint32_t v = 0; v < 100; ++v) {
    index.Insert(hash_of(v), v, EachOf(model));
    model[v] = hash_of(v);
  }
  CHECK(index.size() == 100);
  for (uint32_t v = 0; v < 100; ++v) CHECK(FindIn(index, hash_of(v), v) == v);
  CHECK(FindIn(index, hash_of(500), 500) == GroupIndex::kNone);
  for (uint32_t v = 0; v < 100; v += 2) {
    index.Erase(hash_of(v), v);
    model.erase(v);
  }
  CHECK(index.size() == 50);
  for (uint32_t v = 0; v < 100; ++v) {
    CHECK(FindIn(index, hash_of(v), v) == (v % 2 == 0 ? GroupIndex::kNone : v));
  }
  // Freed slots are reused without losing the chained entries.
  for (uint32_t v = 1000; v < 1050; ++v) {
    index.Insert(hash_of(v), v, EachOf(model));
    model[v] = hash_of(v);
  }
  for (const auto& [v, h] : model) CHECK(FindIn(index, h, v) == v);
}

TEST_CASE("group index: randomized inserts, erases and growth match a map") {
  GroupIndex index;
  std::unordered_map<uint32_t, uint64_t> model;
  std::mt19937_64 rng(7);
  // Few distinct home bits and tags so collisions and overflow are common.
  auto hash_of = [](uint32_t v) {
    const uint64_t x = (uint64_t{v} * 0x9E3779B97F4A7C15ull) >> 20;
    return (x << 60) | (uint64_t{v % 3} << 8) | (v % 5);
  };
  for (int op = 0; op < 60'000; ++op) {
    const auto v = static_cast<uint32_t>(rng() % 5000);
    const bool present = model.count(v) != 0;
    REQUIRE(FindIn(index, hash_of(v), v) == (present ? v : GroupIndex::kNone));
    if (present && rng() % 3 == 0) {
      index.Erase(hash_of(v), v);
      model.erase(v);
    } else if (!present) {
      index.Insert(hash_of(v), v, EachOf(model));
      model[v] = hash_of(v);
    }
    REQUIRE(index.size() == model.size());
  }
  for (const auto& [v, h] : model) CHECK(FindIn(index, h, v) == v);
}

TEST_CASE("group index: Reserve(n) holds n at 2/3 load, any group count, without a rebuild") {
  GroupIndex index;
  size_t rebuilds = 0;
  auto counting = [&rebuilds](auto&&) { ++rebuilds; };
  constexpr uint32_t kN = 1000;  // 125 groups: not a power of two
  index.Reserve(kN, counting);
  CHECK(rebuilds == 1);
  CHECK(index.max_load() >= kN * 5 / 4);  // 7/8 max load over a 2/3 presize
  std::mt19937_64 rng(11);
  std::vector<uint64_t> hashes(kN);
  for (uint32_t v = 0; v < kN; ++v) {
    hashes[v] = rng();
    index.Insert(hashes[v], v, counting);
  }
  CHECK(rebuilds == 1);
  for (uint32_t v = 0; v < kN; ++v) REQUIRE(FindIn(index, hashes[v], v) == v);
  // Misses rarely look past their home group.
  size_t probes = 0;
  for (int i = 0; i < 10'000; ++i) probes += index.ProbeLength(rng());
  CHECK(probes < 10'000 * 11 / 10);
  index.Reserve(10, counting);  // never shrinks
  CHECK(rebuilds == 1);
  // Churn at that size (a full catalog evicting one entry per insert) wears the max load down
  // until a rebuild, which keeps the group count: the index does not double.
  const size_t max_before = index.max_load();
  auto each = [&](auto&& place) {
    ++rebuilds;
    for (uint32_t v = 0; v < kN; ++v) place(hashes[v], v);
  };
  for (int op = 0; op < 40 * static_cast<int>(kN); ++op) {
    const auto v = static_cast<uint32_t>(rng() % kN);
    index.Erase(hashes[v], v);
    hashes[v] = rng();
    index.Insert(hashes[v], v, each);
  }
  CHECK(rebuilds > 1);
  CHECK(index.max_load() <= max_before);
  for (uint32_t v = 0; v < kN; ++v) REQUIRE(FindIn(index, hashes[v], v) == v);
}

TEST_CASE("group index: steady churn at a fixed size keeps miss probes short") {
  // A full catalog under eviction erases one entry per insert forever. Overflow bits left by
  // erased entries must not pile up until every miss walks the whole table: erases from
  // overflowed groups wear the max load down, and the index rebuilds itself (at the same size).
  GroupIndex index;
  std::unordered_map<uint32_t, uint64_t> model;
  std::mt19937_64 rng(11);
  auto hash_of = [](uint32_t v) { return (uint64_t{v} + 1) * 0x9E3779B97F4A7C15ull; };
  constexpr uint32_t kLive = 10'000;
  index.Reserve(kLive, EachOf(model));
  for (uint32_t v = 0; v < kLive; ++v) {
    index.Insert(hash_of(v), v, EachOf(model));
    model[v] = hash_of(v);
  }
  // Fill close to the max load so that full groups (and overflow bits) are common.
  uint32_t next = kLive;
  while (index.size() < index.max_load() - 8) {
    index.Insert(hash_of(next), next, EachOf(model));
    model[next] = hash_of(next);
    ++next;
  }
  std::vector<uint32_t> live;
  for (const auto& [v, h] : model) live.push_back(v);
  for (int round = 0; round < 400'000; ++round) {
    const size_t at = rng() % live.size();
    index.Erase(hash_of(live[at]), live[at]);
    model.erase(live[at]);
    live[at] = next;
    index.Insert(hash_of(next), next, EachOf(model));
    model[next] = hash_of(next);
    ++next;
  }
  size_t probes = 0;
  constexpr int kMisses = 2000;
  for (int i = 0; i < kMisses; ++i) probes += index.ProbeLength(hash_of(next + 1'000'000 + i));
  CHECK(static_cast<double>(probes) / kMisses < 3.0);
  for (const auto& [v, h] : model) REQUIRE(FindIn(index, h, v) == v);
}

}  // namespace
}  // namespace blockhub
