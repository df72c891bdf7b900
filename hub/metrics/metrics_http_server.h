// MetricsHttpServer: the hub's HTTP endpoint for operators (cpp-httplib), served on its own
// threads, never on the hub's loop thread:
//   GET /metrics  Prometheus text of the snapshot the source returns (503 if it returns none)
//   GET /healthz  200 "ok"
//   GET /readyz   200 "ready" once MarkReady() was called (after recovery), 503 before
// Anything else is 404. Connections serve one request each (scrapes are seconds apart), which
// keeps Stop bounded by the I/O timeout.
//
// Ownership and threading: move-only, one owner. MarkReady, ready, Stop and the accessors are
// safe from any thread; Stop is idempotent and the destructor calls it. The SnapshotSource runs
// on an HTTP worker thread, concurrently with the hub's loop: it must obtain its copy by message
// (with a bounded wait) and must not call Stop. After Stop returns the source is never called.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "common/status.h"
#include "hub/metrics/metrics_snapshot.h"

namespace blockhub {

struct MetricsAddress {
  std::string host;   // "0.0.0.0", "127.0.0.1", "::1", a host name; IPv6 without brackets
  uint16_t port = 0;  // 0 picks a free port
};

inline constexpr std::string_view kDefaultMetricsAddr = "0.0.0.0:9108";

// Parses the --metrics-addr / DYN_REGISTRY_HUB_METRICS_ADDR value: "off" -> nullopt (disabled);
// "HOST:PORT", "[IPV6]:PORT", or ":PORT" (all interfaces, 0.0.0.0). Errors are InvalidArgument
// naming the text and the expected form.
Result<std::optional<MetricsAddress>> ParseMetricsAddr(std::string_view text);
// "host:port", or "[host]:port" when the host contains ':'.
std::string FormatHostPort(const MetricsAddress& address);

// Returns a copy of the hub's metrics, or nullopt if none can be had in time (the /metrics
// request then gets 503).
using SnapshotSource = std::function<std::optional<MetricsSnapshot>()>;

struct MetricsServerOptions {
  MetricsAddress address{"0.0.0.0", 9108};
  // Read, write and idle-connection timeout; Stop waits at most about this long for a connection
  // (plus the time an in-flight SnapshotSource call takes).
  std::chrono::seconds io_timeout{2};
  int worker_threads = 2;
};

class MetricsHttpServer {
 public:
  // Binds, listens and starts serving before it returns (connections made after Start returns
  // are accepted). Errors: Unavailable if the address cannot be bound (in use, unknown host),
  // InvalidArgument for bad options.
  static Result<MetricsHttpServer> Start(MetricsServerOptions options, SnapshotSource source);

  MetricsHttpServer(MetricsHttpServer&&) noexcept;
  MetricsHttpServer& operator=(MetricsHttpServer&&) noexcept;
  ~MetricsHttpServer();

  void MarkReady();
  bool ready() const;
  // Stops accepting, finishes or times out open connections, joins the threads.
  void Stop();

  // The address actually bound (port resolved when 0 was asked).
  const MetricsAddress& bound_address() const;
  // "http://host:port" for the ready line.
  std::string url() const;

 private:
  struct Impl;
  explicit MetricsHttpServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace blockhub
