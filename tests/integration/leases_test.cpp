// Leases through the real hub: racing clients never both hold one, leases expire, and a client that
// reconnects (same v1 routing id / same v2 client_id) keeps them.
#include <doctest/doctest.h>

#include <map>

#include "tests/integration/integration_util.h"
#include "tests/support/hub_process.h"
#include "tests/support/raw_sockets.h"

namespace blockhub::testing {
namespace {

using std::chrono::milliseconds;

std::vector<OffloadStatus> Statuses(const Message& m) {
  const auto* r = std::get_if<CanOffloadResponse>(&m.body);
  REQUIRE_MESSAGE(r != nullptr, "not a CanOffloadResponse");
  return r->statuses;
}

std::vector<OffloadStatus> CanOffloadV2(RawDealer& d, uint32_t id, uint64_t client,
                                        const KeyList& keys) {
  RawReply holder;
  auto reply = Ask(d, id, EncodeV2(client, CanOffload{keys}), &holder);
  REQUIRE_MESSAGE(reply.has_value(), reply.status().ToString());
  return Statuses(*reply);
}

std::vector<OffloadStatus> CanOffloadV1(RawDealer& d, uint32_t id, const KeyList& keys) {
  RawReply holder;
  auto reply = Ask(d, id, EncodeV1(CanOffload{keys}), &holder);
  REQUIRE_MESSAGE(reply.has_value(), reply.status().ToString());
  return Statuses(*reply);
}

TEST_CASE("racing clients never both hold a live lease") {
  auto hub = HubProcess::Start(HubArgs({"--key-format", "u64"}));
  REQUIRE_MESSAGE(hub.has_value(), hub.status().ToString());
  // Four contenders: two v2 client ids and two v1 routing ids, one DEALER each.
  std::vector<RawDealer> dealers;
  for (const char* rid : {"v2-a", "v2-b", "v1-c", "v1-d"}) {
    auto d = RawDealer::Connect(hub->query_endpoint(), std::string(rid));
    REQUIRE(d.has_value());
    dealers.push_back(std::move(*d));
  }
  std::vector<std::string> storage;
  for (uint64_t k = 0; k < 64; ++k) storage.push_back(U64Key(1000 + k));
  for (int round = 0; round < 20; ++round) {
    // Every contender asks for all the keys, each in its own order (stride 2c+1 is coprime to 64,
    // so each list is a permutation); all requests are in flight at once, then answers collected.
    std::vector<KeyList> asked(dealers.size());
    for (size_t c = 0; c < dealers.size(); ++c) {
      for (size_t i = 0; i < storage.size(); ++i) {
        asked[c].push_back(
            storage[(i * (2 * c + 1) + static_cast<size_t>(round)) % storage.size()]);
      }
      const std::string msg =
          c < 2 ? EncodeV2(c + 1, CanOffload{asked[c]}) : EncodeV1(CanOffload{asked[c]});
      REQUIRE(dealers[c].Send(static_cast<uint32_t>(round), msg).ok());
    }
    std::map<std::string, int> holders;
    for (size_t c = 0; c < dealers.size(); ++c) {
      auto reply = dealers[c].Receive();
      REQUIRE(reply.has_value());
      auto decoded = DecodeReply(*reply);
      REQUIRE(decoded.has_value());
      const auto statuses = Statuses(*decoded);
      REQUIRE(statuses.size() == asked[c].size());
      for (size_t i = 0; i < statuses.size(); ++i) {
        if (statuses[i] == OffloadStatus::kGranted) holders[std::string(asked[c][i])] |= 1 << c;
      }
    }
    // In round 0 exactly one contender wins each key; afterwards the winner keeps refreshing it.
    for (const auto& key : storage) {
      const int mask = holders[key];
      CAPTURE(round);
      CHECK_MESSAGE(mask != 0, "nobody holds the key");
      CHECK_MESSAGE((mask & (mask - 1)) == 0, "two owners hold one key, mask " << mask);
    }
  }
}

TEST_CASE("an expired lease lets another client be granted") {
  constexpr int kTtlMs = 300;
  auto hub = HubProcess::Start(HubArgs({"--lease-timeout-ms", std::to_string(kTtlMs)}));
  REQUIRE(hub.has_value());
  auto a = RawDealer::Connect(hub->query_endpoint());
  auto b = RawDealer::Connect(hub->query_endpoint());
  REQUIRE(a.has_value());
  REQUIRE(b.has_value());
  const std::string key = "block-expiring";
  const auto asked = std::chrono::steady_clock::now();
  CHECK(CanOffloadV2(*a, 1, 1, {key}) == std::vector{OffloadStatus::kGranted});
  CHECK(CanOffloadV2(*b, 2, 2, {key}) == std::vector{OffloadStatus::kLeased});
  uint32_t id = 10;
  OffloadStatus last = OffloadStatus::kLeased;
  CHECK(RetryUntil([&] {
    last = CanOffloadV2(*b, ++id, 2, {key})[0];
    // Leased until the TTL has passed; then Granted (never anything else).
    REQUIRE(last != OffloadStatus::kAlreadyStored);
    return last == OffloadStatus::kGranted;
  }));
  const auto waited = std::chrono::steady_clock::now() - asked;
  CHECK(waited >= milliseconds(kTtlMs));
  // Now b holds it and a is refused.
  CHECK(CanOffloadV2(*a, ++id, 1, {key}) == std::vector{OffloadStatus::kLeased});
}

TEST_CASE("a v1 client that reconnects with the same routing id keeps its leases") {
  auto hub = HubProcess::Start();
  REQUIRE(hub.has_value());
  const std::string key = "block-v1-reconnect";
  {
    auto first = RawDealer::Connect(hub->query_endpoint(), std::string("stable-worker"));
    REQUIRE(first.has_value());
    CHECK(CanOffloadV1(*first, 1, {key}) == std::vector{OffloadStatus::kGranted});
  }  // the connection is gone
  auto again = RawDealer::Connect(hub->query_endpoint(), std::string("stable-worker"));
  auto other = RawDealer::Connect(hub->query_endpoint(), std::string("other-worker"));
  REQUIRE(again.has_value());
  REQUIRE(other.has_value());
  CHECK(CanOffloadV1(*other, 2, {key}) == std::vector{OffloadStatus::kLeased});
  // Same owner: asking again refreshes the lease (Granted), it is not Leased to someone else.
  CHECK(CanOffloadV1(*again, 3, {key}) == std::vector{OffloadStatus::kGranted});
  CHECK(CanOffloadV1(*other, 4, {key}) == std::vector{OffloadStatus::kLeased});
}

TEST_CASE("a v2 client that reconnects with the same client_id keeps its leases") {
  auto hub = HubProcess::Start();
  REQUIRE(hub.has_value());
  const std::string key = "block-v2-reconnect";
  constexpr uint64_t kClient = 0xC0FFEE;
  {
    auto first = RawDealer::Connect(hub->query_endpoint());  // random routing id
    REQUIRE(first.has_value());
    CHECK(CanOffloadV2(*first, 1, kClient, {key}) == std::vector{OffloadStatus::kGranted});
  }
  auto again = RawDealer::Connect(hub->query_endpoint());  // another random routing id
  REQUIRE(again.has_value());
  CHECK(CanOffloadV2(*again, 2, kClient + 1, {key}) == std::vector{OffloadStatus::kLeased});
  RawReply holder;
  auto renew = Ask(*again, 3, EncodeV2(kClient, Renew{{key}}), &holder);
  REQUIRE(renew.has_value());
  const auto* r = std::get_if<RenewResponse>(&renew->body);
  REQUIRE(r != nullptr);
  CHECK(r->statuses == std::vector{RenewStatus::kRenewed});
  auto release = Ask(*again, 4, EncodeV2(kClient, Release{{key}}), &holder);
  REQUIRE(release.has_value());
  REQUIRE(std::holds_alternative<ReleaseResponse>(release->body));
  CHECK(std::get<ReleaseResponse>(release->body).released == 1);
  CHECK(CanOffloadV2(*again, 5, kClient + 1, {key}) == std::vector{OffloadStatus::kGranted});
}

}  // namespace
}  // namespace blockhub::testing
