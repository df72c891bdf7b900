// Batcher alone: size and deadline policy, driven by a ManualClock.
#include "client/batcher.h"

#include <doctest/doctest.h>
#include <fmt/format.h>

#include <chrono>

#include "common/clock.h"

namespace blockhub {
namespace {

using std::chrono::milliseconds;

BlockEntry E(int i) { return {fmt::format("k{}", i), fmt::format("v{}", i), ""}; }

TEST_CASE("batcher: a batch is due when it reaches batch_size") {
  ManualClock clock;
  Batcher b(3, milliseconds(10));
  CHECK_FALSE(b.Add(E(1), clock.Now()));
  CHECK_FALSE(b.Add(E(2), clock.Now()));
  CHECK_FALSE(b.Due(clock.Now()));
  CHECK(b.Add(E(3), clock.Now()));  // reports the full batch
  CHECK(b.Due(clock.Now()));
  auto batch = b.TakeBatch();
  REQUIRE(batch.size() == 3);
  CHECK(batch[0] == E(1));
  CHECK(batch[2] == E(3));
  CHECK(b.empty());
  CHECK_FALSE(b.Due(clock.Now()));
}

TEST_CASE("batcher: a partial batch is due batch_timeout after its OLDEST entry") {
  ManualClock clock;
  Batcher b(100, milliseconds(10));
  CHECK_FALSE(b.NextDeadline().has_value());
  b.Add(E(1), clock.Now());
  const TimePoint first = clock.Now();
  clock.Advance(milliseconds(6));
  b.Add(E(2), clock.Now());  // a newer entry does not push the deadline back
  REQUIRE(b.NextDeadline().has_value());
  CHECK(*b.NextDeadline() == first + milliseconds(10));
  clock.Advance(milliseconds(3));  // 9 ms after the first
  CHECK_FALSE(b.Due(clock.Now()));
  clock.Advance(milliseconds(1));  // exactly 10 ms
  CHECK(b.Due(clock.Now()));
  CHECK(b.TakeBatch().size() == 2);
  CHECK_FALSE(b.NextDeadline().has_value());
}

TEST_CASE("batcher: TakeBatch takes at most batch_size, in arrival order, the rest keeps its age") {
  ManualClock clock;
  Batcher b(2, milliseconds(10));
  b.Add(E(1), clock.Now());
  b.Add(E(2), clock.Now());
  clock.Advance(milliseconds(4));
  b.Add(E(3), clock.Now());
  const TimePoint third = clock.Now();
  auto first = b.TakeBatch();
  REQUIRE(first.size() == 2);
  CHECK(first[0] == E(1));
  CHECK(first[1] == E(2));
  CHECK(b.pending() == 1);
  CHECK(*b.NextDeadline() == third + milliseconds(10));
  CHECK_FALSE(b.Due(clock.Now()));
  clock.Advance(milliseconds(10));
  CHECK(b.Due(clock.Now()));
  auto second = b.TakeBatch();
  REQUIRE(second.size() == 1);
  CHECK(second[0] == E(3));
}

TEST_CASE("batcher: batch_size 1 makes every entry due at once") {
  ManualClock clock;
  Batcher b(1, milliseconds(1000));
  CHECK(b.Add(E(1), clock.Now()));
  CHECK(b.Due(clock.Now()));
}

}  // namespace
}  // namespace blockhub
