// MemoryCatalogStore alone: inline and arena payloads, bytes keys, erase and handle reuse.
#include <doctest/doctest.h>

#include <string>

#include "hub/block_lineage.h"
#include "hub/memory_catalog_store.h"

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
