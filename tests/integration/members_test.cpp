// Worker membership against the real hub (codec/FORMAT.md "Members"): three workers announce with
// different metadata, Enumerate filters them exactly, a silent member disappears after its TTL,
// Multicast reaches exactly the matching members' topics on the events socket, a member that
// expires while holding leases has them released at once, and the limits and hostile frames get
// ErrorResponses. Raw DEALER and SUB sockets; every wait is bounded and polls a condition.
#include <doctest/doctest.h>
#include <zmq.h>

#include <algorithm>
#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include <httplib.h>

#include "codec/events.h"
#include "tests/metrics/exposition_parser.h"
#include "tests/integration/integration_util.h"
#include "tests/support/hub_process.h"
#include "tests/support/raw_sockets.h"

namespace blockhub::testing {
namespace {

using std::chrono::milliseconds;
using SteadyTime = std::chrono::steady_clock;

uint64_t UnixMsNow() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                   std::chrono::system_clock::now().time_since_epoch())
                                   .count());
}

// A SUB socket on its own context subscribed to one member's topic and to `sync` (so that the
// first sync batch proves both subscriptions are live: one connection's subscriptions reach the
// hub in order).
class MemberSubscriber {
 public:
  MemberSubscriber(const std::string& endpoint, uint64_t member_id)
      : topic_(MemberTopic(member_id)) {
    ctx_ = zmq_ctx_new();
    sub_ = zmq_socket(ctx_, ZMQ_SUB);
    int linger = 0;
    zmq_setsockopt(sub_, ZMQ_LINGER, &linger, sizeof(linger));
    zmq_setsockopt(sub_, ZMQ_SUBSCRIBE, topic_.data(), topic_.size());
    zmq_setsockopt(sub_, ZMQ_SUBSCRIBE, kEventSyncTopic.data(), kEventSyncTopic.size());
    ok_ = zmq_connect(sub_, endpoint.c_str()) == 0;
  }
  ~MemberSubscriber() {
    zmq_close(sub_);
    zmq_ctx_term(ctx_);
  }
  MemberSubscriber(const MemberSubscriber&) = delete;
  MemberSubscriber& operator=(const MemberSubscriber&) = delete;
  bool ok() const { return ok_; }

  // One two-frame message within `wait`: {topic, body}; nullopt when none came.
  std::optional<std::pair<std::string, std::string>> Receive(milliseconds wait) {
    zmq_pollitem_t item{sub_, 0, ZMQ_POLLIN, 0};
    if (zmq_poll(&item, 1, static_cast<long>(wait.count())) <= 0) return std::nullopt;
    std::vector<std::string> frames;
    for (;;) {
      zmq_msg_t m;
      zmq_msg_init(&m);
      if (zmq_msg_recv(&m, sub_, 0) < 0) {
        zmq_msg_close(&m);
        return std::nullopt;
      }
      frames.emplace_back(static_cast<const char*>(zmq_msg_data(&m)), zmq_msg_size(&m));
      const bool more = zmq_msg_more(&m) != 0;
      zmq_msg_close(&m);
      if (!more) break;
    }
    REQUIRE(frames.size() == 2);
    return std::make_pair(frames[0], frames[1]);
  }

