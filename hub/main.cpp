// blockhubd: wires configuration -> logging -> clock -> store -> core -> server, prints the ready
// line, and serves until SIGINT/SIGTERM.
//
// Exit codes: 0 after a clean shutdown (or --help), 2 for a bad flag, variable or endpoint, 1 for
// any other start-up or run-time failure (e.g. the address is already in use).
#include <signal.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <random>

#include "common/clock.h"
#include "common/logging.h"
#include "hub/catalog_store.h"
#include "hub/hub_core.h"
#include "hub/hub_server.h"
#include "hub/server_config.h"

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

// SIGINT/SIGTERM are blocked in every thread (ZeroMQ's I/O threads inherit the mask, so they must
// be blocked before the context exists) and read through a signalfd the server polls: a signal
// becomes an ordinary "stop" event on the loop thread, no handler, no global state.
int BlockStopSignalsAndOpenFd() {
  sigset_t mask;
  sigemptyset(&mask);
  sigaddset(&mask, SIGINT);
  sigaddset(&mask, SIGTERM);
  if (pthread_sigmask(SIG_BLOCK, &mask, nullptr) != 0) return -1;
  return signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
}

int Serve(ServerConfig config) {
  const int signal_fd = BlockStopSignalsAndOpenFd();
  if (signal_fd < 0) {
    spdlog::critical("cannot set up signal handling");
    return kExitFailure;
  }
  config.hub.epoch = RandomEpoch();
  SteadyClock clock;
  HubCore core(config.hub, MakeMemoryCatalogStore());
  ServerOptions options;
  options.query_addr = config.query_addr;
  options.register_addr = config.register_addr;
  options.hwm = config.hwm;
  options.stop_fd = signal_fd;
  auto server = HubServer::Create(std::move(options), core, clock);
  if (!server) {
    std::cerr << "blockhubd: " << server.error().message() << "\n";
    close(signal_fd);
    return server.error().code() == StatusCode::kInvalidArgument ? kExitBadConfig : kExitFailure;
  }
  spdlog::info("blockhubd {} epoch={:016x} {}", config.hub.hub_version, config.hub.epoch,
               DescribeServerConfig(config));
  std::printf("ready query=%s register=%s\n", server->query_endpoint().c_str(),
              server->register_endpoint().c_str());
  std::fflush(stdout);
  Status s = server->Run();
  close(signal_fd);
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
  return blockhub::Serve(std::move(config));
}
