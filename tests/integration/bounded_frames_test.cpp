// Oversized frames against the real hub (--max-frame-bytes = ZMQ_MAXMSGSIZE): a 300 MB frame on the
// ROUTER and on the PULL disconnects its sender before the frame is buffered, so the hub's resident
// memory stays near its idle size, and the hub keeps answering its other clients.
#include <doctest/doctest.h>
#include <zmq.h>

#include <chrono>
#include <cstring>
#include <fstream>
#include <string>

#include "tests/integration/integration_util.h"
#include "tests/support/hub_process.h"
#include "tests/support/raw_sockets.h"

namespace blockhub::testing {
namespace {

constexpr size_t kHugeFrame = 300u << 20;  // 300 MiB
constexpr long kRssSlackKb = 50 * 1024;    // the acceptance bound: 50 MB over idle

// VmRSS of `pid` in kB, or -1.
long VmRssKb(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  }
  return -1;
}

// Sends one `bytes`-long frame on a fresh socket of `type` connected to `endpoint` and waits
// (bounded) until the hub drops that connection. True if the disconnect was seen.
bool SendHugeFrameAndAwaitDisconnect(const std::string& endpoint, int type, size_t bytes) {
  void* ctx = zmq_ctx_new();
  void* socket = zmq_socket(ctx, type);
  const int linger = 0;
  zmq_setsockopt(socket, ZMQ_LINGER, &linger, sizeof(linger));
  const int no_reconnect = -1;  // one connection: its drop is the event we wait for
  zmq_setsockopt(socket, ZMQ_RECONNECT_IVL, &no_reconnect, sizeof(no_reconnect));
  const std::string monitor_ep = "inproc://bounded-frames-monitor";
  zmq_socket_monitor(socket, monitor_ep.c_str(), ZMQ_EVENT_DISCONNECTED);
  void* monitor = zmq_socket(ctx, ZMQ_PAIR);
  zmq_connect(monitor, monitor_ep.c_str());
  bool disconnected = false;
  if (zmq_connect(socket, endpoint.c_str()) == 0) {
    zmq_msg_t msg;
    zmq_msg_init_size(&msg, bytes);
    std::memset(zmq_msg_data(&msg), 0x02, bytes);  // looks like a v2 message, never decoded
    if (zmq_msg_send(&msg, socket, 0) < 0) zmq_msg_close(&msg);
    zmq_pollitem_t item = {monitor, 0, ZMQ_POLLIN, 0};
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (!disconnected && std::chrono::steady_clock::now() < deadline) {
      if (zmq_poll(&item, 1, 200) <= 0) continue;
      zmq_msg_t event;
      zmq_msg_init(&event);
      if (zmq_msg_recv(&event, monitor, 0) >= 0 && zmq_msg_size(&event) >= 2) {
        uint16_t id = 0;
        std::memcpy(&id, zmq_msg_data(&event), sizeof(id));
        disconnected = id == ZMQ_EVENT_DISCONNECTED;
      }
      // The event's second frame (the endpoint) is not needed.
      while (zmq_msg_more(&event) != 0 && zmq_msg_recv(&event, monitor, 0) >= 0) {
      }
      zmq_msg_close(&event);
    }
  }
  zmq_close(monitor);
  zmq_close(socket);
  zmq_ctx_term(ctx);
  return disconnected;
}

bool HubAnswersHello(RawDealer& dealer, uint32_t id) {
  RawReply holder;
  auto reply = Ask(dealer, id, EncodeV2(7, Hello{"bounded", ""}), &holder);
  return reply.has_value() && std::holds_alternative<HelloResponse>(reply->body);
}

void CheckHugeFrameIsRefused(bool on_router) {
  auto hub = HubProcess::Start(HubArgs({"--max-frame-bytes", "1048576"}));
  REQUIRE_MESSAGE(hub.has_value(), hub.status().ToString());
  auto dealer = RawDealer::Connect(hub->query_endpoint());
  REQUIRE(dealer.has_value());
  REQUIRE(HubAnswersHello(*dealer, 1));
  const long idle_kb = VmRssKb(hub->pid());
  REQUIRE(idle_kb > 0);
  const std::string& endpoint = on_router ? hub->query_endpoint() : hub->register_endpoint();
  CHECK(SendHugeFrameAndAwaitDisconnect(endpoint, on_router ? ZMQ_DEALER : ZMQ_PUSH, kHugeFrame));
  CHECK(HubAnswersHello(*dealer, 2));
  const long after_kb = VmRssKb(hub->pid());
  CAPTURE(idle_kb);
  CAPTURE(after_kb);
  CHECK(after_kb - idle_kb < kRssSlackKb);
  // A frame within the bound still works on the same hub.
  RawReply holder;
  auto stored = Ask(*dealer, 3, EncodeV2(7, RegisterSync{{{U64Key(9), "nine", ""}}}), &holder);
  REQUIRE(stored.has_value());
  CHECK(std::holds_alternative<RegisterSyncResponse>(stored->body));
  auto stopped = hub->Stop();
  REQUIRE(stopped.has_value());
  CHECK(stopped->code == 0);
}

TEST_CASE("a 300 MB frame on the ROUTER disconnects its sender and leaves the hub's memory bounded") {
  CheckHugeFrameIsRefused(true);
}

TEST_CASE("a 300 MB frame on the PULL disconnects its sender and leaves the hub's memory bounded") {
  CheckHugeFrameIsRefused(false);
}

TEST_CASE("--max-frame-bytes and its variable are validated") {
  auto bad = RunBlockhubd({"--max-frame-bytes", "-5"});
  REQUIRE(bad.has_value());
  CHECK(bad->exit.code == 2);
  CHECK(bad->stderr_text.find("--max-frame-bytes") != std::string::npos);
  bad = RunBlockhubd({}, {{"DYN_REGISTRY_HUB_MAX_FRAME_BYTES", "lots"}});
  REQUIRE(bad.has_value());
  CHECK(bad->exit.code == 2);
  CHECK(bad->stderr_text.find("DYN_REGISTRY_HUB_MAX_FRAME_BYTES") != std::string::npos);
}

}  // namespace
}  // namespace blockhub::testing
