// The eviction policies alone (pure classes over u32 handles; ARCHITECTURE.md habit 7).
#include "hub/core/eviction_policy.h"

#include <doctest/doctest.h>

#include <span>
#include <vector>

#include "hub/core/lru_policy.h"
#include "hub/core/positional_policy.h"
#include "hub/core/tail_policy.h"

namespace blockhub {
namespace {

EntryShape Depth(uint32_t d, uint32_t parent = EntryShape::kNoParent) { return {d, parent}; }

TEST_CASE("none never names a victim") {
  NonePolicy p;
  p.OnInsert(0, {});
  CHECK_FALSE(p.Victim().has_value());
}

TEST_CASE("lru: oldest use first, erase unlinks, handles are reused") {
  LruPolicy p;
  CHECK_FALSE(p.Victim().has_value());
  for (uint32_t h = 0; h < 4; ++h) p.OnInsert(h, {});
  p.OnUse(0);
  CHECK(p.Victim() == 1u);
  p.OnErase(1);
  CHECK(p.Victim() == 2u);
  p.OnUse(2);
  p.OnUse(3);
  CHECK(p.Victim() == 0u);
  p.OnInsert(1, {});  // reused handle goes to the back
  p.OnErase(0);
  CHECK(p.Victim() == 2u);
  p.OnErase(2);
  p.OnErase(3);
  CHECK(p.Victim() == 1u);
  p.OnErase(1);
  CHECK_FALSE(p.Victim().has_value());
}

TEST_CASE("lru: NextVictims lists the victims in the order successive erases would see them") {
  LruPolicy p;
  uint32_t out[8];
  CHECK(p.NextVictims(out) == 0);
  for (uint32_t h = 0; h < 5; ++h) p.OnInsert(h, {});
  p.OnUse(1);
  p.OnUse(3);  // order 0, 2, 4, 1, 3
  REQUIRE(p.NextVictims(std::span<uint32_t>(out, 3)) == 3);
  CHECK(std::vector<uint32_t>(out, out + 3) == std::vector<uint32_t>{0, 2, 4});
  REQUIRE(p.NextVictims(out) == 5);
  std::vector<uint32_t> erased;
  while (auto v = p.Victim()) {
    erased.push_back(*v);
    p.OnErase(*v);
  }
  CHECK(std::vector<uint32_t>(out, out + 5) == erased);
  NonePolicy none;
  none.OnInsert(0, {});
  CHECK(none.NextVictims(out) == 0);
}

TEST_CASE("positional: highest position, then least recently used") {
  PositionalPolicy p;
  p.OnInsert(0, Depth(3));
  p.OnInsert(1, Depth(9));
  p.OnInsert(2, Depth(9));
  p.OnInsert(3, Depth(1));
  CHECK(p.Victim() == 1u);
  p.OnUse(1);
  CHECK(p.Victim() == 2u);
  p.OnErase(2);
  p.OnErase(1);
  CHECK(p.Victim() == 0u);
  p.OnErase(0);
  CHECK(p.Victim() == 3u);
}

TEST_CASE("tail: deepest leaf, oldest among equals, parents become leaves, children become roots") {
  TailPolicy p;
  p.OnInsert(0, Depth(0));
  p.OnInsert(1, Depth(1, 0));
  p.OnInsert(2, Depth(2, 1));
  p.OnInsert(3, Depth(5));  // a deep root, inserted last
  CHECK(p.Victim() == 3u);
  p.OnErase(3);
  CHECK(p.Victim() == 2u);
  p.OnErase(1);             // inner entry removed: 2 becomes a root, 0 a leaf
  CHECK(p.Victim() == 2u);  // depth 2 beats depth 0
  p.OnErase(2);
  CHECK(p.Victim() == 0u);
  p.OnInsert(1, Depth(1, 0));  // handle 1 reused, child of 0 again
  CHECK(p.Victim() == 1u);
  p.OnErase(0);  // 1's link to 0 is cut
  p.OnInsert(0, Depth(0));
  p.OnErase(1);  // must not touch the new entry at handle 0
  CHECK(p.Victim() == 0u);
  p.OnInsert(4, Depth(0));
  CHECK(p.Victim() == 0u);  // older of two depth-0 leaves
}

}  // namespace
}  // namespace blockhub
