#include "hub/metrics/metrics_http_server.h"

#include <arpa/inet.h>
#include <doctest/doctest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "hub/metrics/prometheus_text.h"
#include "tests/metrics/sample_snapshot.h"

namespace blockhub {
namespace {

TEST_CASE("ParseMetricsAddr: off, host:port, :port, [v6]:port") {
  auto off = ParseMetricsAddr("off");
  REQUIRE(off.has_value());
  CHECK_FALSE(off->has_value());

  auto def = ParseMetricsAddr(kDefaultMetricsAddr);
  REQUIRE(def.has_value());
  REQUIRE(def->has_value());
  CHECK((*def)->host == "0.0.0.0");
  CHECK((*def)->port == 9108);

  auto any = ParseMetricsAddr(":0");
  REQUIRE(any.has_value());
  CHECK((*any)->host == "0.0.0.0");
  CHECK((*any)->port == 0);

  auto v6 = ParseMetricsAddr("[::1]:65535");
  REQUIRE(v6.has_value());
  CHECK((*v6)->host == "::1");
  CHECK((*v6)->port == 65535);
  CHECK(FormatHostPort(**v6) == "[::1]:65535");
  CHECK(FormatHostPort(MetricsAddress{"127.0.0.1", 80}) == "127.0.0.1:80");
}

TEST_CASE("ParseMetricsAddr: clear errors") {
  for (const char* bad : {"", "9108", "localhost", "host:", "host:65536", "host:12x", "host:-1",
                          "::1:9108", "http://0.0.0.0:9108", "[::1]9108", "[::1]", "[]:1", "OFF"}) {
    CAPTURE(bad);
    auto r = ParseMetricsAddr(bad);
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().code() == StatusCode::kInvalidArgument);
    CHECK(r.error().message().find("expected HOST:PORT") != std::string::npos);
    CHECK(r.error().message().find(std::string("'") + bad + "'") != std::string::npos);
  }
}

MetricsServerOptions Loopback(uint16_t port = 0) {
  MetricsServerOptions options;
  options.address = MetricsAddress{"127.0.0.1", port};
  options.io_timeout = std::chrono::seconds(1);
  return options;
}

httplib::Client ClientFor(const MetricsHttpServer& server) {
  httplib::Client client("127.0.0.1", server.bound_address().port);
  client.set_connection_timeout(2, 0);
  client.set_read_timeout(5, 0);
  return client;
}

TEST_CASE("MetricsHttpServer: serves /metrics, /healthz, /readyz and 404 on 127.0.0.1:0") {
  const MetricsSnapshot sample = testing::MakeSampleSnapshot(true);
  std::atomic<int> calls{0};
  auto started = MetricsHttpServer::Start(Loopback(), [&]() -> std::optional<MetricsSnapshot> {
    calls.fetch_add(1);
    return sample;
  });
  REQUIRE_MESSAGE(started.has_value(), started.error().ToString());
  MetricsHttpServer& server = *started;
  const uint16_t port = server.bound_address().port;
  CHECK(port != 0);
  CHECK(server.url() == "http://127.0.0.1:" + std::to_string(port));
  httplib::Client client = ClientFor(server);

  auto metrics = client.Get("/metrics");
  REQUIRE(metrics);
  CHECK(metrics->status == 200);
  CHECK(metrics->get_header_value("Content-Type") == kPrometheusContentType);
  CHECK(metrics->body == RenderPrometheus(sample));
  CHECK(calls.load() == 1);

  auto health = client.Get("/healthz");
  REQUIRE(health);
  CHECK(health->status == 200);
  CHECK(health->body == "ok\n");

  auto not_ready = client.Get("/readyz");
  REQUIRE(not_ready);
  CHECK(not_ready->status == 503);
  CHECK_FALSE(server.ready());
  server.MarkReady();
  CHECK(server.ready());
  auto ready = client.Get("/readyz");
  REQUIRE(ready);
  CHECK(ready->status == 200);

  auto missing = client.Get("/nope");
  REQUIRE(missing);
  CHECK(missing->status == 404);
  CHECK(calls.load() == 1);  // only /metrics asks for a snapshot

  server.Stop();
  server.Stop();  // idempotent
  httplib::Client after("127.0.0.1", port);
  after.set_connection_timeout(1, 0);
  CHECK_FALSE(after.Get("/healthz"));  // nothing listens any more
  CHECK(calls.load() == 1);
}

TEST_CASE("MetricsHttpServer: /metrics is 503 when no snapshot can be had") {
  auto server =
      MetricsHttpServer::Start(Loopback(), [] { return std::optional<MetricsSnapshot>(); });
  REQUIRE(server.has_value());
  auto res = ClientFor(*server).Get("/metrics");
  REQUIRE(res);
  CHECK(res->status == 503);
}

TEST_CASE("MetricsHttpServer: a port in use is an Unavailable error naming the address") {
  auto first =
      MetricsHttpServer::Start(Loopback(), [] { return std::optional<MetricsSnapshot>(); });
  REQUIRE(first.has_value());
  const uint16_t port = first->bound_address().port;
  auto second =
      MetricsHttpServer::Start(Loopback(port), [] { return std::optional<MetricsSnapshot>(); });
  REQUIRE_FALSE(second.has_value());
  CHECK(second.error().code() == StatusCode::kUnavailable);
  CHECK(second.error().message().find("127.0.0.1:" + std::to_string(port)) != std::string::npos);
}

TEST_CASE("MetricsHttpServer: Stop is bounded with an idle connection open") {
  auto server =
      MetricsHttpServer::Start(Loopback(), [] { return std::optional<MetricsSnapshot>(); });
  REQUIRE(server.has_value());
  // A client that connects and never sends a request occupies a worker until the I/O timeout.
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(fd >= 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(server->bound_address().port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const bool connected = connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  // Connections are accepted in order: once a later request is answered, the idle one has been
  // accepted and handed to a worker.
  auto res = ClientFor(*server).Get("/healthz");
  REQUIRE(res);
  const auto start = std::chrono::steady_clock::now();
  std::thread stopper([&] { server->Stop(); });  // Stop from another thread
  stopper.join();
  const auto elapsed = std::chrono::steady_clock::now() - start;
  close(fd);
  CHECK(connected);
  // io_timeout is 1 s; allow generous scheduling slack on a loaded 2-core machine.
  CHECK(elapsed < std::chrono::seconds(4));
}

TEST_CASE("MetricsHttpServer: Stop right after Start, destructor stops, moves keep serving") {
  for (int i = 0; i < 20; ++i) {
    auto server =
        MetricsHttpServer::Start(Loopback(), [] { return std::optional<MetricsSnapshot>(); });
    REQUIRE(server.has_value());
    server->Stop();
  }
  auto started =
      MetricsHttpServer::Start(Loopback(), [] { return std::optional<MetricsSnapshot>(); });
  REQUIRE(started.has_value());
  MetricsHttpServer moved = std::move(*started);
  auto res = ClientFor(moved).Get("/healthz");
  REQUIRE(res);
  CHECK(res->status == 200);
  {
    auto scoped =
        MetricsHttpServer::Start(Loopback(), [] { return std::optional<MetricsSnapshot>(); });
    REQUIRE(scoped.has_value());
  }  // destructor stops and joins
}

}  // namespace
}  // namespace blockhub
