// --max-peers against the real hub: 2,000 TCP connections opened at once on loopback (a flood that
// never speaks ZMTP) leave the hub answering a client that was connected before; connections over
// the bound are closed at once and counted, and the connected-peers gauge comes back down.
#include <arpa/inet.h>
#include <doctest/doctest.h>
#include <fcntl.h>
#include <httplib.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <string>
#include <vector>

#include "tests/integration/integration_util.h"
#include "tests/metrics/exposition_parser.h"
#include "tests/support/hub_process.h"
#include "tests/support/raw_sockets.h"

namespace blockhub::testing {
namespace {

constexpr size_t kFlood = 2000;
constexpr uint64_t kMaxPeers = 100;

// Non-blocking TCP connections, all closed at scope exit.
class Flood {
 public:
  Flood() = default;
  Flood(const Flood&) = delete;
  Flood& operator=(const Flood&) = delete;
  ~Flood() { CloseAll(); }

  // Starts `n` connections to 127.0.0.1:`port` without waiting for any; false if a socket could
  // not even be created (descriptor limit).
  bool Open(int port, size_t n) {
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    for (size_t i = 0; i < n; ++i) {
      const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
      if (fd < 0) return false;
      fds_.push_back(fd);
      (void)::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof(addr));  // EINPROGRESS
    }
    return true;
  }
  // Waits (bounded) until every connect has finished; returns how many are established.
  size_t AwaitConnected(std::chrono::milliseconds budget) {
    std::vector<pollfd> pending;
    for (int fd : fds_) pending.push_back({fd, POLLOUT, 0});
    size_t connected = 0;
    const auto deadline = std::chrono::steady_clock::now() + budget;
    while (!pending.empty() && std::chrono::steady_clock::now() < deadline) {
      if (::poll(pending.data(), pending.size(), 100) <= 0) continue;
      std::vector<pollfd> still;
      for (const pollfd& p : pending) {
        if (p.revents == 0) {
          still.push_back({p.fd, POLLOUT, 0});
          continue;
        }
        int err = 0;
        socklen_t len = sizeof(err);
        if (::getsockopt(p.fd, SOL_SOCKET, SO_ERROR, &err, &len) == 0 && err == 0) ++connected;
      }
      pending.swap(still);
    }
    return connected;
  }
  // Closes with a reset (linger 0), so the hub sees each connection end at once.
  void CloseAll() {
    const linger reset{1, 0};
    for (int fd : fds_) {
      ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &reset, sizeof(reset));
      ::close(fd);
    }
    fds_.clear();
  }

 private:
  std::vector<int> fds_;
};

int PortOf(const std::string& endpoint) {
  return std::atoi(endpoint.c_str() + endpoint.rfind(':') + 1);
}

double MetricValue(const HubProcess& hub, std::string_view name, const LabelSet& labels = {}) {
  httplib::Client client(hub.metrics_url());
  client.set_connection_timeout(2);
  client.set_read_timeout(5);
  auto res = client.Get("/metrics");
  if (!res || res->status != 200) return -1;
  auto parsed = ParseExposition(res->body);
  if (!parsed) return -1;
  return parsed->Value(name, labels).value_or(-1);
}

bool AnswersHello(RawDealer& dealer) {
  static uint32_t id = 0;
  RawReply holder;
  auto reply = Ask(dealer, ++id, EncodeV2(3, Hello{"existing", ""}), &holder);
  return reply.has_value() && std::holds_alternative<HelloResponse>(reply->body);
}

TEST_CASE("max peers: 2000 connections at once leave the hub answering its existing client") {
  HubProcessOptions options = HubArgs({"--max-peers", std::to_string(kMaxPeers)});
  options.metrics = true;
  auto hub = HubProcess::Start(options);
  REQUIRE_MESSAGE(hub.has_value(), hub.status().ToString());
  auto dealer = RawDealer::Connect(hub->query_endpoint());
  REQUIRE(dealer.has_value());
  REQUIRE(AnswersHello(*dealer));

  Flood flood;
  REQUIRE(flood.Open(PortOf(hub->query_endpoint()), kFlood));
  // While the flood is open, the existing client is answered.
  CHECK(AnswersHello(*dealer));
  const size_t connected = flood.AwaitConnected(std::chrono::seconds(10));
  CAPTURE(connected);
  REQUIRE(connected >= kFlood / 2);
  CHECK(AnswersHello(*dealer));
  // The flood never speaks, so a connection the hub kept stays open: at most kMaxPeers are kept
  // (the existing client among them) and every other one is refused and counted.
  const LabelSet too_many = {{"reason", "too_many_peers"}};
  const double must_refuse = static_cast<double>(connected + 1 - kMaxPeers);
  CHECK(RetryUntil(
      [&] { return MetricValue(*hub, "registry_auth_failures_total", too_many) >= must_refuse; },
      std::chrono::seconds(20)));
  CHECK(RetryUntil([&] { return MetricValue(*hub, "registry_connected_peers") <= kMaxPeers; },
                   std::chrono::seconds(20)));
  CHECK(AnswersHello(*dealer));

  // Once the flood is gone, only the existing client remains.
  flood.CloseAll();
  CHECK(RetryUntil([&] { return MetricValue(*hub, "registry_connected_peers") == 1; },
                   std::chrono::seconds(20)));

  CHECK(AnswersHello(*dealer));
}

TEST_CASE("max peers: a bad value is a start-up error naming the flag") {
  auto out = RunBlockhubd({"--max-peers", "many"});
  REQUIRE(out.has_value());
  CHECK(out->exit.code == 2);
  CHECK(out->stderr_text.find("--max-peers") != std::string::npos);
}

}  // namespace
}  // namespace blockhub::testing
