// HubServer::Impl: the loop's state, shared by hub_server.cpp (sockets, queries, registrations,
// shutdown) and hub_server_observe.cpp (held RegisterSync replies, metrics snapshots, summary).
// Internal to the server; not installed, not included by anything else.
//
// Threading: everything here belongs to the loop thread except the metrics mailbox (mailbox_mu)
// and the two eventfds, which other threads only Signal().
#pragma once

#include <array>
#include <deque>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/logging.h"
#include "hub/metrics/histogram.h"
#include "hub/metrics/summary_line.h"
#include "hub/persistence/persistence.h"
#include "hub/server/event_publisher.h"
#include "hub/server/hub_server.h"
#include "hub/server/zmq_handles.h"

namespace blockhub {

struct HubServer::Impl {
  Impl(ServerOptions o, Decider& c, const Clock& k)
      : options(std::move(o)), core(c), clock(k), start_time(k.Now()) {}
  ~Impl() {
    if (events) {
      core.SetEventListener(nullptr);
      core.SetMemberSink(nullptr);
    }
  }
  Impl(const Impl&) = delete;
  Impl& operator=(const Impl&) = delete;

  // --- hub_server.cpp ---
  Status Bind();
  Status Loop();
  Status Finish(Status loop_status);
  void ServeQueries(size_t max, bool shutting_down);
  void ServeRegistrations(size_t max);
  bool ReceiveQuery();
  void HandleQuery(bool shutting_down);
  void ApplyRegistration(std::string_view frame);
  struct Answered {
    Message reply;
    TypeCounters* type = nullptr;  // the request's counters (null when it did not decode)
    MessageType message_type = MessageType::kHello;
  };
  Answered Answer(std::string_view routing_id, std::string_view message, TimePoint now);
  void AppendServerStats(StatsResponse& stats) const;
  // Encodes a reply frame into `out` (an internal-error answer if the reply cannot be encoded);
  // false if not even that could be encoded.
  bool EncodeReply(uint32_t request_id, const Message& reply, std::string& out);
  void SendReply(std::string_view routing_id, uint32_t request_id, const Message& reply);
  // Replies of one ServeQueries burst are queued (QueueReply) and sent together (FlushReplies):
  // the ZeroMQ I/O thread then wakes once per burst and writes the replies in one go, instead of
  // being woken for every reply while the loop works on the next request.
  void QueueReply(std::string_view routing_id, std::string_view frame);
  void FlushReplies();
  void SendFrame(std::string_view routing_id, std::string_view frame);
  void SweepLeases();
  // Too much waits for the log's fsync (options.max_unsynced): read no requests now.
  bool Backlogged() const;
  // Reads (un)subscriptions from the XPUB socket; a new one makes a sync batch due.
  void ReadSubscriptions(size_t max);
  // Hands the loop iteration's change events to the PUB socket (never waits).
  void FlushEvents();
  long PollTimeoutMs() const;
  void Drain();
  void WarnBadInput(const char* what, const Status& error);

  // --- hub_server_auth.cpp ---
  bool curve() const { return !options.curve_secret_z85.empty(); }
  // Before the binds: the ZAP handler's socket and the CurveZMQ server options (with a key), the
  // connection monitors of both sockets (always).
  Status SetUpSecurity();
  // CURVE_SERVER, the hub's secret key and the ZAP domain on one socket (before its bind).
  Status MakeCurveServer(ZmqSocket& socket);
  // Answers the queued ZAP requests (never waits): 200 with User-Id = the client's Z85 key when it
  // is authorized, 400 otherwise.
  void ServeZap(size_t max);
  // Connection events of one socket: the peer gauge, --max-peers, handshake failures.
  // `endpoint` is the socket's bound endpoint.
  void ServeMonitor(ZmqSocket& monitor, uint64_t& peers, const std::string& endpoint, size_t max);
  void ReloadAuthorizedKeys();
  // Under CurveZMQ: the authorized entry of the key that sent `msg` (its ZAP User-Id), looked up
  // in the current table, so a key removed by a reload loses its rights at its next message.
  const AuthorizedKey* SenderKey(zmq_msg_t* msg) const;
  // Under CurveZMQ a lease owner is bound to the sender's key: `owner` hashed with the key.
  OwnerId BindOwner(zmq_msg_t* msg, OwnerId owner) const;
  // Counts and logs (rate-limited) a refused request; `role` null when the key was revoked.
  void DenyRequest(const AuthorizedKey* key, MessageType type, const char* channel);
  void CountAuthFailure(AuthFailure reason, std::string_view detail);

