// LeaseTable alone: grant/refresh/deny, renew, release, drop on register, expiry by Tick and
// lazily, stale queue items.
#include "hub/core/lease_table.h"

#include <doctest/doctest.h>

#include <chrono>

namespace blockhub {
namespace {

using A = LeaseTable::AcquireResult;
TimePoint Ms(int64_t ms) { return TimePoint(std::chrono::milliseconds(ms)); }

TEST_CASE("lease table: grant, refresh, deny, expiry without Tick") {
  LeaseTable t(KeyFormat::kBytes, 64, std::chrono::milliseconds(100));
  CHECK(t.Acquire("k", 1, Ms(0)) == A::kGranted);
  CHECK(t.Acquire("k", 2, Ms(50)) == A::kLeased);
  CHECK(t.Acquire("k", 1, Ms(60)) == A::kRefreshed);  // until 160
  uint64_t holder = 0;
  CHECK(t.HasLive("k", Ms(159), &holder));
  CHECK(holder == 1);
  CHECK_FALSE(t.HasLive("k", Ms(160)));
  CHECK(t.Acquire("k", 2, Ms(160)) == A::kGranted);
  CHECK(t.counters().expired == 1);
  CHECK(t.counters().granted == 2);
  CHECK(t.counters().refreshed == 1);
  CHECK(t.counters().denied == 1);
}

TEST_CASE("lease table: renew, release, drop for register") {
  LeaseTable t(KeyFormat::kU64, 64, std::chrono::milliseconds(100));
  const std::string a(8, 'a'), b(8, 'b');
  t.Acquire(a, 1, Ms(0));
  t.Acquire(b, 1, Ms(0));
  CHECK_FALSE(t.Renew(a, 2, Ms(10)));
  CHECK(t.Renew(a, 1, Ms(90)));  // until 190
  CHECK_FALSE(t.Release(a, 2, Ms(100)));
  CHECK_FALSE(t.Release(b, 1, Ms(100)));  // expired at 100
  CHECK(t.DropForRegister(a, Ms(150)));
  CHECK_FALSE(t.Release(a, 1, Ms(150)));
  CHECK(t.size() == 0);
  CHECK(t.counters().released_by_register == 1);
}

TEST_CASE("lease table: Tick is bounded and skips stale queue items") {
  LeaseTable t(KeyFormat::kBytes, 64, std::chrono::milliseconds(100));
  for (int i = 0; i < 10; ++i) t.Acquire("k" + std::to_string(i), 1, Ms(0));
  t.Acquire("k0", 1, Ms(50));  // refreshed: its first queue item becomes stale
  t.Release("k1", 1, Ms(50));
  CHECK(t.NextDeadline() == Ms(100));
  CHECK(t.Tick(Ms(100), 4) == 2);  // items k0 (stale), k1 (released), k2, k3
  CHECK(t.Tick(Ms(100), 100) == 6);
  CHECK(t.size() == 1);
  CHECK(t.NextDeadline() == Ms(150));
  CHECK(t.Tick(Ms(149), 100) == 0);
  CHECK(t.Tick(Ms(150), 100) == 1);
  CHECK_FALSE(t.NextDeadline().has_value());
  CHECK(t.counters().expired == 9);
}

}  // namespace
}  // namespace blockhub