  // Waits (bounded) for the first sync batch.
  bool WaitLive(milliseconds timeout = milliseconds(10'000)) {
    const auto deadline = SteadyTime::now() + timeout;
    while (SteadyTime::now() < deadline) {
      auto m = Receive(milliseconds(100));
      if (m && m->first == kEventSyncTopic) return true;
    }
    return false;
  }

  // The next message on the member topic (sync batches skipped), within `timeout`.
  std::optional<MulticastMessage> NextMulticast(std::string& holder,
                                                milliseconds timeout = milliseconds(5000)) {
    const auto deadline = SteadyTime::now() + timeout;
    while (SteadyTime::now() < deadline) {
      auto m = Receive(milliseconds(50));
      if (!m || m->first == kEventSyncTopic) continue;
      CHECK(m->first == topic_);
      holder = std::move(m->second);
      auto decoded = DecodeMulticastMessage(holder);
      REQUIRE_MESSAGE(decoded.has_value(), decoded.error().ToString());
      return *decoded;
    }
    return std::nullopt;
  }

 private:
  std::string topic_;
  void* ctx_ = nullptr;
  void* sub_ = nullptr;
  bool ok_ = false;
};

// Sends a v2 request and keeps the reply bytes alive with the decoded message.
Message Request(RawDealer& dealer, uint64_t client_id, Body body, RawReply& holder) {
  static uint32_t next_id = 1000;
  auto reply = Ask(dealer, ++next_id, EncodeV2(client_id, std::move(body)), &holder);
  REQUIRE_MESSAGE(reply.has_value(), reply.error().ToString());
  return *reply;
}

AnnounceResponse AnnounceOk(RawDealer& dealer, uint64_t id, std::string_view name,
                            uint32_t ttl_ms, MemberMetadata metadata) {
  RawReply holder;
  Message reply = Request(dealer, id, Announce{name, ttl_ms, std::move(metadata)}, holder);
  const auto* r = std::get_if<AnnounceResponse>(&reply.body);
  REQUIRE_MESSAGE(r != nullptr, "Announce answered with type "
                                    << MessageTypeName(TypeOf(reply.body)));
  return *r;
}

std::vector<uint64_t> Enumerated(RawDealer& dealer, MemberFilter filter) {
  RawReply holder;
  Message reply = Request(dealer, 999, Enumerate{std::move(filter)}, holder);
  const auto* r = std::get_if<EnumerateResponse>(&reply.body);
  REQUIRE(r != nullptr);
  std::vector<uint64_t> ids;
  for (const MemberInfo& m : r->members) ids.push_back(m.member_id);
  return ids;
}

StatusCode ErrorCodeOf(const Message& m) {
  const auto* e = std::get_if<ErrorResponse>(&m.body);
  return e != nullptr ? e->code : StatusCode::kOk;
}

TEST_CASE("members: announce, enumerate with filters, TTL expiry, multicast to exactly the matches") {
  HubProcessOptions options =
      HubArgs({"--key-format", "u64", "--events-addr", "tcp://127.0.0.1:*"});
  options.metrics = true;
  auto hub = HubProcess::Start(options);
  REQUIRE_MESSAGE(hub.has_value(), hub.status().ToString());
  // Three workers, each on its own connection, plus a coordinator (client 999, not a member).
  auto w1 = RawDealer::Connect(hub->query_endpoint());
  auto w2 = RawDealer::Connect(hub->query_endpoint());
  auto w3 = RawDealer::Connect(hub->query_endpoint());
  auto coord = RawDealer::Connect(hub->query_endpoint());
  REQUIRE((w1.has_value() && w2.has_value() && w3.has_value() && coord.has_value()));

  const uint64_t before_ms = UnixMsNow();
  AnnounceResponse a1 =
      AnnounceOk(*w1, 101, "w-101", 60'000, {{"role", "decode"}, {"gpu", "h100"}});
  CHECK(a1.member_id == 101);  // without CurveZMQ the member id is the client id
  CHECK(a1.ttl_ms == 60'000);
  CHECK_FALSE(a1.existed);
  AnnounceOk(*w2, 102, "w-102", 60'000, {{"role", "prefill"}, {"gpu", "a100"}});
  AnnounceOk(*w3, 103, "w-103", 60'000, {{"role", "decode"}});
  // A fourth member with a short TTL, which then says nothing.
  const auto short_start = SteadyTime::now();
  AnnounceOk(*coord, 104, "short", 300, {{"role", "decode"}});
  const uint64_t after_ms = UnixMsNow();

  {
    RawReply holder;
    Message reply = Request(*coord, 999, Enumerate{{}}, holder);
    const auto& e = std::get<EnumerateResponse>(reply.body);
    REQUIRE(e.members.size() == 4);
    const MemberInfo& m = e.members[0];
    CHECK(m.member_id == 101);
    CHECK(m.client_id == 101);
    CHECK(m.name == "w-101");
    CHECK(m.metadata == MemberMetadata{{"role", "decode"}, {"gpu", "h100"}});
    CHECK(m.ttl_ms == 60'000);
    // Unix ms (the hub's monotonic clock plus its start offset: allow a little rounding).
    CHECK(m.announced_at_ms + 1000 >= before_ms);
    CHECK(m.announced_at_ms <= after_ms + 1000);
    CHECK(m.last_heard_ms >= m.announced_at_ms);
    CHECK(e.now_ms >= m.last_heard_ms);
  }
  CHECK(Enumerated(*coord, {}) == std::vector<uint64_t>{101, 102, 103, 104});
  CHECK(Enumerated(*coord, {{"role", "decode"}}) == std::vector<uint64_t>{101, 103, 104});
  CHECK(Enumerated(*coord, {{"gpu", std::nullopt}}) == std::vector<uint64_t>{101, 102});
  CHECK(Enumerated(*coord, {{"role", "decode"}, {"gpu", std::nullopt}}) ==
        std::vector<uint64_t>{101});
  CHECK(Enumerated(*coord, {{"gpu", "tpu"}}).empty());

  // 104 disappears after its TTL (polled with a deadline; never earlier than the TTL).
  bool gone = false;
  const auto deadline = SteadyTime::now() + std::chrono::seconds(10);
  while (!gone && SteadyTime::now() < deadline) {
    const auto ids = Enumerated(*coord, {});
    gone = std::find(ids.begin(), ids.end(), 104) == ids.end();
  }
  REQUIRE(gone);
  CHECK(SteadyTime::now() - short_start >= milliseconds(300));
  CHECK(Enumerated(*coord, {}) == std::vector<uint64_t>{101, 102, 103});
  CHECK(StatValue(*coord, "members_expired") == 1);

  // Multicast: one subscriber per worker, each on its own topic.
  MemberSubscriber s1(hub->events_endpoint(), 101), s2(hub->events_endpoint(), 102),
      s3(hub->events_endpoint(), 103);
  REQUIRE((s1.ok() && s2.ok() && s3.ok()));
  REQUIRE(s1.WaitLive());
  REQUIRE(s2.WaitLive());
  REQUIRE(s3.WaitLive());
  {
    RawReply holder;
    Message reply = Request(*coord, 999, Multicast{{{"role", "decode"}}, "hello"}, holder);
    REQUIRE(std::holds_alternative<MulticastResponse>(reply.body));
    CHECK(std::get<MulticastResponse>(reply.body).matched == 2);  // 101 and 103 (104 is gone)
    reply = Request(*coord, 999, Multicast{{{"role", "prefill"}}, "second"}, holder);
    CHECK(std::get<MulticastResponse>(reply.body).matched == 1);
  }
  std::string b1, b2, b3;
  auto m1 = s1.NextMulticast(b1);
  REQUIRE(m1.has_value());
  CHECK(m1->payload == "hello");
  CHECK(m1->member_id == 101);
  CHECK(m1->sender == 999);
  CHECK(m1->epoch != 0);
  auto m3 = s3.NextMulticast(b3);
  REQUIRE(m3.has_value());
  CHECK(m3->payload == "hello");
  CHECK(m3->member_id == 103);
  // 102 did not get "hello": the first thing on its topic is the later "second" (one PUB
  // connection keeps the hub's order).
  auto m2 = s2.NextMulticast(b2);
  REQUIRE(m2.has_value());
  CHECK(m2->payload == "second");
  CHECK(m2->member_id == 102);
  CHECK(m2->epoch == m1->epoch);

  CHECK(StatValue(*coord, "multicasts") == 2);
  CHECK(StatValue(*coord, "multicast_recipients") == 3);
  CHECK(StatValue(*coord, "server_multicast_published") == 3);
  CHECK(StatValue(*coord, "server_multicast_dropped") == 0);
  CHECK(StatValue(*coord, "members") == 3);

  // A withdraw removes the member at once.
  AnnounceResponse w = AnnounceOk(*w2, 102, "", 0, {});
  CHECK(w.existed);
  CHECK(Enumerated(*coord, {}) == std::vector<uint64_t>{101, 103});

  // The metrics endpoint: exact values after this traffic.
  httplib::Client http(hub->metrics_url());
  http.set_connection_timeout(2);
  http.set_read_timeout(5);
  auto res = http.Get("/metrics");
  REQUIRE(res);
  REQUIRE(res->status == 200);
  auto metrics = ParseExposition(res->body);
  REQUIRE_MESSAGE(metrics.has_value(), metrics.status().ToString());
  CHECK(metrics->Value("registry_members_current") == 2);
  CHECK(metrics->Value("registry_member_announces_total") == 4);
  CHECK(metrics->Value("registry_member_expirations_total") == 1);
  CHECK(metrics->Value("registry_member_withdrawals_total") == 1);
  CHECK(metrics->Value("registry_multicasts_total") == 2);
  CHECK(metrics->Value("registry_multicast_recipients_total") == 3);
  CHECK(metrics->Value("registry_multicast_dropped_total") == 0);
  CHECK(metrics->Value("registry_query_requests_total", {{"query_type", "announce"}}) == 5);
  CHECK(metrics->Value("registry_query_requests_total", {{"query_type", "multicast"}}) == 2);
  REQUIRE(hub->Stop().has_value());
}

TEST_CASE("members: a member that expires while holding leases has them released at once") {
  auto hub = HubProcess::Start(HubArgs({"--key-format", "u64", "--lease-timeout-ms", "60000"}));
  REQUIRE_MESSAGE(hub.has_value(), hub.status().ToString());
  auto worker = RawDealer::Connect(hub->query_endpoint());
  auto other = RawDealer::Connect(hub->query_endpoint());
  REQUIRE((worker.has_value() && other.has_value()));
  const std::string k1 = U64Key(1), k2 = U64Key(2), k3 = U64Key(3);
  using OS = OffloadStatus;

  AnnounceOk(*worker, 201, "dies", 500, {});
  RawReply holder;
  const auto last_heard = SteadyTime::now();  // the hub hears the CanOffload after this
  Message reply = Request(*worker, 201, CanOffload{{k1, k2, k3}}, holder);  // its last heartbeat
  REQUIRE(std::holds_alternative<CanOffloadResponse>(reply.body));
  CHECK(std::get<CanOffloadResponse>(reply.body).statuses ==
        std::vector<OS>{OS::kGranted, OS::kGranted, OS::kGranted});
  reply = Request(*other, 202, CanOffload{{k1}}, holder);
  CHECK(std::get<CanOffloadResponse>(reply.body).statuses == std::vector<OS>{OS::kLeased});

  // The worker goes silent. Another client is Granted every key once its membership lapses,
  // long before the 60 s lease TTL.
  std::vector<OS> statuses;
  const auto deadline = SteadyTime::now() + std::chrono::seconds(10);
  while (SteadyTime::now() < deadline) {
    reply = Request(*other, 202, CanOffload{{k1, k2, k3}}, holder);
    REQUIRE(std::holds_alternative<CanOffloadResponse>(reply.body));
    statuses = std::get<CanOffloadResponse>(reply.body).statuses;
    if (statuses[0] == OS::kGranted) break;
    CHECK(statuses == std::vector<OS>{OS::kLeased, OS::kLeased, OS::kLeased});  // all or none
  }
  const auto waited = SteadyTime::now() - last_heard;
  CHECK(statuses == std::vector<OS>{OS::kGranted, OS::kGranted, OS::kGranted});
  CHECK(waited >= milliseconds(500));
  CHECK(waited < std::chrono::seconds(30));
  CHECK(StatValue(*other, "leases_released_by_departure") == 3);
  CHECK(StatValue(*other, "members_expired") == 1);
  // The departed worker no longer holds them.
  reply = Request(*worker, 201, Release{{k1, k2, k3}}, holder);
  CHECK(std::get<ReleaseResponse>(reply.body).released == 0);
  REQUIRE(hub->Stop().has_value());
}

TEST_CASE("members: limits, multicast without events, and hostile frames get ErrorResponses") {
  auto hub = HubProcess::Start(HubArgs({"--key-format", "u64", "--max-members", "1",
                                        "--max-member-metadata-bytes", "16",
                                        "--max-multicast-bytes", "8"}));
  REQUIRE_MESSAGE(hub.has_value(), hub.status().ToString());
  auto dealer = RawDealer::Connect(hub->query_endpoint());
  REQUIRE(dealer.has_value());
  RawReply holder;

  // Multicast needs the events socket.
  Message reply = Request(*dealer, 1, Multicast{{}, "x"}, holder);
  CHECK(ErrorCodeOf(reply) == StatusCode::kWrongChannel);
  CHECK(std::get<ErrorResponse>(reply.body).message.find("--events-addr") != std::string::npos);
  CHECK(reply.version == ProtocolVersion::kV2);
  // Limits: metadata bytes (too_large), members (capacity), multicast payload (too_large).
  reply = Request(*dealer, 1, Announce{"w", 1000, {{"key", "0123456789abcdef"}}}, holder);
  CHECK(ErrorCodeOf(reply) == StatusCode::kTooLarge);
  CHECK(AnnounceOk(*dealer, 1, "w", 60'000, {{"k", "v"}}).ttl_ms == 60'000);
  reply = Request(*dealer, 2, Announce{"w", 1000, {}}, holder);
  CHECK(ErrorCodeOf(reply) == StatusCode::kCapacity);
  CHECK(AnnounceOk(*dealer, 1, "w", 60'000, {{"k", "v2"}}).existed);  // renewal at the bound
  reply = Request(*dealer, 1, Multicast{{}, "123456789"}, holder);
  CHECK(ErrorCodeOf(reply) == StatusCode::kTooLarge);
  // A repeated metadata key.
  reply = Request(*dealer, 1, Announce{"w", 1000, {{"a", "1"}, {"a", "2"}}}, holder);
  CHECK(ErrorCodeOf(reply) == StatusCode::kMalformed);
  CHECK(Enumerated(*dealer, {{"k", "v2"}}) == std::vector<uint64_t>{1});  // unchanged

  // Hostile frames, byte for byte.
  const std::string c1 = FromHex("01 00 00 00 00 00 00 00");
  const std::pair<std::string, StatusCode> cases[] = {
      {FromHex("02 15") + c1 + FromHex("00 00 e8 03 00 00 ff ff ff ff"), StatusCode::kTooLarge},
      {FromHex("02 15") + c1 + FromHex("00 00 e8 03 00 00 08 00 00 00 01 00 6b"),
       StatusCode::kMalformed},
      {FromHex("02 15") + c1 + FromHex("00 00 e8 03 00 00 01 00 00 00 00 00 00 00"),
       StatusCode::kMalformed},  // empty key
      {FromHex("02 15") + c1 + FromHex("00 00 e8 03"), StatusCode::kMalformed},  // truncated
      {FromHex("02 15") + c1 + FromHex("00 00 e8 03 00 00 00 00 00 00 ff"),
       StatusCode::kMalformed},  // trailing byte
      {FromHex("02 17") + c1 + FromHex("01 00 00 00 01 00 6b 02"), StatusCode::kMalformed},
      {FromHex("02 17") + c1 + FromHex("ff ff ff ff"), StatusCode::kTooLarge},
      {FromHex("02 19") + c1 + FromHex("00 00 00 00 ff ff"), StatusCode::kTooLarge},
      {FromHex("02 16") + c1 + FromHex("00 00 00 00 00 00 00 00 00 00 00 00 00"),
       StatusCode::kWrongChannel},  // a response type
      {FromHex("01 15 00 00 00 00"), StatusCode::kUnknownType},  // v2 only
  };
  uint32_t id = 500;
  for (const auto& [frame, code] : cases) {
    CAPTURE(ToHex(frame));
    auto r = Ask(*dealer, ++id, frame, &holder);
    REQUIRE(r.has_value());
    const auto* e = std::get_if<ErrorResponse>(&r->body);
    REQUIRE(e != nullptr);
    if (r->version == ProtocolVersion::kV2) {
      CHECK(e->code == code);
    } else {
      CHECK(e->message.starts_with(std::string(StatusCodeName(code))));
    }
  }
  // The hub is fine and the member is still there.
  CHECK(Enumerated(*dealer, {}) == std::vector<uint64_t>{1});
  REQUIRE(hub->Stop().has_value());
}

}  // namespace
}  // namespace blockhub::testing