  // --- hub_server_observe.cpp ---
  void ObserveLatency(MessageType type, TypeCounters* counters, Duration took);
  // RegisterSync with persistence: true if the reply was held until the log is durable.
  bool HoldUntilDurable(std::string_view rid, uint32_t request_id, const Message& reply,
                        TimePoint start);
  // notify_fd was readable: error if the log failed (held requests then got an error answer).
  Status OnLogProgress();
  void ReleaseDurable();
  void FailHeld(const Status& error);
  MetricsSnapshot BuildMetricsSnapshot() const;
  void ServeMetricsRequests();
  void CloseMailbox();
  void MaybeLogSummary(TimePoint now);

  ServerOptions options;
  Decider& core;
  const Clock& clock;
  const TimePoint start_time;
  ZmqContext context;
  ZmqSocket router;
  ZmqSocket pull;
  EventFd stop_event;
  EventFd metrics_event;
  std::string query_endpoint;
  std::string register_endpoint;
  ZmqSocket pub;  // change events, when options.events_addr is set
  std::string events_endpoint;
  std::optional<EventPublisher> events;
  bool sync_due = false;  // a subscriber joined: send a sync batch at the end of this iteration
  ServerCounters counters;
  // Dynamo-bucket histograms for the metrics endpoint (observed when options.latency_histograms).
  std::array<Histogram, kQueryTypeCount> query_latency{};
  Histogram register_latency;
  // Reused per message: no allocation on the steady-state path beyond what the core does.
  ZmqMessage routing_id;
  ZmqMessage frame;
  ZmqMessage reg_frame;
  std::string encode_buffer;
  bool defer_replies = false;  // inside a ServeQueries burst
  struct QueuedReply {
    size_t rid_offset;
    size_t rid_size;
    size_t frame_size;  // the frame follows the routing id in queued_bytes
  };
  std::string queued_bytes;  // reused: no allocation per burst once grown
  std::vector<QueuedReply> queued;
  RateLimiter bad_input_log{10, std::chrono::seconds(1)};

  // CurveZMQ and connections (hub_server_auth.cpp).
  std::shared_ptr<const AuthorizedKeys> authorized;  // the current table (replaced on reload)
  ZmqSocket zap;                                     // REP on inproc://zeromq.zap.01
  ZmqSocket router_monitor;                          // PAIR: the ROUTER's connection events
  ZmqSocket pull_monitor;                            // PAIR: the PULL's connection events
  uint64_t router_peers = 0;
  uint64_t pull_peers = 0;
  SecurityStats security;
  RateLimiter auth_log{10, std::chrono::seconds(1)};

  // RegisterSync replies waiting for the write-ahead log, in sync-point (= arrival) order.
  struct HeldReply {
    std::string routing_id;
    std::string frame;  // the encoded reply, request id included
    uint64_t seq = 0;   // durable_seq() must reach this
    uint32_t request_id = 0;
    ProtocolVersion version = ProtocolVersion::kV2;
    TimePoint start;
  };
  std::deque<HeldReply> held;

  std::optional<PeriodicSummary> summary;

  // Metrics requests from HTTP threads: promises the loop fulfils at its next wakeup.
  std::mutex mailbox_mu;
  std::vector<std::shared_ptr<std::promise<MetricsSnapshot>>> mailbox;  // guarded by mailbox_mu
  bool mailbox_closed = false;                                          // guarded by mailbox_mu
};

}  // namespace blockhub
