// blockhubd: wires configuration -> logging -> clock -> store -> core -> server (sockets bound) ->
// metrics endpoint (/healthz up, /readyz not yet) -> persistence (lock + recovery) -> ready
// (/readyz 200, ready line) -> serve until SIGINT/SIGTERM -> flush -> stop metrics.
//
// Exit codes: 0 after a clean shutdown (or --help), 2 for a bad flag, variable or endpoint, 1 for
// any other start-up or run-time failure (address in use, data dir unusable or locked by another
// hub, write-ahead log failure).
#include <signal.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <memory>
#include <optional>
#include <random>
#include <string>

#include "common/clock.h"
#include "common/logging.h"
#include "hub/core/hub_core.h"
#include "hub/metrics/metrics_http_server.h"
#include "hub/persistence/persistence.h"
#include "hub/server/hub_server.h"
#include "hub/server/server_config.h"
#include "hub/store/memory_catalog_store.h"

namespace blockhub {
namespace {

constexpr int kExitFailure = 1;
constexpr int kExitBadConfig = 2;

// A fresh random epoch per start: clients compare it to detect a restart. Never 0, so "no epoch
// seen yet" stays distinguishable on the client side.
uint64_t RandomEpoch() {
  std::random_device rd;
  uint64_t epoch = 0;
  while (epoch == 0) epoch = (static_cast<uint64_t>(rd()) << 32) | rd();
  return epoch;
}

// SIGINT/SIGTERM and SIGHUP are blocked in every thread (ZeroMQ's I/O threads inherit the mask, so
// they must be blocked before the context exists) and read through signalfds the server polls: a
// signal becomes an ordinary "stop" (SIGINT/SIGTERM) or "reload the authorized keys" (SIGHUP)
// event on the loop thread, no handler, no global state.
struct SignalFds {
  int stop = -1;
  int reload = -1;
};

SignalFds BlockSignalsAndOpenFds() {
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGINT);
  sigaddset(&stop, SIGTERM);
  sigset_t reload;
  sigemptyset(&reload);
  sigaddset(&reload, SIGHUP);
  sigset_t all = stop;
  sigaddset(&all, SIGHUP);
  if (pthread_sigmask(SIG_BLOCK, &all, nullptr) != 0) return {};
  return {signalfd(-1, &stop, SFD_CLOEXEC | SFD_NONBLOCK),
          signalfd(-1, &reload, SFD_CLOEXEC | SFD_NONBLOCK)};
}

// Starts the HTTP endpoint (before recovery, so /healthz answers and /readyz says "not ready"
// meanwhile). The snapshot source asks the loop thread by message.
Result<std::optional<MetricsHttpServer>> StartMetrics(const ServerConfig& config,
                                                      HubServer& server) {
  if (!config.metrics) return std::optional<MetricsHttpServer>();
  MetricsServerOptions options;
  options.address = *config.metrics;
  auto started = MetricsHttpServer::Start(
      options, [&server] { return server.RequestMetricsSnapshot(std::chrono::milliseconds(500)); });
  if (!started) return started.error();
  return std::optional<MetricsHttpServer>(std::move(*started));
}

Result<std::unique_ptr<persistence::Persistence>> OpenPersistence(const ServerConfig& config,
                                                                  HubCore& core,
                                                                  const Clock& clock) {
  if (config.persistence.data_dir.empty()) return std::unique_ptr<persistence::Persistence>();
  auto opened = persistence::Persistence::Open(config.persistence, core, clock);
  if (!opened) return opened.error();
  return opened;
}

int StartupFailure(const char* what, const Status& error) {
  std::cerr << "blockhubd: " << what << error.message() << "\n";
  return error.code() == StatusCode::kInvalidArgument ? kExitBadConfig : kExitFailure;
}

// Without CurveZMQ anyone who reaches a socket may read, lease and remove everything.
void WarnIfOpen(const ServerConfig& config) {
  if (!config.curve_secret_z85.empty()) return;
  for (const std::string* addr : {&config.query_addr, &config.register_addr}) {
    if (IsLoopbackEndpoint(*addr)) continue;
    spdlog::warn(
        "listening on {} without CurveZMQ: anyone who can reach it may read the catalog, take "
        "leases and remove entries; give --curve-secret-key-file and --authorized-keys (README "
        "\"Security\") or bind a loopback address",
        *addr);
  }
}

int Serve(ServerConfig config, SignalFds signals) {
  config.hub.epoch = RandomEpoch();
  SteadyClock clock;
  HubCore core(config.hub, MakeMemoryCatalogStore());
  ServerOptions options;
  options.query_addr = config.query_addr;
  options.register_addr = config.register_addr;
  options.hwm = config.hwm;
  options.events_addr = config.events_addr;
  options.events_hwm = config.events_hwm;
  options.events_heartbeat = std::chrono::milliseconds(config.events_heartbeat_ms);
  options.max_frame_bytes = config.max_frame_bytes;
  options.stop_fd = signals.stop;
  options.reload_fd = signals.reload;
  options.curve_secret_z85 = config.curve_secret_z85;
  options.authorized_keys = config.authorized_keys;
  options.authorized_keys_path = config.authorized_keys_file;
  options.max_peers = config.max_peers;
  options.max_unsynced = config.max_unsynced;
  options.latency_histograms = config.metrics.has_value();
  auto server = HubServer::Create(std::move(options), core, clock);
  if (!server) return StartupFailure("", server.error());
  auto metrics = StartMetrics(config, *server);
  if (!metrics && !config.metrics_explicit) {
    // Nobody asked for this address: a second hub on the machine must not fail over the default
    // metrics port. An address the operator gave is a hard requirement (below).
    spdlog::warn(
        "metrics endpoint disabled: the default address {} could not be bound ({}); "
        "give --metrics-addr HOST:PORT (0 = any free port) or 'off'",
        config.metrics_addr, metrics.error().message());
    metrics = std::optional<MetricsHttpServer>();
  }
  if (!metrics) return StartupFailure("metrics endpoint: ", metrics.error());
  spdlog::info("blockhubd {} epoch={:016x} {}", config.hub.hub_version, config.hub.epoch,
               DescribeServerConfig(config));
  WarnIfOpen(config);
  auto log = OpenPersistence(config, core, clock);
  if (!log) {
    if (*metrics) (*metrics)->Stop();
    return StartupFailure("persistence: ", log.error());
  }
  server->AttachPersistence(log->get());
  std::string ready =
      "ready query=" + server->query_endpoint() + " register=" + server->register_endpoint();
  if (*metrics) {
    (*metrics)->MarkReady();
    ready += " metrics=" + (*metrics)->url();
  }
  if (!server->events_endpoint().empty()) ready += " events=" + server->events_endpoint();
  std::printf("%s\n", ready.c_str());
  std::fflush(stdout);
  Status s = server->Run();          // closes the persistence layer (flush + fsync) on the way out
  if (*metrics) (*metrics)->Stop();  // before the server it reads from goes away
  if (!s.ok()) {
    spdlog::critical("hub loop failed: {}", s.ToString());
    return kExitFailure;
  }
  spdlog::info("blockhubd stopped");
  return 0;
}

}  // namespace
}  // namespace blockhub

int main(int argc, char** argv) {
  auto parsed = blockhub::ParseServerConfig(argc, argv, std::cout);
  if (!parsed) {
    std::cerr << "blockhubd: " << parsed.error().message() << "\n"
              << "Run with --help for the options.\n";
    return blockhub::kExitBadConfig;
  }
  if (!parsed->has_value()) return 0;  // --help / --version
  blockhub::ServerConfig config = std::move(**parsed);
  if (blockhub::Status s = blockhub::SetupLogging(config.log_level); !s.ok()) {
    std::cerr << "blockhubd: --log-level: " << s.message() << "\n";
    return blockhub::kExitBadConfig;
  }
  const blockhub::SignalFds signals = blockhub::BlockSignalsAndOpenFds();
  if (signals.stop < 0 || signals.reload < 0) {
    spdlog::critical("cannot set up signal handling");
    return blockhub::kExitFailure;
  }
  const int code = blockhub::Serve(std::move(config), signals);
  close(signals.stop);
  close(signals.reload);
  return code;
}
