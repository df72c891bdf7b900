// The client against the real blockhubd (HubProcess, loopback ephemeral ports): every operation in
// both protocol versions, 1,000 requests in flight, leases across reconnects, a hub that goes down
// and comes back.
#include <doctest/doctest.h>
#include <fmt/format.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <future>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "client/client.h"
#include "tests/support/hub_process.h"

namespace blockhub {
namespace {

using std::chrono::milliseconds;
using testing::HubProcess;

HubProcess StartHub(std::vector<std::string> args = {}) {
  testing::HubProcessOptions o;
  o.args = std::move(args);
  auto hub = HubProcess::Start(std::move(o));
  REQUIRE_MESSAGE(hub.has_value(), hub.error().ToString());
  return std::move(*hub);
}

std::unique_ptr<Client> Connect(const HubProcess& hub, uint64_t client_id,
                                ProtocolVersion protocol = ProtocolVersion::kV2,
                                milliseconds timeout = milliseconds(5000)) {
  ClientOptions o;
  o.query_addr = hub.query_endpoint();
  o.register_addr = hub.register_endpoint();
  o.client_id = client_id;
  o.protocol = protocol;
  o.request_timeout = timeout;
  auto c = Client::Connect(std::move(o));
  REQUIRE(c.has_value());
  return std::move(*c);
}

// A fire-and-forget Register is applied asynchronously: ask (bounded) until the hub has it.
bool EventuallyStored(Client& c, const std::vector<std::string>& keys) {
  const auto deadline = std::chrono::steady_clock::now() + milliseconds(5000);
  while (std::chrono::steady_clock::now() < deadline) {
    auto m = c.Match(keys);
    if (m.has_value() && m->size() == keys.size()) return true;
  }
  return false;
}

using Keys = std::vector<std::string>;

TEST_CASE("client+hub: every v2 operation") {
  HubProcess hub = StartHub();
  auto a = Connect(hub, 101);
  auto b = Connect(hub, 202);

  auto hello = a->Hello("worker-a", "{}");
  REQUIRE_MESSAGE(hello.has_value(), hello.error().ToString());
  CHECK_FALSE(hello->hub_version.empty());
  CHECK(hello->key_format == 0);  // bytes
  CHECK(hello->lease_ttl_ms > 0);

  auto offer = a->CanOffload(Keys{"ka", "kb"});
  REQUIRE(offer.has_value());
  CHECK(offer->granted == Keys{"ka", "kb"});
  CHECK(offer->lease_ttl_ms == hello->lease_ttl_ms);
  auto other = b->CanOffload(Keys{"ka"});
  REQUIRE(other.has_value());
  CHECK(other->leased == Keys{"ka"});

  std::vector<BlockEntry> ka = {{"ka", "value-a", "meta-a"}};
  auto stored = a->RegisterSync(ka);
  REQUIRE(stored.has_value());
  CHECK(*stored == std::vector<RegisterStatus>{RegisterStatus::kStored});
  CHECK(*a->RegisterSync(ka) == std::vector<RegisterStatus>{RegisterStatus::kAlreadyStored});

  auto all = b->Match(Keys{"kb", "ka"});
  REQUIRE(all.has_value());
  REQUIRE(all->size() == 1);
  CHECK((*all)[0] == ka[0]);
  CHECK(b->Match(Keys{"kb", "ka"}, MatchMode::kLeadingRun)->empty());
  CHECK(b->Match(Keys{"ka", "kb"}, MatchMode::kLeadingRun)->size() == 1);

  CHECK(*a->Renew(Keys{"kb", "ka", "kz"}) == std::vector<RenewStatus>{RenewStatus::kRenewed,
                                                                      RenewStatus::kAlreadyStored,
                                                                      RenewStatus::kNotHeld});
  CHECK(*b->Release(Keys{"kb"}) == 0);  // not b's lease
  CHECK(*a->Release(Keys{"kb"}) == 1);
  CHECK(b->CanOffload(Keys{"kb"})->granted == Keys{"kb"});

  CHECK(*a->Touch(Keys{"ka", "ka", "kz"}) == 2);

  REQUIRE(a->Register({{"kc", "value-c", ""}}).ok());
  REQUIRE(a->Flush().ok());
  CHECK(EventuallyStored(*b, Keys{"kc"}));

  CHECK(*b->Remove(Keys{"ka", "kc", "kz"}) == 2);
  CHECK(b->Match(Keys{"ka", "kc"})->empty());

  auto stats = a->Stats();
  REQUIRE(stats.has_value());
  CHECK_FALSE(stats->empty());
  CHECK(a->counters().late_replies == 0);
  CHECK(a->counters().timeouts == 0);
  CHECK(a->Close().ok());
  CHECK(b->Close().ok());
}

TEST_CASE("client+hub: protocol 1 operations (Dynamo mode)") {
  HubProcess hub = StartHub();
  auto a = Connect(hub, 301, ProtocolVersion::kV1);
  auto b = Connect(hub, 302, ProtocolVersion::kV1);
  CHECK(a->CanOffload(Keys{"k1", "k2"})->granted == Keys{"k1", "k2"});
  CHECK(b->CanOffload(Keys{"k1"})->leased == Keys{"k1"});  // v1 owner = routing id
  REQUIRE(a->Register({{"k1", "v1", ""}, {"k3", "v3", ""}}).ok());
  REQUIRE(a->Flush().ok());
  CHECK(EventuallyStored(*b, Keys{"k1", "k3"}));
  auto prefix = b->Match(Keys{"k1", "k2", "k3"}, MatchMode::kLeadingRun);  // emulated
  REQUIRE(prefix.has_value());
  REQUIRE(prefix->size() == 1);
  CHECK((*prefix)[0].key == "k1");
  CHECK(b->Match(Keys{"k1", "k2", "k3"})->size() == 2);
  CHECK(*b->Touch(Keys{"k1", "k2"}) == 1);
  CHECK(*b->Remove(Keys{"k1", "k3"}) == 2);
  CHECK(a->counters().epoch == 0);  // v1 replies carry no epoch
}

TEST_CASE("client+hub: 1,000 requests in flight on one connection all come back matched") {
  HubProcess hub = StartHub();
  auto c = Connect(hub, 401);
  constexpr int kInFlight = 1000;
  std::vector<Keys> keys(kInFlight);
  std::vector<std::future<Result<CanOffloadResult>>> futures;
  futures.reserve(kInFlight);
  for (int i = 0; i < kInFlight; ++i) {
    keys[i] = {fmt::format("key-{}", i)};
    futures.push_back(c->CanOffloadAsync(keys[i]));
  }
  int ok = 0;
  for (int i = 0; i < kInFlight; ++i) {
    auto r = futures[i].get();
    REQUIRE_MESSAGE(r.has_value(), r.error().ToString());
    if (r->granted == keys[i]) ++ok;
  }
  CHECK(ok == kInFlight);
  CHECK(c->counters().replies_matched == kInFlight);
  CHECK(c->counters().late_replies == 0);
}

TEST_CASE("client+hub: CanOffloadStatusesThen chains requests from its completions, in order") {
  HubProcess hub = StartHub();
  auto c = Connect(hub, 402);
  REQUIRE(c->RegisterSync(std::vector<BlockEntry>{{"chain-3", "v", ""}}).has_value());
  // Each completion (on the client's I/O thread) sends the next request; the caller waits once.
  constexpr int kChain = 50;
  std::vector<Keys> keys(kChain);
  for (int i = 0; i < kChain; ++i) keys[i] = {fmt::format("chain-{}", i), "chain-3"};
  std::vector<std::vector<OffloadStatus>> got;
  std::promise<Status> finished;
  std::function<void(int)> send = [&](int i) {
    c->CanOffloadStatusesThen(keys[i], [&, i](Result<CanOffloadStatuses> r) {
      if (!r) return finished.set_value(r.error());
      got.push_back(r->statuses);
      if (i + 1 < kChain) return send(i + 1);
      finished.set_value(Status::Ok());
    });
  };
  send(0);
  auto f = finished.get_future();
  REQUIRE(f.wait_for(std::chrono::seconds(10)) == std::future_status::ready);
  Status s = f.get();
  REQUIRE_MESSAGE(s.ok(), s.ToString());
  REQUIRE(got.size() == kChain);
  for (int i = 0; i < kChain; ++i) {
    const OffloadStatus first = i == 3 ? OffloadStatus::kAlreadyStored : OffloadStatus::kGranted;
    CHECK(got[i] == std::vector<OffloadStatus>{first, OffloadStatus::kAlreadyStored});
  }
  CHECK(c->counters().replies_matched == kChain + 1);
}

TEST_CASE("client+hub: CanOffloadStatusesThen after Close completes at once with Unavailable") {
  HubProcess hub = StartHub();
  auto c = Connect(hub, 403);
  REQUIRE(c->Close().ok());
  std::optional<Result<CanOffloadStatuses>> got;
  c->CanOffloadStatusesThen(Keys{"k"}, [&](Result<CanOffloadStatuses> r) { got = std::move(r); });
  REQUIRE(got.has_value());
  REQUIRE_FALSE(got->has_value());
  CHECK(got->error().code() == StatusCode::kUnavailable);
}

TEST_CASE("client+hub: synchronous calls from many threads share one client") {
  HubProcess hub = StartHub();
  auto c = Connect(hub, 451);
  constexpr int kThreads = 8, kCalls = 100;
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kCalls; ++i) {
        Keys key = {fmt::format("t{}-{}", t, i)};
        auto r = c->CanOffload(key);
        if (r.has_value() && r->granted == key) ok.fetch_add(1);
      }
    });
  }
  for (auto& th : threads) th.join();
  CHECK(ok.load() == kThreads * kCalls);
}

