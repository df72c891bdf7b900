// The client with a hub list against two scripted hubs (FakeHub): an unanswered attempt moves to
// the next hub with the same request id and routing id after one attempt share (or at once when its
// connection breaks), a request no hub answers ends at its own deadline, a dead hub is probed with
// an empty Touch and made live by the reply, and registrations follow the current hub.
#include <doctest/doctest.h>

#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "client/client.h"
#include "codec/codec.h"
#include "tests/client/fake_hub.h"

namespace blockhub {
namespace {

using std::chrono::milliseconds;
using testing::FakeHub;
using SteadyTime = std::chrono::steady_clock;

constexpr milliseconds kTimeout(1000);  // two hubs: 500 ms per attempt
constexpr milliseconds kSlack(300);

std::unique_ptr<Client> ConnectBoth(const FakeHub& a, const FakeHub& b) {
  auto o = ClientOptionsBuilder()
               .hubs({{a.query_endpoint(), a.register_endpoint()},
                      {b.query_endpoint(), b.register_endpoint()}})
               .request_timeout(kTimeout)
               .client_id(0x77)
               .Build();
  REQUIRE(o.has_value());
  auto c = Client::Connect(*o);
  REQUIRE(c.has_value());
  return std::move(*c);
}

Message V2(uint64_t epoch, Body body) {
  return Message{ProtocolVersion::kV2, 0, epoch, std::move(body)};
}

TEST_CASE("client failover: an unanswered attempt is re-sent to the next hub, same ids") {
  FakeHub a, b;
  auto client = ConnectBoth(a, b);
  std::vector<std::string> keys = {"x", "y"};
  const auto start = SteadyTime::now();
  auto f = client->TouchAsync(keys);
  auto on_a = a.WaitRequests(1, milliseconds(5000));
  REQUIRE(on_a.size() == 1);
  auto on_b = b.WaitRequests(1, milliseconds(5000));  // after A's share ran out
  REQUIRE(on_b.size() == 1);
  const auto moved_after = SteadyTime::now() - start;
  CHECK(moved_after >= milliseconds(500));
  CHECK(moved_after <= milliseconds(500) + kSlack);
  CHECK(on_b[0].request_id == on_a[0].request_id);
  CHECK(on_b[0].message == on_a[0].message);
  CHECK(on_a[0].routing_id == RoutingIdFor(0x77));
  CHECK(on_b[0].routing_id == on_a[0].routing_id);  // one routing id on every hub
  b.Reply(on_b[0], V2(9, TouchResponse{2}));
  auto r = f.get();
  REQUIRE(r.has_value());
  CHECK(*r == 2);
  ClientCounters c = client->counters();
  CHECK(c.retries == 1);
  CHECK(c.failovers == 1);
  CHECK(c.timeouts == 0);
  REQUIRE(c.hubs.size() == 2);
  CHECK(c.hubs[0].state == HubState::kDead);
  CHECK(c.hubs[0].attempt_timeouts == 1);
  CHECK(c.hubs[1].current);
  CHECK(c.hubs[0].query_addr == a.query_endpoint());
  // A's late answer is counted as late and does not change the result.
  a.Reply(on_a[0], V2(8, TouchResponse{5}));
}

TEST_CASE("client failover: a request no hub answers fails at its own deadline") {
  FakeHub a, b;
  auto client = ConnectBoth(a, b);
  std::vector<std::string> keys = {"x"};
  const auto start = SteadyTime::now();
  auto r = client->Touch(keys);
  const auto took = SteadyTime::now() - start;
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().code() == StatusCode::kTimeout);
  CHECK(took >= kTimeout);
  CHECK(took <= kTimeout + kSlack);
  CHECK(client->counters().timeouts == 1);
  CHECK(a.WaitRequests(1, milliseconds(1000)).size() >= 1);
  CHECK(b.WaitRequests(1, milliseconds(1000)).size() >= 1);
}

TEST_CASE("client failover: a dead hub gets an empty Touch probe, and its reply makes it live") {
  FakeHub a, b;
  auto client = ConnectBoth(a, b);
  std::vector<std::string> keys = {"x"};
  auto f = client->TouchAsync(keys);
  auto on_b = b.WaitRequests(1, milliseconds(5000));
  REQUIRE(on_b.size() == 1);
  b.Reply(on_b[0], V2(9, TouchResponse{0}));
  REQUIRE(f.get().has_value());
  // The request, then (one share after A was judged dead) the probe.
  auto on_a = a.WaitRequests(2, milliseconds(5000));
  REQUIRE(on_a.size() == 2);
  auto probe = DecodeRequest(on_a[1].message, DecodeLimits{}, Channel::kQuery);
  REQUIRE(probe.has_value());
  REQUIRE(std::holds_alternative<Touch>(probe->body));
  CHECK(std::get<Touch>(probe->body).keys.empty());
  // The client counts the probe after handing it to ZeroMQ: the hub may see it first.
  const auto deadline = SteadyTime::now() + milliseconds(5000);
  while (client->counters().probes < 1 && SteadyTime::now() < deadline) {
    std::this_thread::sleep_for(milliseconds(2));  // poll interval
  }
  CHECK(client->counters().probes >= 1);
  a.Reply(on_a[1], V2(8, TouchResponse{0}));
  while (client->counters().hubs[0].state != HubState::kLive && SteadyTime::now() < deadline) {
    std::this_thread::sleep_for(milliseconds(2));  // poll interval
  }
  ClientCounters c = client->counters();
  CHECK(c.hubs[0].state == HubState::kLive);
  CHECK(c.hubs[1].current);  // the hub that came back does not take over
}

TEST_CASE("client failover: a silent hub that only gets Registers is probed, then skipped") {
  FakeHub a, b;
  auto client = ConnectBoth(a, b);
  REQUIRE(client->Register({{"r1", "v", ""}}).ok());
  REQUIRE(client->Flush().ok());
  CHECK(a.WaitRegistrations(1, milliseconds(5000)).size() == 1);
  // No reply from A for one share: a probe; unanswered for another share: A is dead.
  auto probe = a.WaitRequests(1, milliseconds(5000));
  REQUIRE(probe.size() == 1);
  const auto deadline = SteadyTime::now() + milliseconds(5000);
  while (client->counters().hubs[0].state != HubState::kDead && SteadyTime::now() < deadline) {
    std::this_thread::sleep_for(milliseconds(2));  // poll interval
  }
  REQUIRE(client->counters().hubs[0].state == HubState::kDead);
  CHECK(client->counters().failovers == 1);
  REQUIRE(client->Register({{"r2", "v", ""}}).ok());
  REQUIRE(client->Flush().ok());
  auto on_b = b.WaitRegistrations(1, milliseconds(5000));
  REQUIRE(on_b.size() == 1);
  auto m = DecodeRequest(on_b[0], DecodeLimits{}, Channel::kRegistration);
  REQUIRE(m.has_value());
  CHECK(std::get<Register>(m->body).entries[0].key == "r2");
  CHECK(client->counters().hubs[1].registrations_sent == 1);
  CHECK(client->counters().hubs[0].registrations_sent == 1);
}

TEST_CASE("client failover: a hub whose connection breaks is left at once, before its share") {
  auto a = std::make_unique<FakeHub>();
  FakeHub b;
  auto client = ConnectBoth(*a, b);
  std::vector<std::string> keys = {"x"};
  auto f = client->TouchAsync(keys);
  REQUIRE(a->WaitRequests(1, milliseconds(5000)).size() == 1);
  a.reset();  // closes its ROUTER: the client's DEALER sees the connection break
  auto on_b = b.WaitRequests(1, milliseconds(5000));
  REQUIRE(on_b.size() == 1);
  b.Reply(on_b[0], V2(9, TouchResponse{1}));
  auto r = f.get();
  REQUIRE(r.has_value());
  ClientCounters c = client->counters();
  CHECK(c.hubs[0].disconnects == 1);
  CHECK(c.hubs[0].attempt_timeouts == 0);  // judged by the disconnect, not by the 500 ms share
  CHECK(c.hubs[0].state == HubState::kDead);
  CHECK(c.retries == 1);
  CHECK(c.failovers == 1);
}

}  // namespace
}  // namespace blockhub
