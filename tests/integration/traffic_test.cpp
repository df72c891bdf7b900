// Traffic through the real hub: many requests in flight on one connection, and a hub that goes away
// and comes back.
#include <doctest/doctest.h>

#include <set>

#include "tests/integration/integration_util.h"
#include "tests/support/hub_process.h"
#include "tests/support/raw_sockets.h"

namespace blockhub::testing {
namespace {

using std::chrono::milliseconds;

TEST_CASE("1000 requests in flight on one connection all come back matched") {
  auto hub = HubProcess::Start(HubArgs({"--key-format", "u64"}));
  REQUIRE_MESSAGE(hub.has_value(), hub.status().ToString());
  auto dealer = RawDealer::Connect(hub->query_endpoint());
  REQUIRE(dealer.has_value());
  RawReply holder;
  // Keys 0..99 are stored; request i asks about key i % 200 (a hit for half of them).
  std::vector<Entry> entries;
  std::vector<std::string> keys;
  for (uint64_t k = 0; k < 200; ++k) keys.push_back(U64Key(k));
  for (uint64_t k = 0; k < 100; ++k) entries.push_back({keys[k], keys[k], ""});
  REQUIRE(Ask(*dealer, 0, EncodeV2(1, RegisterSync{entries}), &holder).has_value());

  constexpr uint32_t kInFlight = 1000;
  for (uint32_t i = 1; i <= kInFlight; ++i) {
    const std::string& key = keys[i % 200];
    const std::string msg = i % 3 == 0   ? EncodeV1(Touch{{key}})
                            : i % 3 == 1 ? EncodeV2(i, Match{MatchMode::kAll, {key}})
                                         : EncodeV2(i, CanOffload{{key}});
    REQUIRE(dealer->Send(i, msg).ok());
  }
  std::set<uint32_t> seen;
  for (uint32_t n = 0; n < kInFlight; ++n) {
    auto reply = dealer->Receive(milliseconds(10'000));
    REQUIRE_MESSAGE(reply.has_value(), reply.status().ToString());
    const uint32_t i = reply->request_id;
    REQUIRE(i >= 1);
    REQUIRE(i <= kInFlight);
    CHECK(seen.insert(i).second);
    auto decoded = DecodeReply(*reply);
    REQUIRE(decoded.has_value());
    const bool stored = i % 200 < 100;
    CAPTURE(i);
    // The answer must be the answer to request i, not to some other request.
    if (i % 3 == 0) {
      REQUIRE(std::holds_alternative<TouchResponse>(decoded->body));
      CHECK(std::get<TouchResponse>(decoded->body).touched == (stored ? 1u : 0u));
    } else if (i % 3 == 1) {
      const auto pairs = EntryPairs(*decoded);
      REQUIRE(std::holds_alternative<MatchResponse>(decoded->body));
      CHECK(pairs.size() == (stored ? 1u : 0u));
      if (!pairs.empty()) CHECK(pairs[0].first == keys[i % 200]);
    } else {
      REQUIRE(std::holds_alternative<CanOffloadResponse>(decoded->body));
      const auto& st = std::get<CanOffloadResponse>(decoded->body).statuses;
      REQUIRE(st.size() == 1);
      if (stored)
        CHECK(st[0] == OffloadStatus::kAlreadyStored);
      else
        CHECK(st[0] != OffloadStatus::kAlreadyStored);
    }
  }
  CHECK(seen.size() == kInFlight);
}

TEST_CASE("a request to a hub that is down times out and the next one succeeds once it is back") {
  auto hub = HubProcess::Start();
  REQUIRE(hub.has_value());
  const std::string query_endpoint = hub->query_endpoint();
  const std::string register_endpoint = hub->register_endpoint();
  auto dealer = RawDealer::Connect(query_endpoint);
  REQUIRE(dealer.has_value());
  RawReply holder;
  auto hello = Ask(*dealer, 1, EncodeV2(5, Hello{"test", "{}"}), &holder);
  REQUIRE(hello.has_value());
  const uint64_t first_epoch = hello->epoch;

  auto exit = hub->Stop();
  REQUIRE(exit.has_value());
  CHECK(exit->code == 0);

  // Down: the request is queued by ZeroMQ and no answer comes; the wait ends cleanly.
  REQUIRE(dealer->Send(2, EncodeV2(5, Hello{"test", "{}"})).ok());
  auto timed_out = dealer->Receive(milliseconds(300));
  REQUIRE_FALSE(timed_out.has_value());
  CHECK(timed_out.error().code() == StatusCode::kTimeout);

  // Back, on the endpoints the first hub had: the DEALER reconnects by itself.
  auto back = HubProcess::Start(
      HubArgs({"--query-addr", query_endpoint, "--register-addr", register_endpoint}));
  REQUIRE_MESSAGE(back.has_value(), back.status().ToString());
  REQUIRE(back->query_endpoint() == query_endpoint);
  REQUIRE(dealer->Send(3, EncodeV2(5, Hello{"test", "{}"})).ok());
  // The request queued while the hub was down may be answered too (id 2); the caller matches by
  // id and ignores it. Request 3 must come back, from the new hub (a new epoch).
  bool answered = false;
  for (int n = 0; n < 2 && !answered; ++n) {
    auto reply = dealer->Receive(milliseconds(5000));
    REQUIRE_MESSAGE(reply.has_value(), reply.status().ToString());
    if (reply->request_id != 3) continue;
    auto decoded = DecodeReply(*reply);
    REQUIRE(decoded.has_value());
    REQUIRE(std::holds_alternative<HelloResponse>(decoded->body));
    CHECK(decoded->epoch != first_epoch);
    answered = true;
  }
  CHECK(answered);
}

}  // namespace
}  // namespace blockhub::testing