TEST_CASE("client+hub: a client re-created with the same id keeps its leases") {
  HubProcess hub = StartHub();
  for (auto protocol : {ProtocolVersion::kV2, ProtocolVersion::kV1}) {
    CAPTURE(static_cast<int>(protocol));
    const std::string key = protocol == ProtocolVersion::kV2 ? "lease-v2" : "lease-v1";
    {
      auto first = Connect(hub, 501, protocol);
      REQUIRE(first->CanOffload(Keys{key})->granted == Keys{key});
    }  // destroyed: the connection is gone
    auto again = Connect(hub, 501, protocol);
    auto stranger = Connect(hub, 502, protocol);
    CHECK(stranger->CanOffload(Keys{key})->leased == Keys{key});
    // The same owner asking again refreshes its own lease (Granted), it is not Leased.
    CHECK(again->CanOffload(Keys{key})->granted == Keys{key});
    if (protocol == ProtocolVersion::kV2) {
      CHECK(*again->Renew(Keys{key}) == std::vector<RenewStatus>{RenewStatus::kRenewed});
      CHECK(*again->Release(Keys{key}) == 1);
    }
  }
}

TEST_CASE(
    "client+hub: a hub that is down times out cleanly, and after it comes back requests work") {
  HubProcess hub = StartHub();
  const std::string query = hub.query_endpoint();
  const std::string reg = hub.register_endpoint();
  int epoch_calls = 0;
  ClientOptions o;
  o.query_addr = query;
  o.register_addr = reg;
  o.client_id = 601;
  o.request_timeout = milliseconds(300);
  o.on_epoch_change = [&](uint64_t, uint64_t) { ++epoch_calls; };
  auto made = Client::Connect(std::move(o));
  REQUIRE(made.has_value());
  Client& c = **made;
  REQUIRE(c.Touch(Keys{"k"}).has_value());

  hub.Kill();
  auto down = c.Touch(Keys{"k"});
  REQUIRE_FALSE(down.has_value());
  CHECK(down.error().code() == StatusCode::kTimeout);

  HubProcess back = StartHub({"--query-addr", query, "--register-addr", reg});
  // The first request after the restart may race the reconnect; it is queued, not lost, and the
  // 300 ms deadline leaves room. Allow a bounded number of attempts for the reconnect itself.
  Result<uint64_t> up = TimeoutError("not tried");
  for (int attempt = 0; attempt < 10 && !up.has_value(); ++attempt) up = c.Touch(Keys{"k"});
  REQUIRE_MESSAGE(up.has_value(), up.error().ToString());
  CHECK(*up == 0);
  CHECK(c.epoch_changes() == 1);  // the restarted hub has a new epoch
  CHECK(epoch_calls == 1);
}

}  // namespace
}  // namespace blockhub
