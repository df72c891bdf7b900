// HubServer: the hub's ZeroMQ adapter (the only ZeroMQ code in hub/). A ROUTER answers queries and
// a PULL takes registrations, framing exactly as PROTOCOL.md §1-§2; every decoded frame goes to
// the Decider (HubCore, or another backend) and every answer goes back through one function
// (SendReply).
//
// Threading: Run() is the loop; the thread that calls it owns the sockets, the Decider (borrowed,
// no locks), the optional Persistence (borrowed) and every counter. RequestStop() (also
// async-signal-safe) and RequestMetricsSnapshot() are the only calls allowed from other threads:
// both go through an eventfd the loop polls, so nothing is shared unsynchronised.
// Create/Run/destroy on one thread.
//
// Durability (ServerOptions::persistence): a RegisterSync reply is held until the write-ahead log
// is fsync'd past the request's sync point, then sent; a failed write or fsync answers every held
// request with an internal error and ends Run() with that error (no acknowledgement after it).
//
// Shutdown (RequestStop, or the optional stop fd becoming readable): queries still queued get
// ErrorResponse shutting_down (code 9), registrations the PULL socket already holds are applied,
// the log is flushed and held replies sent, sockets close with a bounded linger, Run() returns.
// The whole drain is bounded by drain_budget (plus the final fsync).
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "codec/message.h"
#include "common/clock.h"
#include "common/status.h"
#include "hub/core/decider.h"
#include "hub/metrics/metrics_snapshot.h"
#include "security/authorized_keys.h"

namespace blockhub::persistence {
class Persistence;
}

