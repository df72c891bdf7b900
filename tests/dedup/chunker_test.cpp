// Chunker and ChunkStore unit tests (tools/dedup).
#include <doctest/doctest.h>

#include <filesystem>
#include <random>
#include <set>
#include <vector>

#include "tools/dedup/chunk_hash.h"
#include "tools/dedup/chunk_store.h"
#include "tools/dedup/chunker.h"

namespace blockhub::dedup {
namespace {

std::vector<uint8_t> Random(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<uint8_t> v(n);
  for (auto& b : v) b = static_cast<uint8_t>(rng());
  return v;
}

std::set<std::string> Keys(const Chunker& c, const std::vector<uint8_t>& d) {
  std::set<std::string> out;
  size_t off = 0;
  for (size_t len : c.Split(d)) {
    out.insert(Hash128(HashKind::kXxh3, std::span(d).subspan(off, len)));
    off += len;
  }
  return out;
}

TEST_CASE("chunker respects min and max and covers the input") {
  auto p = ChunkerParams::FromAverage(8192);
  REQUIRE(p.has_value());
  CHECK(p->min == 2048);
  CHECK(p->max == 32768);
  Chunker c(*p);
  auto d = Random(1 << 20, 1);
  auto lens = c.Split(d);
  size_t sum = 0;
  for (size_t i = 0; i < lens.size(); ++i) {
    CHECK(lens[i] <= p->max);
    if (i + 1 < lens.size()) CHECK(lens[i] > p->min);
    sum += lens[i];
  }
  CHECK(sum == d.size());
  std::vector<uint8_t> zeros(100000, 0);  // no content boundary: cut at max
  CHECK(c.NextLength(zeros) == p->max);
  CHECK(c.Split({}).empty());
  CHECK(!ChunkerParams::FromAverage(5000).has_value());
}

TEST_CASE("chunk boundaries are stable under an insertion") {
  Chunker c(*ChunkerParams::FromAverage(8192));
  auto d = Random(1 << 20, 2);
  auto edited = d;
  edited.insert(edited.begin() + 500000, {1, 2, 3, 4, 5, 6, 7});
  auto a = Keys(c, d);
  auto b = Keys(c, edited);
  size_t changed = 0;
  for (const auto& k : b) changed += a.count(k) == 0 ? 1 : 0;
  CHECK(changed >= 1);
  CHECK(changed <= 3);  // only the chunks around the edit
}

TEST_CASE("chunk store creates each chunk once and leaves no temporaries") {
  auto root = std::filesystem::temp_directory_path() / ("dedup_store_test." + std::to_string(::getpid()));
  std::filesystem::remove_all(root);
  auto s = ChunkStore::Open(root, true);
  REQUIRE(s.has_value());
  auto d = Random(5000, 3);
  std::string key = Hash128(HashKind::kXxh3, d);
  auto first = (*s)->Put(key, d);
  auto second = (*s)->Put(key, d);
  REQUIRE(first.has_value());
  REQUIRE(second.has_value());
  CHECK(*first);
  CHECK(!*second);
  auto back = (*s)->Read(key);
  REQUIRE(back.has_value());
  CHECK(back->size() == d.size());
  CHECK(std::filesystem::is_empty(root / "tmp"));
  std::filesystem::remove_all(root);
}

}  // namespace
}  // namespace blockhub::dedup
