// ServerConfig: blockhubd's whole start-up configuration, from command-line flags (CLI11) layered
// over DYN_REGISTRY_* environment variables over built-in defaults. A flag wins over its variable;
// a bad value in either is an error that names the flag or the variable.
//
// To add an option (e.g. --data-dir), add a field here and one entry in server_config.cpp's option
// table. Start-up code only: reads the process environment (not thread-safe against setenv).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>

#include "common/status.h"
#include "hub/core/hub_config.h"
#include "hub/metrics/metrics_http_server.h"
#include "hub/persistence/persistence_config.h"
#include "security/authorized_keys.h"

namespace blockhub {

struct ServerConfig {
  std::string query_addr = "tcp://*:5555";     // ROUTER, queries
  std::string register_addr = "tcp://*:5556";  // PULL, registrations
  int hwm = 10'000;                            // ZeroMQ send/receive high-water mark per socket
  std::string events_addr;                     // PUB, change events; empty = off (the default)
  int events_hwm = 10'000;                     // event batches queued per subscriber
  int events_heartbeat_ms = 1000;              // an empty sync batch after this long idle
  std::string log_level = "info";
  std::string metrics_addr = std::string(kDefaultMetricsAddr);  // as given (for the log)
  std::optional<MetricsAddress> metrics = MetricsAddress{"0.0.0.0", 9108};  // nullopt = off
  // True when the address came from the flag or the variable. Only the default address may be
  // skipped (with a warning) when it cannot be bound; an explicit one must bind.
  bool metrics_explicit = false;
  // data_dir empty = persistence off. On when --data-dir is given (non-empty), or when
  // DYN_REGISTRY_PERSISTENCE_PATH is set, or when DYN_REGISTRY_PERSISTENCE_ENABLED is true (then
  // ./blockhub-data unless a path is given). DYN_REGISTRY_PERSISTENCE_ENABLED=false turns it off
  // even with the PATH variable; only the --data-dir flag overrides it.
  persistence::PersistenceConfig persistence;
  HubConfig hub;  // limits, eviction, capacity, leases (epoch set by main)
  // Largest ZeroMQ frame either socket accepts (ZMQ_MAXMSGSIZE); a larger one disconnects its
  // sender before it is buffered. 0 = derived from the limits (MaxFrameBytesFor).
  int64_t max_frame_bytes = 0;
  // CurveZMQ: both files or neither (checked by ParseServerConfig). The secret key (Z85) and the
  // authorized keys are read and checked at start-up; the keys file is re-read on SIGHUP.
  std::string curve_secret_key_file;
  std::string curve_secret_z85;
  std::string authorized_keys_file;
  std::shared_ptr<const AuthorizedKeys> authorized_keys;
  uint64_t max_peers = 0;  // connections per socket; 0 = unbounded
  uint64_t max_unsynced = 1'000'000;  // unsynced log records / held replies before backpressure
};

// True when a ZeroMQ endpoint is reachable only from this machine (tcp 127.x / ::1 / localhost,
// ipc, inproc): binding anything else without CurveZMQ earns a start-up warning.
bool IsLoopbackEndpoint(std::string_view endpoint);

// The largest frame a valid request can need under `limits` (every entry at its longest key,
// value and metadata, plus headers): the default of --max-frame-bytes.
int64_t MaxFrameBytesFor(const DecodeLimits& limits);

inline constexpr const char* kDefaultDataDir = "./blockhub-data";

// Parses argv and the environment. Returns:
//   a config          -> run with it;
//   nullopt           -> --help or --version was printed to `out`; exit 0;
//   an error          -> bad flag, bad value or bad variable (the message names it); exit 2.
Result<std::optional<ServerConfig>> ParseServerConfig(int argc, const char* const* argv,
                                                      std::ostream& out);

// One line for the start-up log: every effective setting.
std::string DescribeServerConfig(const ServerConfig& config);

}  // namespace blockhub
