// HubCore worker membership (codec/FORMAT.md "Members"): Announce/withdraw, TTL bound and
// heartbeats, expiry in Tick, Enumerate filters, Multicast delivery through the sink, limits, and
// the release of a departed member's leases. Time as explicit TimePoints (ManualClock-style).
#include <doctest/doctest.h>

#include <string>
#include <tuple>
#include <vector>

#include "hub/core/hub_core.h"
#include "tests/hub/core_test_util.h"

namespace blockhub::testing {
namespace {

using OS = OffloadStatus;

struct Delivered {
  uint64_t member_id;
  uint64_t sender;
  std::string payload;
  friend bool operator==(const Delivered&, const Delivered&) = default;
};

class RecordingSink final : public MemberMessageSink {
 public:
  void Deliver(uint64_t member_id, uint64_t sender, std::string_view payload) override {
    got.push_back({member_id, sender, std::string(payload)});
  }
  std::vector<Delivered> got;
};

HubConfig MemberConfig() {
  HubConfig c = U64Config();
  c.lease_ttl = std::chrono::milliseconds(30'000);
  c.max_members = 3;
  c.max_member_ttl = std::chrono::milliseconds(10'000);
  return c;
}

// Metadata views must outlive the request: keep the pairs' strings in the harness.
MemberMetadata Meta(CoreHarness& h, std::vector<std::pair<std::string, std::string>> pairs) {
  MemberMetadata out;
  for (auto& [k, v] : pairs) out.push_back({h.Keep(k), h.Keep(v)});
  return out;
}

MemberFilter Filter(CoreHarness& h,
                    std::vector<std::pair<std::string, std::optional<std::string>>> terms) {
  MemberFilter out;
  for (auto& [k, v] : terms) {
    out.push_back({h.Keep(k), v ? std::optional<std::string_view>(h.Keep(*v)) : std::nullopt});
  }
  return out;
}

AnnounceResponse AnnounceOk(CoreHarness& h, OwnerId id, uint32_t ttl_ms, MemberMetadata meta,
                            TimePoint now, std::string_view name = "w") {
  Message reply = h.Send(id, Announce{h.Keep(std::string(name)), ttl_ms, std::move(meta)}, now);
  const auto* r = std::get_if<AnnounceResponse>(&reply.body);
  REQUIRE_MESSAGE(r != nullptr, "not an AnnounceResponse");
  CHECK(reply.epoch == 0xE90C);
  return *r;
}

std::vector<uint64_t> Ids(CoreHarness& h, MemberFilter filter, TimePoint now) {
  Message reply = h.Send(99, Enumerate{std::move(filter)}, now);
  const auto* r = std::get_if<EnumerateResponse>(&reply.body);
  REQUIRE(r != nullptr);
  std::vector<uint64_t> out;
  for (const MemberInfo& m : r->members) out.push_back(m.member_id);
  return out;
}

StatusCode ErrorOf(const Message& m) {
  const auto* e = std::get_if<ErrorResponse>(&m.body);
  return e != nullptr ? e->code : StatusCode::kOk;
}

TEST_CASE("members: announce, renew (metadata replaced), enumerate with times and withdraw") {
  CoreHarness h(MemberConfig());
  h.core().SetWallClockOffset(std::chrono::milliseconds(1'700'000'000'000));
  AnnounceResponse a = AnnounceOk(h, 7, 5000, Meta(h, {{"rank", "0"}, {"tier", "ssd"}}), At(100));
  CHECK(a.member_id == 7);
  CHECK(a.ttl_ms == 5000);
  CHECK_FALSE(a.existed);
  // A renewal replaces the whole metadata and keeps announced_at.
  a = AnnounceOk(h, 7, 4000, Meta(h, {{"rank", "1"}}), At(300), "worker-7");
  CHECK(a.existed);
  Message reply = h.Send(99, Enumerate{{}}, At(400));
  const auto& e = std::get<EnumerateResponse>(reply.body);
  CHECK(e.now_ms == 1'700'000'000'400ull);
  REQUIRE(e.members.size() == 1);
  const MemberInfo& m = e.members[0];
  CHECK(m.member_id == 7);
  CHECK(m.client_id == 7);
  CHECK(m.name == "worker-7");
  CHECK(m.metadata == MemberMetadata{{"rank", "1"}});
  CHECK(m.announced_at_ms == 1'700'000'000'100ull);
  CHECK(m.last_heard_ms == 1'700'000'000'300ull);
  CHECK(m.ttl_ms == 4000);
  // Withdraw.
  a = AnnounceOk(h, 7, 0, {}, At(500));
  CHECK(a.existed);
  CHECK(a.ttl_ms == 0);
  CHECK(Ids(h, {}, At(501)).empty());
  a = AnnounceOk(h, 7, 0, {}, At(502));
  CHECK_FALSE(a.existed);
  const HubCounters& c = h.core().counters();
  CHECK(c.members_announced == 2);
  CHECK(c.members_joined == 1);
  CHECK(c.members_withdrawn == 1);
  CHECK(c.members_expired == 0);
}

TEST_CASE("members: the TTL is capped by max_member_ttl") {
  CoreHarness h(MemberConfig());
  CHECK(AnnounceOk(h, 1, 999'999, {}, At(0)).ttl_ms == 10'000);
  CHECK(Ids(h, {}, At(9'999)) == std::vector<uint64_t>{1});
  CHECK(Ids(h, {}, At(10'000)).empty());
}

TEST_CASE("members: filters by equality and presence, all terms must hold") {
  CoreHarness h(MemberConfig());
  AnnounceOk(h, 3, 5000, Meta(h, {{"role", "prefill"}, {"gpu", "a100"}}), At(0));
  AnnounceOk(h, 1, 5000, Meta(h, {{"role", "decode"}, {"gpu", "h100"}}), At(0));
  AnnounceOk(h, 2, 5000, Meta(h, {{"role", "decode"}}), At(0));
  CHECK(Ids(h, {}, At(1)) == std::vector<uint64_t>{1, 2, 3});  // ascending member id
  CHECK(Ids(h, Filter(h, {{"role", "decode"}}), At(1)) == std::vector<uint64_t>{1, 2});
  CHECK(Ids(h, Filter(h, {{"gpu", std::nullopt}}), At(1)) == std::vector<uint64_t>{1, 3});
  CHECK(Ids(h, Filter(h, {{"role", "decode"}, {"gpu", std::nullopt}}), At(1)) ==
        std::vector<uint64_t>{1});
  CHECK(Ids(h, Filter(h, {{"role", "Decode"}}), At(1)).empty());  // bytes compare exactly
  CHECK(Ids(h, Filter(h, {{"gpu", ""}}), At(1)).empty());         // empty value is a value
  CHECK(Ids(h, Filter(h, {{"zone", std::nullopt}}), At(1)).empty());
}

TEST_CASE("members: any v2 request is a heartbeat, silence expires the member in Tick") {
  CoreHarness h(MemberConfig());
  AnnounceOk(h, 5, 1000, {}, At(0));
  AnnounceOk(h, 6, 1000, {}, At(0));
  CHECK(h.core().NextDeadline() == At(1000));
  // Member 5 keeps talking (Match, CanOffload, Stats); 6 says nothing.
  CHECK(h.Match({1}, At(0)).empty());  // owner 0, not a member: no effect
  h.Send(5, Match{MatchMode::kAll, h.Keys({1})}, At(600));
  h.Send(5, Stats{}, At(900));
  // A registration (PULL channel) from it counts too.
  std::string key = U64(77), value = U64(1);
  h.core().Apply(5, Register{{Entry{key, value, ""}}}, At(960));
  // A v1 request carries no client id: never a heartbeat.
  h.Send(6, Match{MatchMode::kAll, h.Keys({1})}, At(950), ProtocolVersion::kV1);
  h.core().Tick(At(1000));
  CHECK(Ids(h, {}, At(1000)) == std::vector<uint64_t>{5});
  CHECK(h.core().counters().members_expired == 1);
  CHECK(h.core().NextDeadline() == At(1960));  // 5's real deadline, re-queued
  h.core().Tick(At(1959));
  CHECK(Ids(h, {}, At(1959)) == std::vector<uint64_t>{5});
  h.core().Tick(At(1960));
  CHECK(h.core().member_count() == 0);
  CHECK(h.core().counters().members_expired == 2);
  CHECK_FALSE(h.core().NextDeadline().has_value());
}

TEST_CASE("members: an expired member is absent before Tick and is not revived by a request") {
  CoreHarness h(MemberConfig());
  AnnounceOk(h, 5, 1000, {}, At(0));
  CHECK(Ids(h, {}, At(1000)).empty());
  h.Send(5, Stats{}, At(1001));  // too late: not a heartbeat
  h.core().Tick(At(1002));
  CHECK(h.core().member_count() == 0);
  CHECK(h.core().counters().members_expired == 1);
  // Announcing again makes a new member (counted as an expiry first when not yet swept).
  AnnounceOk(h, 5, 1000, {}, At(2000));
  AnnounceResponse again = AnnounceOk(h, 5, 1000, {}, At(3500));
  CHECK_FALSE(again.existed);
  CHECK(h.core().counters().members_expired == 2);
  CHECK(h.core().counters().members_joined == 3);
}

TEST_CASE("members: a shorter renewal is expired at its own deadline") {
  CoreHarness h(MemberConfig());
  AnnounceOk(h, 5, 9000, {}, At(0));
  AnnounceOk(h, 5, 100, {}, At(10));
  CHECK(h.core().NextDeadline() == At(110));
  h.core().Tick(At(110));
  CHECK(h.core().member_count() == 0);
  h.core().Tick(At(9000));  // the stale item of the first announce does nothing
  CHECK(h.core().counters().members_expired == 1);
}

TEST_CASE("members: limits: max_members (renewals still succeed), duplicate metadata keys") {
  CoreHarness h(MemberConfig());  // max 3
  AnnounceOk(h, 1, 1000, {}, At(0));
  AnnounceOk(h, 2, 1000, {}, At(0));
  AnnounceOk(h, 3, 5000, {}, At(0));
  CHECK(ErrorOf(h.Send(4, Announce{"w", 1000, {}}, At(10))) == StatusCode::kCapacity);
  CHECK(h.core().counters().member_capacity_errors == 1);
  CHECK(AnnounceOk(h, 3, 5000, {}, At(10)).existed);  // a renewal at the bound
  CHECK(AnnounceOk(h, 2, 0, {}, At(10)).existed);     // a withdraw makes room
  CHECK_FALSE(AnnounceOk(h, 4, 1000, {}, At(11)).existed);
  // Members past their deadline make room without waiting for Tick.
  CHECK_FALSE(AnnounceOk(h, 5, 1000, {}, At(1000)).existed);
  CHECK(Ids(h, {}, At(1000)) == std::vector<uint64_t>{3, 4, 5});
  CHECK(h.core().counters().members_expired == 1);
  // Metadata keys are unique.
  Message dup = h.Send(3, Announce{"w", 1000, Meta(h, {{"a", "1"}, {"b", "2"}, {"a", "3"}})},
                       At(1001));
  CHECK(ErrorOf(dup) == StatusCode::kMalformed);
  // ...and the refused request had no effect: the old metadata stays, and no heartbeat.
  Message reply = h.Send(99, Enumerate{Filter(h, {{"a", std::nullopt}})}, At(1001));
  CHECK(std::get<EnumerateResponse>(reply.body).members.empty());
  // Announce is v2 only.
  CHECK(ErrorOf(h.Send(3, Announce{"w", 1000, {}}, At(1002), ProtocolVersion::kV1)) ==
        StatusCode::kUnknownType);
}

TEST_CASE("members: multicast reaches exactly the matching members through the sink") {
  CoreHarness h(MemberConfig());
  // Without a sink (no events socket) Multicast is refused and counts nothing.
  CHECK(ErrorOf(h.Send(9, Multicast{{}, "x"}, At(0))) == StatusCode::kWrongChannel);
  RecordingSink sink;
  h.core().SetMemberSink(&sink);
  AnnounceOk(h, 1, 5000, Meta(h, {{"role", "decode"}}), At(0));
  AnnounceOk(h, 2, 5000, Meta(h, {{"role", "prefill"}}), At(0));
  AnnounceOk(h, 3, 5000, Meta(h, {{"role", "decode"}}), At(0));
  Message reply = h.Send(9, Multicast{Filter(h, {{"role", "decode"}}), "hello"}, At(1));
  CHECK(std::get<MulticastResponse>(reply.body).matched == 2);
  CHECK(sink.got == std::vector<Delivered>{{1, 9, "hello"}, {3, 9, "hello"}});
  sink.got.clear();
  reply = h.Send(9, Multicast{Filter(h, {{"role", "none"}}), "x"}, At(2));
  CHECK(std::get<MulticastResponse>(reply.body).matched == 0);
  CHECK(sink.got.empty());
  CHECK(h.core().counters().multicasts == 2);
  CHECK(h.core().counters().multicast_recipients == 2);
  h.core().SetMemberSink(nullptr);
}

TEST_CASE("members: a departed member's live leases are released at once") {
  CoreHarness h(MemberConfig());  // lease TTL 30 s
  AnnounceOk(h, 5, 1000, {}, At(0));
  AnnounceOk(h, 6, 5000, {}, At(0));
  CHECK(h.CanOffload(5, {10, 11, 12}, At(100)) ==
        std::vector<OS>{OS::kGranted, OS::kGranted, OS::kGranted});
  CHECK(h.CanOffload(6, {20}, At(100)) == std::vector<OS>{OS::kGranted});
  CHECK(h.CanOffload(7, {10}, At(200)) == std::vector<OS>{OS::kLeased});
  // 5 was last heard at 100 (CanOffload is a heartbeat): it expires at 1100.
  h.core().Tick(At(1099));
  CHECK(h.CanOffload(7, {10}, At(1099)) == std::vector<OS>{OS::kLeased});
  h.core().Tick(At(1100));
  CHECK(h.core().counters().leases_released_by_departure == 3);
  CHECK(h.CanOffload(7, {10, 11, 20}, At(1101)) ==
        std::vector<OS>{OS::kGranted, OS::kGranted, OS::kLeased});
  CHECK(h.Release(5, {12}, At(1102)) == 0);  // no longer held
  // A withdraw releases too.
  CHECK(AnnounceOk(h, 6, 0, {}, At(1200)).existed);
  CHECK(h.core().counters().leases_released_by_departure == 4);
  CHECK(h.CanOffload(7, {20}, At(1201)) == std::vector<OS>{OS::kGranted});
  // Stats carries the counters.
  StatsResponse stats = h.core().StatsSnapshot();
  auto value = [&](std::string_view name) {
    for (const auto& [n, v] : stats.counters) {
      if (n == name) return v;
    }
    return UINT64_MAX;
  };
  CHECK(value("leases_released_by_departure") == 4);
  CHECK(value("members_expired") == 1);
  CHECK(value("members_withdrawn") == 1);
  CHECK(value("members") == 0);
  CHECK(value("max_members") == 3);
}

TEST_CASE("members: config validation") {
  HubConfig c = MemberConfig();
  CHECK(ValidateHubConfig(c).ok());
  c.max_members = 0;
  CHECK_FALSE(ValidateHubConfig(c).ok());
  c = MemberConfig();
  c.max_member_ttl = std::chrono::milliseconds(0);
  CHECK_FALSE(ValidateHubConfig(c).ok());
  c = MemberConfig();
  c.limits.max_multicast_bytes = 65536;
  CHECK_FALSE(ValidateHubConfig(c).ok());
  c = MemberConfig();
  c.limits.max_member_metadata_bytes = 65536;
  CHECK_FALSE(ValidateHubConfig(c).ok());
}

}  // namespace
}  // namespace blockhub::testing