namespace blockhub {

struct ServerOptions {
  std::string query_addr = "tcp://*:5555";
  std::string register_addr = "tcp://*:5556";
  int hwm = 10'000;
  // Change events (PUB, codec/FORMAT.md "Change events"); empty = off. events_hwm bounds the
  // batches queued per subscriber; beyond it batches are dropped (counted).
  std::string events_addr;
  int events_hwm = 10'000;
  // An empty sync batch after this long without any batch (and whenever a subscriber joins).
  std::chrono::milliseconds events_heartbeat{1000};
  // ZMQ_MAXMSGSIZE of both sockets (-1 = unlimited): a larger frame disconnects its sender.
  int64_t max_frame_bytes = -1;
  // Upper bound on the time close() may spend flushing queued replies.
  std::chrono::milliseconds linger{200};
  // Upper bound on the shutdown drain (shutting_down answers + pending registrations).
  std::chrono::milliseconds drain_budget{1000};
  // Messages taken from one socket per wakeup before the other socket gets its turn.
  size_t max_messages_per_wakeup = 512;
  // With persistence: log records not yet durable, and held RegisterSync replies, at which the
  // loop stops reading requests until the log catches up (backpressure, nothing dropped).
  uint64_t max_unsynced = 1'000'000;
  // Work units handed to Decider::Tick per wakeup (bounds the time lease expiry can take).
  size_t max_tick_work = 4096;
  // Longest poll timeout when no lease deadline is pending.
  std::chrono::milliseconds idle_poll{1000};
  // Optional extra fd (e.g. a signalfd for SIGINT/SIGTERM): readable means stop. Not owned.
  int stop_fd = -1;
  // Optional durability layer (already opened and recovered; not owned; must outlive Run()).
  // Run() closes it (flush + fsync) during shutdown.
  persistence::Persistence* persistence = nullptr;
  // Observe the Dynamo-bucket latency histograms (off when no metrics endpoint reads them).
  bool latency_histograms = true;
  // Period of the one-line info summary; zero disables it.
  std::chrono::milliseconds summary_period{10'000};
  // CurveZMQ on both sockets when curve_secret_z85 (the hub's secret key, Z85) is not empty: a
  // ZAP handler in the loop admits only the keys of authorized_keys (required then), and every
  // request is checked against its sender's role (ErrorResponse permission_denied beyond it).
  std::string curve_secret_z85;
  std::shared_ptr<const AuthorizedKeys> authorized_keys;
  // Re-read when reload_fd (e.g. a signalfd for SIGHUP; not owned) becomes readable. A file that
  // does not parse keeps the current table (an error is logged).
  std::string authorized_keys_path;
  int reload_fd = -1;
  // Most connections the ROUTER and the PULL each hold at once (0 = unbounded); beyond it a new
  // connection is closed as soon as it is accepted.
  uint64_t max_peers = 0;
};

// Latency histogram buckets: bucket i counts requests that took < 2^i microseconds (the last
// bucket is everything above).
inline constexpr size_t kLatencyBuckets = 24;

struct TypeCounters {
  uint64_t requests = 0;
  uint64_t keys = 0;            // keys or entries carried by the requests
  uint64_t errors = 0;          // decoded, but answered with an ErrorResponse by the core
  uint64_t latency_ns_sum = 0;  // receive -> reply handed to ZeroMQ
  std::array<uint64_t, kLatencyBuckets> latency_us_log2{};
};

// Counters owned by the loop thread (read them from that thread, e.g. via Stats).
struct ServerCounters {
  std::array<TypeCounters, kMaxMessageType + 1> by_type{};  // indexed by wire code (1..26)
  uint64_t query_frames = 0;               // frames received on the ROUTER
  uint64_t short_frames_dropped = 0;       // < 4 bytes: no request id to answer with
  uint64_t decode_failures = 0;            // query frames answered with a decode error
  uint64_t replies_sent = 0;
  uint64_t replies_unroutable = 0;       // peer gone (EHOSTUNREACH)
  uint64_t replies_dropped = 0;          // peer's queue full or another send failure
  uint64_t encode_failures = 0;          // a core answer that could not be encoded
  uint64_t shutdown_replies = 0;         // shutting_down answers during the drain
  uint64_t register_frames = 0;          // frames received on the PULL
  uint64_t register_entries = 0;         // entries applied
  uint64_t register_rejected = 0;        // entries refused by the capacity policy
  uint64_t register_frames_dropped = 0;  // PULL frames that were not a valid Register
  uint64_t ticks = 0;
  uint64_t leases_swept = 0;
  // CurveZMQ (all zero without it).
  uint64_t permission_denied = 0;       // queries refused for the sender's role
  uint64_t register_frames_denied = 0;  // PULL frames dropped for the sender's role
  uint64_t zap_accepted = 0;            // handshakes the ZAP handler admitted
  uint64_t keys_reloads = 0;            // authorized-keys files re-read and in use
  uint64_t keys_reload_failures = 0;    // re-reads that failed (the previous keys stay)
  // Change events (all zero when they are off).
  uint64_t events_published = 0;  // events handed to the PUB socket
  uint64_t events_dropped = 0;    // events in batches a subscriber's queue could not take
  uint64_t events_syncs = 0;      // empty sync batches sent (subscriber joins, heartbeats)
  uint64_t multicast_published = 0;  // MulticastMessages handed to the PUB socket
  uint64_t multicast_dropped = 0;    // MulticastMessages a subscriber's queue could not take
  uint64_t backpressure_waits = 0;  // times the loop stopped reading: too much not yet durable
};

class HubServer {
 public:
  // Binds both sockets. Errors: InvalidArgument for a bad endpoint (the message names it),
  // Unavailable for a bind that failed otherwise (e.g. address in use).
  // `core` and `clock` must outlive the server.
  static Result<HubServer> Create(ServerOptions options, Decider& core, const Clock& clock);
  HubServer(HubServer&&) noexcept;
  HubServer& operator=(HubServer&&) noexcept;
  ~HubServer();

  // The endpoints actually bound (ZMQ_LAST_ENDPOINT: wildcard ports resolved).
  const std::string& query_endpoint() const;
  const std::string& register_endpoint() const;
  // The events endpoint bound, empty when events are off.
  const std::string& events_endpoint() const;

  // Sets ServerOptions::persistence after Create (the log is recovered once the sockets are bound
  // and the metrics endpoint is up). Before Run() only.
  void AttachPersistence(persistence::Persistence* log);

  // Serves until a stop is requested, then drains and closes. Returns an error only if the loop
  // could not continue (a ZeroMQ failure other than an interrupted call).
  Status Run();
  // Thread-safe and async-signal-safe.
  void RequestStop();
  // Any thread: a copy of every exported value, built by the loop thread at its next wakeup.
  // nullopt if the loop does not answer within `wait` (not running yet, busy) or has stopped.
  std::optional<MetricsSnapshot> RequestMetricsSnapshot(std::chrono::milliseconds wait);

  const ServerCounters& counters() const;

 private:
  struct Impl;
  explicit HubServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace blockhub
