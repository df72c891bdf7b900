// The client against a scripted hub (FakeHub): reply matching, deadlines, late replies, epochs,
// batching and back-pressure, protocol 1 behaviour. No real hub involved.
#include <doctest/doctest.h>
#include <fmt/format.h>

#include <chrono>
#include <future>
#include <string>
#include <vector>

#include "client/client.h"
#include "codec/codec.h"
#include "common/bytes.h"
#include "tests/client/fake_hub.h"

namespace blockhub {
namespace {

using std::chrono::milliseconds;
using testing::FakeHub;
using testing::FakeRequest;

constexpr milliseconds kWait(5000);  // bound for anything that should happen promptly

ClientOptions OptionsFor(const FakeHub& hub, milliseconds timeout = milliseconds(5000)) {
  ClientOptions o;
  o.query_addr = hub.query_endpoint();
  o.register_addr = hub.register_endpoint();
  o.request_timeout = timeout;
  o.client_id = 0x1234;
  return o;
}

std::unique_ptr<Client> ConnectOrDie(ClientOptions o) {
  auto c = Client::Connect(std::move(o));
  REQUIRE(c.has_value());
  return std::move(*c);
}

Message V2(uint64_t epoch, Body body) {
  return Message{ProtocolVersion::kV2, 0, epoch, std::move(body)};
}

Message DecodeQuery(const FakeRequest& r) {
  auto m = DecodeRequest(r.message, DecodeLimits{}, Channel::kQuery);
  REQUIRE(m.has_value());
  return *m;
}

TEST_CASE("client: replies that come back out of order reach their own callers") {
  FakeHub hub;
  auto client = ConnectOrDie(OptionsFor(hub));
  std::vector<std::string> k1 = {"a"}, k2 = {"a", "b"}, k3 = {"a", "b", "c"};
  auto f1 = client->TouchAsync(k1);
  auto f2 = client->TouchAsync(k2);
  auto f3 = client->TouchAsync(k3);
  auto reqs = hub.WaitRequests(3, kWait);
  REQUIRE(reqs.size() == 3);
  // Answer each with its own key count, newest first.
  for (auto it = reqs.rbegin(); it != reqs.rend(); ++it) {
    Message m = DecodeQuery(*it);
    auto keys = std::get<Touch>(m.body).keys.size();
    hub.Reply(*it, V2(7, TouchResponse{keys * 100}));
  }
  CHECK(*f1.get() == 100);
  CHECK(*f2.get() == 200);
  CHECK(*f3.get() == 300);
  CHECK(client->counters().replies_matched == 3);
}

TEST_CASE("client: requests carry the stable routing id and the client id") {
  FakeHub hub;
  auto client = ConnectOrDie(OptionsFor(hub));
  std::vector<std::string> keys = {"k"};
  auto f = client->RemoveAsync(keys);
  auto reqs = hub.WaitRequests(1, kWait);
  REQUIRE(reqs.size() == 1);
  CHECK(reqs[0].routing_id == RoutingIdFor(0x1234));
  Message m = DecodeQuery(reqs[0]);
  CHECK(m.version == ProtocolVersion::kV2);
  CHECK(m.client_id == 0x1234);
  hub.Reply(reqs[0], V2(1, RemoveResponse{1}));
  CHECK(*f.get() == 1);
}

TEST_CASE("client: a timed-out request frees its slot and its late reply is dropped") {
  FakeHub hub;
  auto client = ConnectOrDie(OptionsFor(hub, milliseconds(200)));
  std::vector<std::string> keys = {"k"};
  auto first = client->Touch(keys);  // the hub does not answer in time
  REQUIRE_FALSE(first.has_value());
  CHECK(first.error().code() == StatusCode::kTimeout);
  CHECK(client->counters().timeouts == 1);
  auto reqs = hub.WaitRequests(1, kWait);
  REQUIRE(reqs.size() == 1);
  hub.Reply(reqs[0], V2(1, TouchResponse{555}));  // late: must not reach the next caller

  auto second = client->TouchAsync(keys);
  reqs = hub.WaitRequests(2, kWait);
  REQUIRE(reqs.size() == 2);
  CHECK(reqs[1].request_id != reqs[0].request_id);
  hub.Reply(reqs[1], V2(1, TouchResponse{7}));
  auto r = second.get();
  REQUIRE(r.has_value());
  CHECK(*r == 7);
  // Both replies travel on one connection in order, so the late one was seen first.
  CHECK(client->counters().late_replies == 1);
  CHECK(client->counters().replies_matched == 1);
}

TEST_CASE("client: an epoch change is counted and reported once") {
  FakeHub hub;
  uint64_t seen_old = 0, seen_new = 0;
  int calls = 0;
  ClientOptions o = OptionsFor(hub);
  o.on_epoch_change = [&](uint64_t a, uint64_t b) {
    seen_old = a;
    seen_new = b;
    ++calls;
  };
  auto client = ConnectOrDie(std::move(o));
  std::vector<std::string> keys = {"k"};
  size_t sent = 0;
  for (uint64_t epoch : {0xaaULL, 0xaaULL, 0xbbULL, 0xbbULL}) {
    auto f = client->TouchAsync(keys);
    auto reqs = hub.WaitRequests(++sent, kWait);
    REQUIRE(reqs.size() == sent);
    hub.Reply(reqs.back(), V2(epoch, TouchResponse{0}));
    REQUIRE(f.get().has_value());
  }
  CHECK(client->epoch_changes() == 1);
  CHECK(calls == 1);
  CHECK(seen_old == 0xaa);
  CHECK(seen_new == 0xbb);
  CHECK(client->counters().epoch == 0xbb);
}

TEST_CASE("client: hub errors and unexpected replies become Status") {
  FakeHub hub;
  auto client = ConnectOrDie(OptionsFor(hub));
  std::vector<std::string> keys = {"k"};
  auto f1 = client->CanOffloadAsync(keys);
  auto f2 = client->CanOffloadAsync(keys);
  auto f3 = client->CanOffloadAsync(keys);
  auto reqs = hub.WaitRequests(3, kWait);
  REQUIRE(reqs.size() == 3);
  hub.Reply(reqs[0], V2(1, ErrorResponse{StatusCode::kCapacity, "too many leases"}));
  hub.Reply(reqs[1], V2(1, TouchResponse{1}));      // wrong type
  hub.Reply(reqs[2], std::string("\x02\x04\x01"));  // truncated
  auto r1 = f1.get();
  REQUIRE_FALSE(r1.has_value());
  CHECK(r1.error().code() == StatusCode::kCapacity);
  CHECK(r1.error().message().find("too many leases") != std::string::npos);
  auto r2 = f2.get();
  REQUIRE_FALSE(r2.has_value());
  CHECK(r2.error().code() == StatusCode::kMalformed);
  auto r3 = f3.get();
  REQUIRE_FALSE(r3.has_value());
  CHECK(r3.error().code() == StatusCode::kMalformed);
}

TEST_CASE("client: CanOffload splits keys into granted / already stored / leased") {
  FakeHub hub;
  auto client = ConnectOrDie(OptionsFor(hub));
  std::vector<std::string> keys = {"a", "b", "c", "d"};
  auto f = client->CanOffloadAsync(keys);
  auto reqs = hub.WaitRequests(1, kWait);
  REQUIRE(reqs.size() == 1);
  hub.Reply(reqs[0],
            V2(1, CanOffloadResponse{30000,
                                     {OffloadStatus::kGranted, OffloadStatus::kLeased,
                                      OffloadStatus::kAlreadyStored, OffloadStatus::kGranted}}));
  auto r = f.get();
  REQUIRE(r.has_value());
  CHECK(r->granted == std::vector<std::string>{"a", "d"});
  CHECK(r->leased == std::vector<std::string>{"b"});
  CHECK(r->already_stored == std::vector<std::string>{"c"});
  CHECK(r->lease_ttl_ms == 30000);
}

TEST_CASE("client: Register batches by size, Flush sends a partial batch") {
  FakeHub hub;
  ClientOptions o = OptionsFor(hub);
  o.batch_size = 3;
  o.batch_timeout = milliseconds(60'000);  // only size or Flush can send
  auto client = ConnectOrDie(std::move(o));
  REQUIRE(
      client->Register({{"k1", "v1", ""}, {"k2", "v2", ""}, {"k3", "v3", "m3"}, {"k4", "v4", ""}})
          .ok());
  auto frames = hub.WaitRegistrations(1, kWait);
  REQUIRE(frames.size() == 1);
  auto m = DecodeRequest(frames[0], DecodeLimits{}, Channel::kRegistration);
  REQUIRE(m.has_value());
  CHECK(m->client_id == 0x1234);
  const auto& entries = std::get<Register>(m->body).entries;
  REQUIRE(entries.size() == 3);
  CHECK(entries[2] == Entry{"k3", "v3", "m3"});
  REQUIRE(client->Flush().ok());
  frames = hub.WaitRegistrations(2, kWait);
  REQUIRE(frames.size() == 2);
  auto m2 = DecodeRequest(frames[1], DecodeLimits{}, Channel::kRegistration);
  REQUIRE(m2.has_value());
  REQUIRE(std::get<Register>(m2->body).entries.size() == 1);
  CHECK(std::get<Register>(m2->body).entries[0].key == "k4");
  CHECK(client->counters().registrations_sent == 4);
  CHECK(client->Close().ok());
}

TEST_CASE("client: a partial batch goes out by itself after the batch timeout") {
  FakeHub hub;
  ClientOptions o = OptionsFor(hub);
  o.batch_size = 100;
  o.batch_timeout = milliseconds(20);
  auto client = ConnectOrDie(std::move(o));
  REQUIRE(client->Register({{"k1", "v1", ""}}).ok());
  auto frames = hub.WaitRegistrations(1, kWait);  // no Flush: the I/O thread's deadline sends it
  REQUIRE(frames.size() == 1);
}

TEST_CASE(
    "client: a full registration queue blocks Register, then fails, and Close reports unsent") {
  // A registration endpoint where nobody listens: ZeroMQ queues up to the HWM, then refuses.
  std::string dead_endpoint;
  {
    zmq::context_t ctx;
    zmq::socket_t s(ctx, zmq::socket_type::pull);
    s.bind("tcp://127.0.0.1:*");
    dead_endpoint = s.get(zmq::sockopt::last_endpoint);
  }
  FakeHub hub;
  ClientOptions o = OptionsFor(hub, milliseconds(200));
  o.register_addr = dead_endpoint;
  o.hwm = 1;
  o.batch_size = 1;
  o.max_pending_registrations = 2;
  auto client = ConnectOrDie(std::move(o));
  Status last;
  int accepted = 0;
  auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < 50 && last.ok(); ++i) {
    last = client->Register({{fmt::format("k{}", i), "v", ""}});
    if (last.ok()) ++accepted;
  }
  REQUIRE_FALSE(last.ok());
  CHECK(last.code() == StatusCode::kUnavailable);
  CHECK(std::chrono::steady_clock::now() - start >= milliseconds(200));  // it waited first
  CHECK(accepted >= 2);
  Status closed = client->Close();
  CHECK(closed.code() == StatusCode::kUnavailable);
  CHECK(client->counters().registrations_unsent >= 2);
  CHECK(client->counters().registrations_unsent ==
        client->counters().registrations_queued - client->counters().registrations_sent);
}

TEST_CASE("client: Close fails requests in flight and refuses new ones") {
  FakeHub hub;
  auto client = ConnectOrDie(OptionsFor(hub, milliseconds(60'000)));
  std::vector<std::string> keys = {"k"};
  auto f = client->TouchAsync(keys);
  REQUIRE(hub.WaitRequests(1, kWait).size() == 1);
  CHECK(client->Close().ok());
  auto r = f.get();
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().code() == StatusCode::kUnavailable);
  auto after = client->Touch(keys);
  REQUIRE_FALSE(after.has_value());
  CHECK(after.error().code() == StatusCode::kUnavailable);
  CHECK(client->Register({{"k", "v", ""}}).code() == StatusCode::kUnavailable);
}

TEST_CASE("client: protocol 1 refuses v2-only operations and emulates a leading-run Match") {
  FakeHub hub;
  ClientOptions o = OptionsFor(hub);
  o.protocol = ProtocolVersion::kV1;
  auto client = ConnectOrDie(std::move(o));
  std::vector<std::string> keys = {"a", "b", "c"};
  for (auto status : {client->Renew(keys).error(), client->Hello().error()}) {
    CHECK(status.code() == StatusCode::kInvalidArgument);
    CHECK(status.message().find("protocol 2") != std::string::npos);
  }
  CHECK(client->Release(keys).error().code() == StatusCode::kInvalidArgument);
  CHECK(client->Stats().error().code() == StatusCode::kInvalidArgument);
  std::vector<BlockEntry> entries = {{"a", "v", ""}};
  CHECK(client->RegisterSync(entries).error().code() == StatusCode::kInvalidArgument);

  auto f = client->MatchAsync(keys, MatchMode::kLeadingRun);
  auto reqs = hub.WaitRequests(1, kWait);
  REQUIRE(reqs.size() == 1);
  Message m = DecodeQuery(reqs[0]);
  CHECK(m.version == ProtocolVersion::kV1);
  // "b" is missing: the v1 reply skips it; the emulation must stop before "c".
  hub.Reply(reqs[0],
            Message{ProtocolVersion::kV1, 0, 0, MatchResponse{{{"a", "va", ""}, {"c", "vc", ""}}}});
  auto r = f.get();
  REQUIRE(r.has_value());
  REQUIRE(r->size() == 1);
  CHECK((*r)[0] == BlockEntry{"a", "va", ""});
}

}  // namespace
}  // namespace blockhub
