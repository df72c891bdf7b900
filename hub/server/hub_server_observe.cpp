// HubServer's durability and observability parts, all on the loop thread: RegisterSync replies
// held until the write-ahead log is durable past them, latency histograms, the metrics snapshot
// handed to HTTP threads by message, and the periodic summary line.
#include <spdlog/spdlog.h>

#include <utility>

#include "codec/codec.h"
#include "codec/key_format.h"
#include "hub/server/hub_server_impl.h"

namespace blockhub {
namespace {

size_t LatencyBucket(Duration d) {
  const auto us =
      static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(d).count());
  size_t b = 0;
  while (b + 1 < kLatencyBuckets && (uint64_t{1} << b) <= us) ++b;
  return b;
}

}  // namespace

void HubServer::Impl::ObserveLatency(MessageType type, TypeCounters* tc, Duration took) {
  tc->latency_ns_sum += static_cast<uint64_t>(took.count());
  ++tc->latency_us_log2[LatencyBucket(took)];
  if (!options.latency_histograms) return;
  if (auto q = QueryTypeOf(type)) query_latency[static_cast<size_t>(*q)].Observe(took);
}

bool HubServer::Impl::HoldUntilDurable(std::string_view rid, uint32_t request_id,
                                       const Message& reply, TimePoint start) {
  persistence::Persistence& log = *options.persistence;
  // Always a sync point, even when nothing new was stored: an AlreadyStored entry may come from
  // a fire-and-forget registration that is not durable yet.
  const uint64_t seq = log.SyncPoint();
  if (log.durable_seq() >= seq) return false;  // already durable: send now
  HeldReply h;
  if (!EncodeReply(request_id, reply, h.frame)) return true;  // nothing sendable (logged)
  h.routing_id = std::string(rid);
  h.seq = seq;
  h.request_id = request_id;
  h.version = reply.version;
  h.start = start;
  held.push_back(std::move(h));
  return true;
}

Status HubServer::Impl::OnLogProgress() {
  persistence::Persistence& log = *options.persistence;
  log.DrainNotify();
  if (Status health = log.health(); !health.ok()) {
    spdlog::critical(
        "write-ahead log failed, no further acknowledgements: {} ({} held RegisterSync requests "
        "answered with an error)",
        health.ToString(), held.size());
    FailHeld(health);
    return health;
  }
  ReleaseDurable();
  return Status::Ok();
}

// Held replies are in sync-point order, so the durable ones form a prefix of the queue.
void HubServer::Impl::ReleaseDurable() {
  if (held.empty()) return;
  const uint64_t durable = options.persistence->durable_seq();
  TypeCounters* tc = &counters.by_type[static_cast<size_t>(MessageType::kRegisterSync)];
  const TimePoint now = clock.Now();
  while (!held.empty() && held.front().seq <= durable) {
    SendFrame(held.front().routing_id, held.front().frame);
    ObserveLatency(MessageType::kRegisterSync, tc, now - held.front().start);
    held.pop_front();
  }
}

void HubServer::Impl::FailHeld(const Status& error) {
  const Status answer =
      InternalError("write-ahead log failed; not stored durably: " + error.message());
  for (const HeldReply& h : held) {
    const Message reply = MakeErrorResponse(h.version, core.config().epoch, answer);
    SendReply(h.routing_id, h.request_id, reply);
  }
  held.clear();
}

MetricsSnapshot HubServer::Impl::BuildMetricsSnapshot() const {
  MetricsSnapshot s;
  const HubConfig& cfg = core.config();
  s.epoch = cfg.epoch;
  s.version = cfg.hub_version;
  s.key_format = std::string(KeyFormatName(cfg.limits.key_format));
  s.eviction = std::string(EvictionKindName(cfg.eviction));
  s.capacity_entries = cfg.capacity;
  s.uptime_seconds = std::chrono::duration<double>(clock.Now() - start_time).count();
  s.records_current = core.entry_count();
  s.lease_active = core.active_leases();
  s.members_current = core.member_count();
  s.core = core.counters();
  for (size_t t = 0; t < counters.by_type.size(); ++t) {
    const auto q = QueryTypeOf(static_cast<MessageType>(t));
    if (!q) continue;
    QueryTypeStats& out = s.query(*q);
    out.requests = counters.by_type[t].requests;
    out.keys = counters.by_type[t].keys;
    out.errors = counters.by_type[t].errors;
    out.latency = query_latency[static_cast<size_t>(*q)];
  }
  s.query_decode_failures = counters.decode_failures;
  s.register_batches = counters.register_frames - counters.register_frames_dropped;
  s.register_entries = counters.register_entries;
  s.register_latency = register_latency;
  s.security = security;
  s.dropped = {counters.short_frames_dropped, counters.register_frames_dropped,
               counters.replies_unroutable, counters.replies_dropped};
  if (options.persistence != nullptr) s.persistence = options.persistence->Stats();
  if (events) {
    s.events = EventStats{counters.events_published, counters.events_dropped,
                          events->counters().multicast_dropped};
  }
  return s;
}

void HubServer::Impl::ServeMetricsRequests() {
  metrics_event.Drain();
  std::vector<std::shared_ptr<std::promise<MetricsSnapshot>>> requests;
  {
    std::lock_guard lock(mailbox_mu);
    requests.swap(mailbox);
  }
  if (requests.empty()) return;
  const MetricsSnapshot snapshot = BuildMetricsSnapshot();
  for (auto& r : requests) r->set_value(snapshot);
}

// Requests still waiting get a broken promise (-> nullopt); later ones are refused at once.
void HubServer::Impl::CloseMailbox() {
  std::lock_guard lock(mailbox_mu);
  mailbox_closed = true;
  mailbox.clear();
}

void HubServer::Impl::MaybeLogSummary(TimePoint now) {
  if (!summary->Due(now)) return;
  spdlog::info("{}", summary->Take(BuildMetricsSnapshot(), now));
}

std::optional<MetricsSnapshot> HubServer::RequestMetricsSnapshot(std::chrono::milliseconds wait) {
  auto request = std::make_shared<std::promise<MetricsSnapshot>>();
  std::future<MetricsSnapshot> answer = request->get_future();
  {
    std::lock_guard lock(impl_->mailbox_mu);
    if (impl_->mailbox_closed) return std::nullopt;
    impl_->mailbox.push_back(std::move(request));
  }
  impl_->metrics_event.Signal();
  if (answer.wait_for(wait) != std::future_status::ready) return std::nullopt;
  try {
    return answer.get();
  } catch (const std::future_error&) {  // the loop stopped before answering
    return std::nullopt;
  }
}

}  // namespace blockhub
