// HubServer's loop: one thread, zmq_poll over the ROUTER, the PULL, an eventfd (RequestStop) and
// an optional stop fd; several messages per wakeup per socket; lease expiry by bounded Tick calls
// timed by Decider::NextDeadline (leases and members). Uses libzmq's C API directly (errno-based,
// no exceptions).
#include "hub/server/hub_server.h"

#include <sys/eventfd.h>
#include <unistd.h>
#include <xxhash.h>
#include <zmq.h>

#include <cerrno>
#include <cstring>
#include <optional>
#include <string_view>
#include <type_traits>
#include <variant>
#include <vector>

#include "codec/codec.h"
#include "common/logging.h"
#include "hub/server/hub_server_impl.h"
#include "hub/server/role_policy.h"

namespace blockhub {
namespace {

using std::chrono::milliseconds;

constexpr int kListenBacklog = 1024;

size_t KeyCount(const Body& body) {
  return std::visit(
      [](const auto& m) -> size_t {
        if constexpr (requires { m.keys; }) {
          return m.keys.size();
        } else if constexpr (requires { m.entries; }) {
          return m.entries.size();
        } else {
          return 0;
        }
      },
      body);
}

uint32_t ReadRequestId(std::string_view frame) {
  uint32_t id = 0;
  for (int i = 0; i < 4; ++i)
    id |= static_cast<uint32_t>(static_cast<uint8_t>(frame[i])) << (8 * i);
  return id;
}

}  // namespace

Status HubServer::Impl::Bind() {
  if (Status s = context.Open(); !s.ok()) return s;
  // Member times go on the wire as unix ms: the wall clock's offset from the loop's clock, once.
  core.SetWallClockOffset(
      std::chrono::duration_cast<Duration>(std::chrono::system_clock::now().time_since_epoch()) -
      clock.Now().time_since_epoch());
  if (Status s = stop_event.Open(); !s.ok()) return s;
  if (Status s = metrics_event.Open(); !s.ok()) return s;
  const int linger = static_cast<int>(options.linger.count());
  if (Status s = router.Open(context, ZMQ_ROUTER, options.hwm, linger); !s.ok()) return s;
  if (Status s = pull.Open(context, ZMQ_PULL, options.hwm, linger); !s.ok()) return s;
  // Replies to a peer that is gone fail with EHOSTUNREACH instead of vanishing: they get counted.
  if (Status s = router.SetInt(ZMQ_ROUTER_MANDATORY, 1); !s.ok()) return s;
  // A worker that reconnects with its stable routing id takes the id over at once, even before
  // the hub has noticed its old connection drop (otherwise ZeroMQ ignores the newcomer and the
  // worker's requests vanish until the old connection times out).
  if (Status s = router.SetInt(ZMQ_ROUTER_HANDOVER, 1); !s.ok()) return s;
  // Connections waiting to be accepted (the kernel caps it at net.core.somaxconn): libzmq's
  // default of 100 drops a burst of connects into SYN retries of a second or more.
  for (ZmqSocket* socket : {&router, &pull}) {
    if (Status s = socket->SetInt(ZMQ_BACKLOG, kListenBacklog); !s.ok()) return s;
  }
  // libzmq checks each frame's announced size against this before allocating it.
  for (ZmqSocket* socket : {&router, &pull}) {
    if (Status s = socket->SetInt64(ZMQ_MAXMSGSIZE, options.max_frame_bytes); !s.ok()) return s;
  }
  if (Status s = SetUpSecurity(); !s.ok()) return s;
  auto q = router.Bind(options.query_addr, "query");
  if (!q) return q.error();
  auto r = pull.Bind(options.register_addr, "register");
  if (!r) return r.error();
  query_endpoint = std::move(*q);
  register_endpoint = std::move(*r);
  if (!options.events_addr.empty()) {
    // XPUB, not PUB: the loop reads the subscriptions, so that a joining subscriber gets a sync
    // batch at once (its proof that the subscription is live, with the next sequence number).
    if (Status s = pub.Open(context, ZMQ_XPUB, options.events_hwm, linger); !s.ok()) return s;
    // A full subscriber queue makes the send fail (EAGAIN) instead of dropping silently, so the
    // drop is counted; the subscribers see it as a sequence gap.
    if (Status s = pub.SetInt(ZMQ_XPUB_NODROP, 1); !s.ok()) return s;
    // Every subscription message, not only the first of each topic: each joiner needs a sync.
    if (Status s = pub.SetInt(ZMQ_XPUB_VERBOSE, 1); !s.ok()) return s;
    // With CurveZMQ the events are encrypted too, and only authorized keys may subscribe (the
    // catalog's contents are in them).
    if (curve()) {
      if (Status s = MakeCurveServer(pub); !s.ok()) return s;
    }
    auto e = pub.Bind(options.events_addr, "events");
    if (!e) return e.error();
    events_endpoint = std::move(*e);
    events.emplace(pub.get(), core.config().epoch, clock);
    core.SetEventListener(&*events);
    core.SetMemberSink(&*events);  // Multicast publishes here; without events it is refused
  }
  return Status::Ok();
}

void HubServer::Impl::FlushEvents() {
  if (!events) return;
  if (sync_due || clock.Now() - events->last_send() >= options.events_heartbeat) {
    sync_due = false;
    events->Sync();
  } else {
    events->Flush();
  }
  counters.events_published = events->counters().published;
  counters.events_dropped = events->counters().dropped;
  counters.events_syncs = events->counters().syncs;
  counters.multicast_published = events->counters().multicast_published;
  counters.multicast_dropped = events->counters().multicast_dropped;
}

void HubServer::Impl::ReadSubscriptions(size_t max) {
  // Each message is one (un)subscription: 1 or 0, then the topic prefix. A joining subscriber
  // sends its subscriptions right after connecting; answer them with one sync batch.
  char buf[64];
  for (size_t i = 0; i < max; ++i) {
    const int n = zmq_recv(pub.get(), buf, sizeof(buf), ZMQ_DONTWAIT);
    if (n < 0) return;
    if (n > 0 && buf[0] == 1) sync_due = true;
  }
}

long HubServer::Impl::PollTimeoutMs() const {
  if (options.persistence != nullptr && options.persistence->PollTimeoutMs() == 0) return 0;
  const auto idle = static_cast<long>(options.idle_poll.count());
  std::optional<TimePoint> deadline = core.NextDeadline();  // leases and members
  if (summary && (!deadline || summary->next_due() < *deadline)) deadline = summary->next_due();
  if (events) {
    const TimePoint heartbeat = events->last_send() + options.events_heartbeat;
    if (!deadline || heartbeat < *deadline) deadline = heartbeat;
  }
  if (!deadline) return idle;
  const Duration left = *deadline - clock.Now();
  if (left <= Duration::zero()) return 0;
  // Round up so the wakeup is at or after the deadline, not just before it.
  const auto ms = std::chrono::ceil<milliseconds>(left).count();
  return ms < idle ? static_cast<long>(ms) : idle;
}

void HubServer::Impl::SweepLeases() {
  const TimePoint now = clock.Now();
  const auto deadline = core.NextDeadline();
  if (!deadline || *deadline > now) return;
  counters.leases_swept += core.Tick(now, options.max_tick_work);
  ++counters.ticks;
}

Status HubServer::Impl::Loop() {
  // Fixed slots first; the log's notify fd and the external stop fd only when present.
  enum : size_t { kRouter, kPull, kStop, kMetrics, kFixed };
  std::vector<zmq_pollitem_t> items = {{router.get(), 0, ZMQ_POLLIN, 0},
                                       {pull.get(), 0, ZMQ_POLLIN, 0},
                                       {nullptr, stop_event.fd(), ZMQ_POLLIN, 0},
                                       {nullptr, metrics_event.fd(), ZMQ_POLLIN, 0}};
  persistence::Persistence* const log = options.persistence;
  const size_t log_slot = log != nullptr ? items.size() : SIZE_MAX;
  if (log != nullptr) items.push_back({nullptr, log->notify_fd(), ZMQ_POLLIN, 0});
  const size_t stop_slot = options.stop_fd >= 0 ? items.size() : SIZE_MAX;
  if (options.stop_fd >= 0) items.push_back({nullptr, options.stop_fd, ZMQ_POLLIN, 0});
  const size_t reload_slot = options.reload_fd >= 0 ? items.size() : SIZE_MAX;
  if (options.reload_fd >= 0) items.push_back({nullptr, options.reload_fd, ZMQ_POLLIN, 0});
  const size_t monitor_slot = items.size();
  items.push_back({router_monitor.get(), 0, ZMQ_POLLIN, 0});
  items.push_back({pull_monitor.get(), 0, ZMQ_POLLIN, 0});
  const size_t zap_slot = curve() ? items.size() : SIZE_MAX;
  if (curve()) items.push_back({zap.get(), 0, ZMQ_POLLIN, 0});
  const size_t events_slot = events ? items.size() : SIZE_MAX;
  if (events) items.push_back({pub.get(), 0, ZMQ_POLLIN, 0});
  if (options.summary_period > Duration::zero()) {
    summary.emplace(options.summary_period, clock.Now(), BuildMetricsSnapshot());
  }
  bool was_backlogged = false;
  for (;;) {
    // Backpressure: while too much waits for the fsync, the request sockets are not polled (the
    // log's notify fd wakes the loop when it has caught up).
    const bool backlogged = Backlogged();
    if (backlogged && !was_backlogged) ++counters.backpressure_waits;
    was_backlogged = backlogged;
    const short request_events = backlogged ? 0 : ZMQ_POLLIN;
    items[kRouter].events = request_events;
    items[kPull].events = request_events;
    const int rc = zmq_poll(items.data(), static_cast<int>(items.size()), PollTimeoutMs());
    if (rc < 0) {
      if (zmq_errno() == EINTR) continue;
      return InternalError(std::string("zmq_poll: ") + zmq_strerror(zmq_errno()));
    }
    if (items[kStop].revents != 0) return Status::Ok();
    if (stop_slot != SIZE_MAX && items[stop_slot].revents != 0) return Status::Ok();
    if (log_slot != SIZE_MAX && items[log_slot].revents != 0) {
      if (Status s = OnLogProgress(); !s.ok()) return s;
    }
    if (items[kMetrics].revents != 0) ServeMetricsRequests();
    if (reload_slot != SIZE_MAX && items[reload_slot].revents != 0) ReloadAuthorizedKeys();
    const size_t max = options.max_messages_per_wakeup;
    if (zap_slot != SIZE_MAX && (items[zap_slot].revents & ZMQ_POLLIN)) ServeZap(max);
    if (events_slot != SIZE_MAX && (items[events_slot].revents & ZMQ_POLLIN)) {
      ReadSubscriptions(max);
    }
    if (items[monitor_slot].revents & ZMQ_POLLIN) {
      ServeMonitor(router_monitor, router_peers, query_endpoint, max);
    }
    if (items[monitor_slot + 1].revents & ZMQ_POLLIN) {
      ServeMonitor(pull_monitor, pull_peers, register_endpoint, max);
    }
    if (items[kRouter].revents & ZMQ_POLLIN) ServeQueries(options.max_messages_per_wakeup, false);
    if (items[kPull].revents & ZMQ_POLLIN) ServeRegistrations(options.max_messages_per_wakeup);
    SweepLeases();
    FlushEvents();
    if (log != nullptr) log->Pump();  // hands this iteration's changes to the writer
    if (summary) MaybeLogSummary(clock.Now());
  }
}

// Receives one ROUTER message into routing_id/frame: the routing id, then the LAST frame of what
// follows (a REQ-style empty delimiter before the data is skipped). False when none is queued.
bool HubServer::Impl::ReceiveQuery() {
  if (zmq_msg_recv(routing_id.get(), router.get(), ZMQ_DONTWAIT) < 0) return false;
  frame.Clear();
  bool more = zmq_msg_more(routing_id.get()) != 0;
  while (more) {
    // The rest of a multipart message is already here (ZeroMQ delivers messages atomically).
    if (zmq_msg_recv(frame.get(), router.get(), 0) < 0) break;
    more = zmq_msg_more(frame.get()) != 0;
  }
  return true;
}

bool HubServer::Impl::Backlogged() const {
  const persistence::Persistence* log = options.persistence;
  if (log == nullptr) return false;
  return held.size() >= options.max_unsynced ||
         log->last_appended_seq() - log->durable_seq() >= options.max_unsynced;
}

void HubServer::Impl::ServeQueries(size_t max, bool shutting_down) {
  // Bounds the replies held back (latency, memory) when a burst is long.
  constexpr size_t kMaxQueuedReplies = 64;
  defer_replies = true;
  for (size_t i = 0; i < max && (shutting_down || !Backlogged()) && ReceiveQuery(); ++i) {
    HandleQuery(shutting_down);
    if (queued.size() >= kMaxQueuedReplies) FlushReplies();
  }
  defer_replies = false;
  FlushReplies();
}

void HubServer::Impl::QueueReply(std::string_view rid, std::string_view data) {
  queued.push_back(QueuedReply{queued_bytes.size(), rid.size(), data.size()});
  queued_bytes.append(rid);
  queued_bytes.append(data);
}

void HubServer::Impl::FlushReplies() {
  for (const QueuedReply& q : queued) {
    const std::string_view bytes(queued_bytes);
    SendFrame(bytes.substr(q.rid_offset, q.rid_size),
              bytes.substr(q.rid_offset + q.rid_size, q.frame_size));
  }
  queued.clear();
  queued_bytes.clear();
}

void HubServer::Impl::HandleQuery(bool shutting_down) {
  const TimePoint start = clock.Now();
  ++counters.query_frames;
  const std::string_view data = frame.view();
  if (data.size() < kRequestIdBytes) {
    ++counters.short_frames_dropped;
    WarnBadInput("query frame shorter than a request id",
                 MalformedError(std::to_string(data.size()) + " bytes"));
    return;
  }
  const uint32_t request_id = ReadRequestId(data);
  const std::string_view message = data.substr(kRequestIdBytes);
  if (shutting_down) {
    ++counters.shutdown_replies;
    const Status s(StatusCode::kShuttingDown, "the hub is shutting down");
    SendReply(routing_id.view(), request_id,
              MakeErrorResponse(ReplyVersionFor(message), core.config().epoch, s));
    return;
  }
  const Answered answered = Answer(routing_id.view(), message, start);
  if (answered.message_type == MessageType::kRegisterSync && options.persistence != nullptr &&
      HoldUntilDurable(routing_id.view(), request_id, answered.reply, start)) {
    return;  // sent (and its latency observed) once the log is durable past it
  }
  SendReply(routing_id.view(), request_id, answered.reply);
  if (answered.type != nullptr) {
    ObserveLatency(answered.message_type, answered.type, clock.Now() - start);
  }
}

// Decodes and answers one query message; counts it by type.
HubServer::Impl::Answered HubServer::Impl::Answer(std::string_view rid, std::string_view message,
                                                  TimePoint now) {
  if (message.empty()) {
    ++counters.decode_failures;
    return {MakeErrorResponse(ProtocolVersion::kV1, core.config().epoch,
                              MalformedError("a request id and no message"))};
  }
  auto request = DecodeRequest(message, core.config().limits, Channel::kQuery);
  if (!request) {
    ++counters.decode_failures;  // not counted by type: the type byte itself may be the fault
    WarnBadInput("undecodable query", request.error());
    return {MakeErrorResponse(ReplyVersionFor(message), core.config().epoch, request.error())};
  }
  const Message& req = *request;
  // v1 has no client id: the lease owner is the peer's routing id (stable for our client).
  OwnerId owner =
      req.version == ProtocolVersion::kV1 ? XXH3_64bits(rid.data(), rid.size()) : req.client_id;
  const MessageType type = TypeOf(req.body);
  TypeCounters& tc = counters.by_type[static_cast<size_t>(type)];
  ++tc.requests;
  tc.keys += KeyCount(req.body);
  if (curve()) {
    const AuthorizedKey* key = SenderKey(frame.get());
    if (key == nullptr || !RoleAllows(key->role, type)) {
      DenyRequest(key, type, "query");
      ++counters.permission_denied;
      ++tc.errors;
      const Status denied(StatusCode::kPermissionDenied,
                          std::string(MessageTypeName(type)) + " needs the " +
                              RoleName(RequiredRole(type)) + " role; this key has " +
                              (key != nullptr ? RoleName(key->role) : "no role (revoked)"));
      return {MakeErrorResponse(req.version, core.config().epoch, denied), &tc, type};
    }
    owner = BindOwner(frame.get(), owner);  // another key cannot act as this owner
  }
  Message reply = core.Handle(owner, req, now);
  if (std::holds_alternative<ErrorResponse>(reply.body)) ++tc.errors;
  if (auto* stats = std::get_if<StatsResponse>(&reply.body)) AppendServerStats(*stats);
  return {std::move(reply), &tc, type};
}

void HubServer::Impl::AppendServerStats(StatsResponse& stats) const {
  const ServerCounters& c = counters;
  const std::pair<const char*, uint64_t> kServer[] = {
      {"server_query_frames", c.query_frames},
      {"server_short_frames_dropped", c.short_frames_dropped},
      {"server_decode_failures", c.decode_failures},
      {"server_replies_sent", c.replies_sent},
      {"server_replies_unroutable", c.replies_unroutable},
      {"server_replies_dropped", c.replies_dropped},
      {"server_register_frames", c.register_frames},
      {"server_register_entries", c.register_entries},
      {"server_register_rejected", c.register_rejected},
      {"server_register_frames_dropped", c.register_frames_dropped},
  };
  for (const auto& [name, value] : kServer) stats.counters.emplace_back(name, value);
  if (events) {
    stats.counters.emplace_back("server_events_published", c.events_published);
    stats.counters.emplace_back("server_events_dropped", c.events_dropped);
    stats.counters.emplace_back("server_events_syncs", c.events_syncs);
    // Multicasts are published during the request: read the publisher, not the loop's copy.
    stats.counters.emplace_back("server_multicast_published",
                                events->counters().multicast_published);
    stats.counters.emplace_back("server_multicast_dropped", events->counters().multicast_dropped);
  }
  if (options.persistence != nullptr) {
    stats.counters.emplace_back("server_backpressure_waits", c.backpressure_waits);
  }
  if (!curve()) return;
  uint64_t auth_failures = 0;
  for (uint64_t n : security.auth_failures) auth_failures += n;
  const std::pair<const char*, uint64_t> kSecurity[] = {
      {"server_auth_failures", auth_failures},
      {"server_auth_unknown_key", security.auth_failures[0]},
      {"server_auth_mechanism_mismatch", security.auth_failures[1]},
      {"server_auth_cryptographic", security.auth_failures[2]},
      {"server_auth_protocol", security.auth_failures[3]},
      {"server_auth_handshake_aborted", security.auth_failures[4]},
      {"server_zap_accepted", c.zap_accepted},
      {"server_permission_denied", c.permission_denied},
      {"server_register_frames_denied", c.register_frames_denied},
      {"server_connected_peers", security.connected_peers},
      {"server_authorized_keys_reloads", c.keys_reloads},
      {"server_authorized_keys_reload_failures", c.keys_reload_failures},
  };
  for (const auto& [name, value] : kSecurity) stats.counters.emplace_back(name, value);
}

bool HubServer::Impl::EncodeReply(uint32_t request_id, const Message& reply, std::string& out) {
  out.clear();
  Status s = EncodeQueryFrame(request_id, reply, out);
  if (s.ok()) return true;
  // E.g. a Match answer too large for its counts: tell the client rather than stay silent.
  ++counters.encode_failures;
  spdlog::error("cannot encode a {} reply: {}", MessageTypeName(TypeOf(reply.body)), s.ToString());
  out.clear();
  const Message error = MakeErrorResponse(reply.version, core.config().epoch,
                                          InternalError("the reply could not be encoded"));
  return EncodeQueryFrame(request_id, error, out).ok();
}

// Replies leave the hub here (held RegisterSync replies through SendFrame once durable).
void HubServer::Impl::SendReply(std::string_view rid, uint32_t request_id, const Message& reply) {
  if (!EncodeReply(request_id, reply, encode_buffer)) return;
  if (defer_replies) {
    QueueReply(rid, encode_buffer);
  } else {
    SendFrame(rid, encode_buffer);
  }
}

void HubServer::Impl::SendFrame(std::string_view rid, std::string_view data) {
  if (zmq_send(router.get(), rid.data(), rid.size(), ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0 ||
      zmq_send(router.get(), data.data(), data.size(), ZMQ_DONTWAIT) < 0) {
    const int err = zmq_errno();
    if (err == EHOSTUNREACH) {
      ++counters.replies_unroutable;
    } else {
      ++counters.replies_dropped;  // EAGAIN: the peer's queue is at its high-water mark
    }
    WarnBadInput("reply not delivered", UnavailableError(zmq_strerror(err)));
    return;
  }
  ++counters.replies_sent;
}

void HubServer::Impl::ServeRegistrations(size_t max) {
  for (size_t i = 0; i < max && !Backlogged(); ++i) {
    if (zmq_msg_recv(reg_frame.get(), pull.get(), ZMQ_DONTWAIT) < 0) return;
    // Each frame of a multipart message is a registration of its own.
    ApplyRegistration(reg_frame.view());
  }
}

void HubServer::Impl::ApplyRegistration(std::string_view data) {
  const TimePoint start = clock.Now();
  ++counters.register_frames;
  auto decoded = DecodeRequest(data, core.config().limits, Channel::kRegistration);
  const Register* reg = decoded ? std::get_if<Register>(&decoded->body) : nullptr;
  if (reg == nullptr) {
    ++counters.register_frames_dropped;
    WarnBadInput("registration frame dropped",
                 decoded ? Status(StatusCode::kWrongChannel, "not a Register") : decoded.error());
    return;
  }
  if (curve()) {
    const AuthorizedKey* key = SenderKey(reg_frame.get());
    if (key == nullptr || !RoleAllows(key->role, MessageType::kRegister)) {
      ++counters.register_frames_denied;
      DenyRequest(key, MessageType::kRegister, "register");
      return;
    }
  }
  OwnerId owner = decoded->version == ProtocolVersion::kV2 ? decoded->client_id : 0;
  // The owner only counts as a member's heartbeat here; under CurveZMQ bound to the key, as on
  // the ROUTER.
  if (curve() && owner != 0) owner = BindOwner(reg_frame.get(), owner);
  const auto statuses = core.Apply(owner, *reg, start);
  TypeCounters& tc = counters.by_type[static_cast<size_t>(MessageType::kRegister)];
  ++tc.requests;
  tc.keys += reg->entries.size();
  counters.register_entries += reg->entries.size();
  for (RegisterStatus st : statuses) {
    if (st == RegisterStatus::kRejected) ++counters.register_rejected;
  }
  if (options.latency_histograms) register_latency.Observe(clock.Now() - start);
}

void HubServer::Impl::WarnBadInput(const char* what, const Status& error) {
  uint64_t suppressed = 0;
  if (!bad_input_log.Allow(clock.Now(), suppressed)) return;
  // One structured line (key=value); at most 10 per second, the rest counted in `suppressed`.
  spdlog::warn("bad_input what=\"{}\" code={} detail=\"{}\" suppressed={}", what,
               StatusCodeName(error.code()), error.message(), suppressed);
}

// Shutdown: no more queries are served (each queued one is answered shutting_down), and the
// registrations already received are applied, until the PULL stays quiet for a short moment or the
// drain budget runs out.
void HubServer::Impl::Drain() {
  const auto deadline = std::chrono::steady_clock::now() + options.drain_budget;
  const uint64_t shut_before = counters.shutdown_replies;
  const uint64_t frames_before = counters.register_frames;
  constexpr long kQuietMs = 100;  // registrations a client sent just before the signal arrive now
  zmq_pollitem_t items[2] = {{router.get(), 0, ZMQ_POLLIN, 0}, {pull.get(), 0, ZMQ_POLLIN, 0}};
  while (std::chrono::steady_clock::now() < deadline) {
    const int rc = zmq_poll(items, 2, kQuietMs);
    if (rc < 0 && zmq_errno() == EINTR) continue;
    if (rc <= 0) break;
    if (items[0].revents & ZMQ_POLLIN) ServeQueries(options.max_messages_per_wakeup, true);
    if (items[1].revents & ZMQ_POLLIN) ServeRegistrations(options.max_messages_per_wakeup);
    FlushEvents();
  }
  spdlog::info(
      "shutdown: {} queued queries answered shutting_down, {} registration frames applied while "
      "draining; totals: query_frames={} replies_sent={} replies_unroutable={} replies_dropped={} "
      "decode_failures={} short_frames_dropped={} register_frames={} register_entries={} "
      "register_frames_dropped={} register_rejected={}",
      counters.shutdown_replies - shut_before, counters.register_frames - frames_before,
      counters.query_frames, counters.replies_sent, counters.replies_unroutable,
      counters.replies_dropped, counters.decode_failures, counters.short_frames_dropped,
      counters.register_frames, counters.register_entries, counters.register_frames_dropped,
      counters.register_rejected);
}

Result<HubServer> HubServer::Create(ServerOptions options, Decider& core, const Clock& clock) {
  auto impl = std::make_unique<Impl>(std::move(options), core, clock);
  if (Status s = impl->Bind(); !s.ok()) return s;
  return HubServer(std::move(impl));
}

HubServer::HubServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
HubServer::HubServer(HubServer&&) noexcept = default;
HubServer& HubServer::operator=(HubServer&&) noexcept = default;
HubServer::~HubServer() = default;

const std::string& HubServer::query_endpoint() const { return impl_->query_endpoint; }
const std::string& HubServer::register_endpoint() const { return impl_->register_endpoint; }
const std::string& HubServer::events_endpoint() const { return impl_->events_endpoint; }
const ServerCounters& HubServer::counters() const { return impl_->counters; }

void HubServer::AttachPersistence(persistence::Persistence* log) {
  impl_->options.persistence = log;
}

Status HubServer::Run() { return impl_->Finish(impl_->Loop()); }

// After the loop: drain, flush the log and send what became durable, stop serving metrics
// requests, close the sockets (bounded linger flushes the last replies).
Status HubServer::Impl::Finish(Status loop_status) {
  Drain();
  Status s = std::move(loop_status);
  if (options.persistence != nullptr) {
    Status closed = options.persistence->Close();
    if (closed.ok() && s.ok()) {
      ReleaseDurable();
    } else {
      FailHeld(closed.ok() ? s : closed);
      if (s.ok()) s = closed;
    }
  }
  CloseMailbox();
  FlushEvents();
  router.Close();
  pull.Close();
  pub.Close();
  return s;
}

void HubServer::RequestStop() { impl_->stop_event.Signal(); }

}  // namespace blockhub
