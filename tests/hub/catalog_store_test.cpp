// MemoryCatalogStore and its KeyedSlab alone: inline and arena payloads, bytes keys, erase and
// handle reuse.
#include <doctest/doctest.h>

#include <cstring>
#include <string>

#include "hub/core/block_lineage.h"
#include "hub/core/keyed_slab.h"
#include "hub/store/memory_catalog_store.h"

namespace blockhub {
namespace {

TEST_CASE("memory store: inline and arena payloads round-trip, erase frees and reuses") {
  HubConfig cfg;
  cfg.limits.key_format = KeyFormat::kBytes;
  MemoryCatalogStore s;
  REQUIRE(s.Open(cfg).ok());
  const std::string big(3000, 'x'), meta(100, 'm');
  auto a = s.Insert(Entry{"a", "12345678", ""});
  auto b = s.Insert(Entry{"bb", big, meta});
  auto c = s.Insert(Entry{"ccc", "", ""});
  CHECK(s.size() == 3);
  CHECK(s.Find("bb") == b);
  CHECK(s.Find("b") == CatalogStore::kNoHandle);
  CHECK(s.Get(a) == Entry{"a", "12345678", ""});
  CHECK(s.Get(b) == Entry{"bb", big, meta});
  CHECK(s.Get(c) == Entry{"ccc", "", ""});
  s.Erase(b);
  CHECK_FALSE(s.IsLive(b));
  CHECK(s.Find("bb") == CatalogStore::kNoHandle);
  auto d = s.Insert(Entry{"dddd", big, meta});
  CHECK(d == b);  // handle reused
  CHECK(s.Get(d).key == "dddd");
  CHECK(s.Get(d).value == big);
  CHECK(s.handle_limit() == 3);
}

TEST_CASE("memory store: many fixed-width keys") {
  HubConfig cfg;
  cfg.limits.key_format = KeyFormat::kU64;
  MemoryCatalogStore s;
  REQUIRE(s.Open(cfg).ok());
  for (uint64_t i = 0; i < 200'000; ++i) {
    std::string k(reinterpret_cast<const char*>(&i), 8);
    s.Insert(Entry{k, k, {}});
  }
  for (uint64_t i = 0; i < 200'000; i += 2) {
    std::string k(reinterpret_cast<const char*>(&i), 8);
    s.Erase(s.Find(k));
  }
  CHECK(s.size() == 100'000);
  uint64_t seven = 7;
  std::string k7(reinterpret_cast<const char*>(&seven), 8);
  REQUIRE(s.Find(k7) != CatalogStore::kNoHandle);
  CHECK(s.Get(s.Find(k7)).value == k7);
}

TEST_CASE("keyed slab: erased records are reused most recent first, live ones untouched") {
  // The free list is linked through the erased records themselves.
  KeyedSlab slab(8, 8, 8);
  auto key = [](uint64_t k) { return std::string(reinterpret_cast<const char*>(&k), 8); };
  for (uint64_t k = 0; k < 10; ++k) {
    const uint32_t idx = slab.Insert(key(k));
    REQUIRE(idx == k);
    std::memcpy(slab.Payload(idx), &k, 8);
  }
  for (uint32_t idx : {2u, 7u, 4u}) slab.Erase(idx);
  CHECK(slab.size() == 7);
  CHECK(slab.Insert(key(100)) == 4u);
  CHECK(slab.Insert(key(101)) == 7u);
  CHECK(slab.Insert(key(102)) == 2u);
  CHECK(slab.Insert(key(103)) == 10u);  // the list is empty: a new record
  for (uint64_t k : {0, 1, 3, 5, 6, 8, 9}) {
    const uint32_t idx = slab.Find(key(k));
    REQUIRE(idx == k);
    uint64_t payload;
    std::memcpy(&payload, slab.Payload(idx), 8);
    CHECK(payload == k);
  }
  CHECK(slab.Find(key(100)) == 4u);
  CHECK(slab.Find(key(2)) == KeyedSlab::kNone);
}

TEST_CASE("lineage: u64 keys from PositionMetadata, positional keys from the key") {
  std::string meta(24, '\0');
  uint32_t pos = 4;
  uint64_t parent = 0x1234;
  std::memcpy(meta.data(), &pos, 4);
  std::memcpy(meta.data() + 4, &parent, 8);
  BlockLineage u = LineageOf(KeyFormat::kU64, std::string(8, 'k'), meta);
  CHECK(u.depth == 4);
  CHECK(u.parent() == std::string_view(reinterpret_cast<const char*>(&parent), 8));
  CHECK(LineageOf(KeyFormat::kU64, std::string(8, 'k'), "").parent_len == 0);
  const std::string key = EncodePositionalKey({9, 0x55, 7});
  BlockLineage p = LineageOf(KeyFormat::kPositional, key, meta);
  CHECK(p.depth == 7);
  CHECK(p.parent() == EncodePositionalKey({9, 0x1234, 6}));
  CHECK(LineageOf(KeyFormat::kPositional, EncodePositionalKey({9, 1, 0}), meta).parent_len == 0);
}

}  // namespace
}  // namespace blockhub
