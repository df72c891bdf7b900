// Change events from the real hub (--events-addr): a raw SUB socket sees every catalog change of
// known traffic, in order, with exact sequence numbers and the hub's epoch.
#include "codec/events.h"

#include <doctest/doctest.h>
#include <zmq.h>

#include <chrono>
#include <string>
#include <vector>

#include "tests/integration/integration_util.h"
#include "tests/support/hub_process.h"
#include "tests/support/raw_sockets.h"

namespace blockhub::testing {
namespace {

using std::chrono::milliseconds;

struct SeenEvent {
  uint64_t seq;
  EventKind kind;
  std::string key;
  std::string topic;
};

// A SUB socket on its own context (closed socket first, then the context).
class Subscriber {
 public:
  Subscriber(const std::string& endpoint, const std::string& topic) {
    ctx_ = zmq_ctx_new();
    sub_ = zmq_socket(ctx_, ZMQ_SUB);
    int linger = 0;
    zmq_setsockopt(sub_, ZMQ_LINGER, &linger, sizeof(linger));
    zmq_setsockopt(sub_, ZMQ_SUBSCRIBE, topic.data(), topic.size());
    ok_ = zmq_connect(sub_, endpoint.c_str()) == 0;
  }
  ~Subscriber() {
    zmq_close(sub_);
    zmq_ctx_term(ctx_);
  }
  Subscriber(const Subscriber&) = delete;
  Subscriber& operator=(const Subscriber&) = delete;
  bool ok() const { return ok_; }

  // Receives the batches that arrive within `wait` of each other; appends their events.
  void Drain(std::vector<SeenEvent>& out, uint64_t& epoch, milliseconds wait) {
    for (;;) {
      zmq_pollitem_t item{sub_, 0, ZMQ_POLLIN, 0};
      if (zmq_poll(&item, 1, static_cast<long>(wait.count())) <= 0) return;
      zmq_msg_t topic, body;
      zmq_msg_init(&topic);
      zmq_msg_init(&body);
      REQUIRE(zmq_msg_recv(&topic, sub_, 0) >= 0);
      REQUIRE(zmq_msg_more(&topic));
      REQUIRE(zmq_msg_recv(&body, sub_, 0) >= 0);
      const std::string t(static_cast<const char*>(zmq_msg_data(&topic)), zmq_msg_size(&topic));
      const std::string b(static_cast<const char*>(zmq_msg_data(&body)), zmq_msg_size(&body));
      zmq_msg_close(&topic);
      zmq_msg_close(&body);
      auto batch = DecodeEventBatch(b);
      REQUIRE_MESSAGE(batch.has_value(), batch.status().ToString());
      if (epoch == 0) epoch = batch->epoch;
      CHECK(batch->epoch == epoch);
      for (size_t i = 0; i < batch->events.size(); ++i) {
        const Event& e = batch->events[i];
        CHECK(t == EventKindName(e.kind));  // a batch holds one kind, named by its topic
        out.push_back({batch->first_seq + i, e.kind, std::string(e.key), t});
      }
    }
  }

 private:
  void* ctx_ = nullptr;
  void* sub_ = nullptr;
  bool ok_ = false;
};

// Stores and removes a probe key until `sub` has seen an event (the PUB/SUB subscription is only
// live after the connection is up). Returns the number of probe rounds (2 events each).
uint64_t WaitUntilSubscribed(RawDealer& dealer, Subscriber& sub, std::vector<SeenEvent>& seen,
                             uint64_t& epoch) {
  RawReply holder;
  const std::string probe = U64Key(999'999);
  uint64_t rounds = 0;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (seen.empty() && std::chrono::steady_clock::now() < deadline) {
    ++rounds;
    REQUIRE(Ask(dealer, 1, EncodeV2(1, RegisterSync{{{probe, "p", ""}}}), &holder).has_value());
    REQUIRE(Ask(dealer, 2, EncodeV2(1, Remove{{probe}}), &holder).has_value());
    sub.Drain(seen, epoch, milliseconds(20));
  }
  REQUIRE_FALSE(seen.empty());
  return rounds;
}

TEST_CASE("events: stored, removed and evicted with exact sequence numbers in applied order") {
  auto hub = HubProcess::Start(HubArgs({"--key-format", "u64", "--capacity", "3", "--eviction",
                                        "lru", "--events-addr", "tcp://127.0.0.1:*"}));
  REQUIRE_MESSAGE(hub.has_value(), hub.status().ToString());
  REQUIRE(hub->events_endpoint().starts_with("tcp://127.0.0.1:"));
  CHECK(hub->events_endpoint().find('*') == std::string::npos);
  auto dealer = RawDealer::Connect(hub->query_endpoint());
  REQUIRE(dealer.has_value());
  Subscriber sub(hub->events_endpoint(), "");
  REQUIRE(sub.ok());
  std::vector<SeenEvent> seen;
  uint64_t epoch = 0;
  const uint64_t rounds = WaitUntilSubscribed(*dealer, sub, seen, epoch);

  RawReply holder;
  const std::string k1 = U64Key(1), k2 = U64Key(2), k3 = U64Key(3), k4 = U64Key(4), k5 = U64Key(5);
  REQUIRE(Ask(*dealer, 3, EncodeV2(1, RegisterSync{{{k1, "a", ""}, {k2, "b", ""}, {k3, "c", ""}}}),
              &holder)
              .has_value());
  REQUIRE(Ask(*dealer, 4, EncodeV2(1, Remove{{k2}}), &holder).has_value());
  // Capacity 3 holds 1 and 3; 4 fits, 5 evicts the least recently used entry, 1.
  REQUIRE(Ask(*dealer, 5, EncodeV2(1, RegisterSync{{{k4, "d", ""}, {k5, "e", ""}}}), &holder)
              .has_value());

  // Wait (bounded) until the last expected event has arrived.
  const uint64_t base = 2 * rounds;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while ((seen.empty() || seen.back().seq < base + 7) &&
         std::chrono::steady_clock::now() < deadline) {
    sub.Drain(seen, epoch, milliseconds(50));
  }
  // Probe events first (stored, removed per round), then exactly the traffic's.
  REQUIRE(!seen.empty());
  CHECK(seen.back().seq == base + 7);
  for (size_t i = 1; i < seen.size(); ++i) CHECK(seen[i].seq == seen[i - 1].seq + 1);
  std::vector<SeenEvent> traffic;
  for (const SeenEvent& e : seen) {
    if (e.seq > base) traffic.push_back(e);
  }
  const std::vector<std::pair<EventKind, std::string>> want = {
      {EventKind::kStored, k1},  {EventKind::kStored, k2}, {EventKind::kStored, k3},
      {EventKind::kRemoved, k2}, {EventKind::kStored, k4}, {EventKind::kEvicted, k1},
      {EventKind::kStored, k5}};
  REQUIRE(traffic.size() == want.size());
  for (size_t i = 0; i < want.size(); ++i) {
    CAPTURE(i);
    CHECK(traffic[i].seq == base + 1 + i);
    CHECK(traffic[i].kind == want[i].first);
    CHECK(traffic[i].key == want[i].second);
  }
  CHECK(StatValue(*dealer, "server_events_published") == base + 7);
  CHECK(StatValue(*dealer, "server_events_dropped") == 0);
}

}  // namespace
}  // namespace blockhub::testing
