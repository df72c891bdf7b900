// HubCore semantics through Handle/Apply (PROTOCOL.md §5), time as explicit TimePoints.
#include "hub/core/hub_core.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <set>

#include "tests/hub/core_test_util.h"

namespace blockhub::testing {
namespace {

using OS = OffloadStatus;
using RS = RegisterStatus;

TEST_CASE("a stored key answers AlreadyStored") {
  CoreHarness h(U64Config());
  CHECK(h.RegisterSync(1, {7}, At(0)) == std::vector<RS>{RS::kStored});
  CHECK(h.CanOffload(2, {7, 8}, At(1)) == std::vector<OS>{OS::kAlreadyStored, OS::kGranted});
  CHECK(h.core().counters().offload_already_stored == 1);
}

TEST_CASE("a key leased by another owner is Leased, the holder's repeat refreshes") {
  CoreHarness h(U64Config());  // TTL 1000 ms
  CHECK(h.CanOffload(1, {5}, At(0)) == std::vector<OS>{OS::kGranted});
  CHECK(h.CanOffload(2, {5}, At(500)) == std::vector<OS>{OS::kLeased});
  CHECK(h.CanOffload(1, {5}, At(900)) == std::vector<OS>{OS::kGranted});  // refresh to 1900
  CHECK(h.CanOffload(2, {5}, At(1500)) == std::vector<OS>{OS::kLeased});  // 1000 would be past
  const HubCounters& c = h.core().counters();
  CHECK(c.leases_granted == 1);
  CHECK(c.leases_refreshed == 1);
  CHECK(c.leases_offload_refreshed == 1);
  CHECK(c.leases_denied == 2);
}

TEST_CASE("after the TTL another owner is Granted, even before Tick") {
  CoreHarness h(U64Config());
  CHECK(h.CanOffload(1, {5}, At(0)) == std::vector<OS>{OS::kGranted});
  CHECK(h.CanOffload(2, {5}, At(999)) == std::vector<OS>{OS::kLeased});
  CHECK(h.CanOffload(2, {5}, At(1000)) == std::vector<OS>{OS::kGranted});
  CHECK(h.CanOffload(1, {5}, At(1001)) == std::vector<OS>{OS::kLeased});
  CHECK(h.core().counters().leases_expired == 1);
}

TEST_CASE("CanOffload [k, k] grants twice (the second refreshes the caller's lease)") {
  CoreHarness h(U64Config());
  CHECK(h.CanOffload(1, {9, 9}, At(0)) == std::vector<OS>{OS::kGranted, OS::kGranted});
  CHECK(h.core().counters().leases_granted == 1);
  CHECK(h.core().counters().leases_refreshed == 1);
  CHECK(h.core().active_leases() == 1);
}

TEST_CASE("registration releases the lease, whoever registers") {
  CoreHarness h(U64Config());
  CHECK(h.CanOffload(1, {5, 6}, At(0)) == std::vector<OS>{OS::kGranted, OS::kGranted});
  CHECK(h.RegisterSync(2, {5}, At(10)) == std::vector<RS>{RS::kStored});
  CHECK(h.core().counters().leases_released_by_register == 1);
  CHECK(h.Release(1, {5, 6}, At(20)) == 1);  // only 6 was still held
  CHECK(h.Renew(1, {5}, At(20)) == std::vector<RenewStatus>{RenewStatus::kAlreadyStored});
  CHECK(h.CanOffload(3, {6}, At(30)) == std::vector<OS>{OS::kGranted});
}

TEST_CASE("Register [(k,a),(k,b)] stores a and reports b AlreadyStored") {
  CoreHarness h(U64Config());
  RegisterSync reg;
  std::string k = U64(4), a = U64(100), b = U64(200);
  reg.entries = {Entry{k, a, {}}, Entry{k, b, {}}};
  Message r = h.Send(1, reg, At(0));
  CHECK(std::get<RegisterSyncResponse>(r.body).statuses ==
        std::vector<RS>{RS::kStored, RS::kAlreadyStored});
  Message m = h.Send(1, Match{MatchMode::kAll, h.Keys({4})}, At(1));
  REQUIRE(std::get<MatchResponse>(m.body).entries.size() == 1);
  CHECK(ReadU64(std::get<MatchResponse>(m.body).entries[0].value) == 100);
  CHECK(h.core().counters().entries_already_stored == 1);
}

TEST_CASE("Apply (fire-and-forget Register) stores and reports per entry") {
  CoreHarness h(U64Config());
  std::string k1 = U64(1), k2 = U64(2), v = U64(3);
  Register reg{{Entry{k1, v, {}}, Entry{k2, v, {}}, Entry{k1, v, {}}}};
  CHECK(h.core().Apply(1, reg, At(0)) ==
        std::vector<RS>{RS::kStored, RS::kStored, RS::kAlreadyStored});
  CHECK(h.core().entry_count() == 2);
}

TEST_CASE("Remove deletes stored entries, counts them, and leaves a lease on an unstored key") {
  CoreHarness h(U64Config());
  h.RegisterSync(1, {1, 2}, At(0));
  CHECK(h.CanOffload(1, {3}, At(0)) == std::vector<OS>{OS::kGranted});
  CHECK(h.Remove({1, 1, 3, 4}, At(1)) == 1);
  CHECK(h.CanOffload(2, {3}, At(2)) == std::vector<OS>{OS::kLeased});
  CHECK(h.CanOffload(2, {1}, At(2)) == std::vector<OS>{OS::kGranted});
  CHECK(h.core().entry_count() == 1);
  CHECK(h.core().counters().entries_removed == 1);
}

TEST_CASE("Touch counts stored keys only, duplicates each time") {
  CoreHarness h(U64Config());
  h.RegisterSync(1, {1, 2}, At(0));
  CHECK(h.Touch({1, 1, 3, 2}, At(1)) == 3);
}

TEST_CASE("Match mode 0 skips misses, mode 1 stops at the first miss, duplicates repeat") {
  CoreHarness h(U64Config());
  h.RegisterSync(1, {1, 2, 4}, At(0));
  CHECK(h.Match({1, 2, 3, 4}, At(1)) == std::vector<uint64_t>{1, 2, 4});
  CHECK(h.Match({1, 2, 3, 4}, At(1), MatchMode::kLeadingRun) == std::vector<uint64_t>{1, 2});
  CHECK(h.Match({3, 1}, At(1), MatchMode::kLeadingRun).empty());
  CHECK(h.Match({1, 1}, At(1)) == std::vector<uint64_t>{1, 1});
}

TEST_CASE("Renew and Release") {
  CoreHarness h(U64Config());
  h.CanOffload(1, {1, 2}, At(0));
  h.RegisterSync(1, {3}, At(0));
  CHECK(h.Renew(1, {1, 3, 4}, At(900)) == std::vector<RenewStatus>{RenewStatus::kRenewed,
                                                                   RenewStatus::kAlreadyStored,
                                                                   RenewStatus::kNotHeld});
  CHECK(h.Renew(2, {1}, At(900)) == std::vector<RenewStatus>{RenewStatus::kNotHeld});
  // A Renew refreshes the lease but is not a Granted answer.
  CHECK(h.core().counters().leases_refreshed == 1);
  CHECK(h.core().counters().leases_offload_refreshed == 0);
  // 1 was renewed to 1900; 2 expired at 1000.
  CHECK(h.Release(1, {1, 1, 2}, At(1500)) == 1);
  CHECK(h.Renew(1, {2}, At(1500)) == std::vector<RenewStatus>{RenewStatus::kNotHeld});
  CHECK(h.CanOffload(2, {1, 2}, At(1500)) == std::vector<OS>{OS::kGranted, OS::kGranted});
}

TEST_CASE("Tick expires leases incrementally with bounded work") {
  CoreHarness h(U64Config());
  std::vector<uint64_t> keys;
  for (uint64_t k = 0; k < 100; ++k) keys.push_back(k);
  h.CanOffload(1, keys, At(0));
  CHECK(h.core().NextLeaseDeadline() == At(1000));
  CHECK(h.core().Tick(At(999), 1000) == 0);
  CHECK(h.core().Tick(At(1000), 30) == 30);
  CHECK(h.core().active_leases() == 70);
  CHECK(h.core().Tick(At(1000), 1000) == 70);
  CHECK(h.core().active_leases() == 0);
  CHECK_FALSE(h.core().NextLeaseDeadline().has_value());
  CHECK(h.core().counters().leases_expired == 100);
}

TEST_CASE("eviction none rejects at capacity, AlreadyStored even when full, Remove frees room") {
  CoreHarness h(U64Config(EvictionKind::kNone, 2));
  CHECK(h.RegisterSync(1, {1, 2, 3, 1}, At(0)) ==
        std::vector<RS>{RS::kStored, RS::kStored, RS::kRejected, RS::kAlreadyStored});
  CHECK(h.core().counters().entries_rejected == 1);
  CHECK(h.Remove({2}, At(1)) == 1);
  CHECK(h.RegisterSync(1, {3}, At(2)) == std::vector<RS>{RS::kStored});
}

TEST_CASE("lru evicts the least recently used, Touch, Match and AlreadyStored are uses") {
  CoreHarness h(U64Config(EvictionKind::kLru, 3));
  h.RegisterSync(1, {1, 2, 3}, At(0));
  h.Touch({1}, At(1));          // order 2,3,1
  h.Match({2}, At(2));          // order 3,1,2
  h.CanOffload(1, {3}, At(3));  // AlreadyStored: order 1,2,3
  CHECK(h.RegisterSync(1, {4}, At(4)) == std::vector<RS>{RS::kStored});
  CHECK_FALSE(h.Stored(1));
  CHECK(h.RegisterSync(1, {5}, At(5)) == std::vector<RS>{RS::kStored});
  CHECK_FALSE(h.Stored(2));
  CHECK(h.core().entry_count() == 3);
  CHECK(h.core().counters().entries_evicted == 2);
}

TEST_CASE("lease bound: only new leases count, over the bound is code 6 with no effect") {
  HubConfig cfg = U64Config();
  cfg.max_leases = 3;
  CoreHarness h(cfg);
  CHECK(h.CanOffload(1, {1, 2}, At(0)) == std::vector<OS>{OS::kGranted, OS::kGranted});
  // 1 and 2 are refreshes (same owner), 3 is new: 3 live leases, allowed.
  CHECK(h.CanOffload(1, {1, 2, 3, 3}, At(1)).size() == 4);
  Message r = h.Send(2, CanOffload{h.Keys({4})}, At(2));
  REQUIRE(std::holds_alternative<ErrorResponse>(r.body));
  CHECK(std::get<ErrorResponse>(r.body).code == StatusCode::kCapacity);
  CHECK(h.core().counters().lease_capacity_errors == 1);
  // Leased answers and stored keys add nothing.
  h.RegisterSync(1, {9}, At(2));
  CHECK(h.CanOffload(2, {1, 9}, At(3)) == std::vector<OS>{OS::kLeased, OS::kAlreadyStored});
  // Once leases expire there is room again (no Tick needed).
  CHECK(h.CanOffload(2, {4, 5, 6}, At(5000)) ==
        std::vector<OS>{OS::kGranted, OS::kGranted, OS::kGranted});
}

TEST_CASE("a refused CanOffload has no effect at all") {
  HubConfig cfg = U64Config();
  cfg.max_leases = 1;
  CoreHarness h(cfg);
  Message r = h.Send(1, CanOffload{h.Keys({1, 2})}, At(0));
  REQUIRE(std::holds_alternative<ErrorResponse>(r.body));
  CHECK(h.core().active_leases() == 0);
  CHECK(h.CanOffload(2, {2}, At(0)) == std::vector<OS>{OS::kGranted});
  // In v1 (no code field) the text names the code, as every other v1 error does; v2 carries the
  // code and the epoch.
  Message v1 = h.Send(1, CanOffload{h.Keys({3})}, At(0), ProtocolVersion::kV1);
  REQUIRE(std::holds_alternative<ErrorResponse>(v1.body));
  CHECK(v1.version == ProtocolVersion::kV1);
  CHECK(std::get<ErrorResponse>(v1.body).message.rfind("capacity: ", 0) == 0);
  CHECK(r.version == ProtocolVersion::kV2);
  CHECK(r.epoch == h.core().config().epoch);
}

TEST_CASE("validation first: a bad key anywhere means no effect") {
  CoreHarness h(U64Config());
  RegisterSync reg;
  std::string k1 = U64(1), bad = "short", v = U64(0);
  reg.entries = {Entry{k1, v, {}}, Entry{bad, v, {}}};
  Message r = h.Send(1, reg, At(0));
  REQUIRE(std::holds_alternative<ErrorResponse>(r.body));
  CHECK(std::get<ErrorResponse>(r.body).code == StatusCode::kBadKey);
  CHECK(h.core().entry_count() == 0);
  Message c = h.Send(1, CanOffload{{k1, bad}}, At(0));
  CHECK(std::get<ErrorResponse>(c.body).code == StatusCode::kBadKey);
  CHECK(h.core().active_leases() == 0);
  HubConfig small = U64Config();
  small.limits.max_batch_keys = 2;
  CoreHarness s(small);
  Message t = s.Send(1, Touch{s.Keys({1, 2, 3})}, At(0));
  CHECK(std::get<ErrorResponse>(t.body).code == StatusCode::kTooLarge);
}

TEST_CASE("responses come in the request's version, v2 carries the epoch and the TTL") {
  CoreHarness h(U64Config());
  Message v2 = h.Send(1, CanOffload{h.Keys({1})}, At(0));
  CHECK(v2.version == ProtocolVersion::kV2);
  CHECK(v2.epoch == 0xE90C);
  CHECK(std::get<CanOffloadResponse>(v2.body).lease_ttl_ms == 1000);
  Message v1 = h.Send(1, CanOffload{h.Keys({2})}, At(0), ProtocolVersion::kV1);
  CHECK(v1.version == ProtocolVersion::kV1);
  CHECK(v1.epoch == 0);
  CHECK(std::get<CanOffloadResponse>(v1.body).lease_ttl_ms == 0);
}

TEST_CASE("wrong channel and unknown type") {
  CoreHarness h(U64Config());
  Message a = h.Send(1, Register{}, At(0));
  CHECK(std::get<ErrorResponse>(a.body).code == StatusCode::kWrongChannel);
  Message b = h.Send(1, TouchResponse{3}, At(0));
  CHECK(std::get<ErrorResponse>(b.body).code == StatusCode::kWrongChannel);
  Message c = h.Send(1, Stats{}, At(0), ProtocolVersion::kV1);
  CHECK(c.version == ProtocolVersion::kV1);
  CHECK(std::get<ErrorResponse>(c.body).code == StatusCode::kUnknownType);
}

TEST_CASE("Hello echoes the configuration") {
  HubConfig cfg = U64Config(EvictionKind::kLru, 4242);
  cfg.limits.max_batch_keys = 77;
  CoreHarness h(cfg);
  Message r = h.Send(1, Hello{"w", "{}"}, At(0));
  const auto& hello = std::get<HelloResponse>(r.body);
  CHECK(hello.lease_ttl_ms == 1000);
  CHECK(hello.key_format == 1);
  CHECK(hello.max_batch_keys == 77);
  CHECK(hello.capacity == 4242);
  CHECK_FALSE(hello.hub_version.empty());
}

TEST_CASE("Stats returns every counter under a unique non-empty name") {
  CoreHarness h(U64Config());
  h.RegisterSync(1, {1}, At(0));
  h.CanOffload(1, {1, 2}, At(0));
  Message r = h.Send(1, Stats{}, At(0));
  const auto& stats = std::get<StatsResponse>(r.body);
  std::set<std::string> names;
  for (const auto& [name, value] : stats.counters) {
    CHECK_FALSE(name.empty());
    CHECK(names.insert(name).second);
  }
  auto value = [&](std::string_view n) {
    for (const auto& [name, v] : stats.counters) {
      if (name == n) return v;
    }
    FAIL("missing " << n);
    return uint64_t{0};
  };
  CHECK(value("entries_stored") == 1);
  CHECK(value("offload_already_stored") == 1);
  CHECK(value("leases_granted") == 1);
  CHECK(value("entries") == 1);
  CHECK(value("active_leases") == 1);
  CHECK(stats.counters.size() >= 20);
}

}  // namespace
}  // namespace blockhub::testing
