#include "client/client_impl.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <future>
#include <memory>
#include <utility>

#include "codec/codec.h"
#include "codec/events.h"
#include "common/bytes.h"

namespace blockhub {
namespace {

// The I/O thread wakes at least this often even when idle (bounded reaction to anything missed).
constexpr Duration kIdleWait = std::chrono::milliseconds(250);

std::string EncodeRegisterFrame(const ClientOptions& o, const std::vector<BlockEntry>& batch) {
  Register body;
  body.entries.reserve(batch.size());
  for (const auto& e : batch) body.entries.push_back({e.key, e.value, e.metadata});
  Message msg{o.protocol, o.client_id, 0, std::move(body)};
  std::string frame;
  // Sizes were validated by Register(); an encode failure here would be a codec bug.
  if (Status s = Encode(msg, frame); !s.ok()) {
    spdlog::error("blockhub client: cannot encode a Register batch: {}", s.ToString());
  }
  return frame;
}

// A dead hub is probed again after attempt_timeout, doubling up to this many attempt shares.
constexpr int kMaxBackoffShares = 8;

size_t HubCountOf(const Transport& t) { return std::max<size_t>(t.hub_count(), 1); }

}  // namespace

Client::Impl::Impl(ClientOptions options, std::unique_ptr<Transport> transport)
    : options_(std::move(options)),
      transport_(std::move(transport)),
      cache_(options_.local_cache_entries, options_.local_cache_ttl, clock_),
      selector_(
          HubCountOf(*transport_),
          AttemptTimeoutFor(options_.request_timeout, HubCountOf(*transport_)),
          AttemptTimeoutFor(options_.request_timeout, HubCountOf(*transport_)) * kMaxBackoffShares),
      multi_hub_(HubCountOf(*transport_) > 1),
      hub_stats_(HubCountOf(*transport_)),
      batcher_(options_.batch_size, options_.batch_timeout) {
  if (auto hubs = options_.hubs(); hubs && hubs->size() == hub_stats_.size()) {
    hub_endpoints_ = std::move(*hubs);
  }
  hub_endpoints_.resize(hub_stats_.size());  // a custom transport may not match the options
}

Client::Impl::~Impl() { (void)Close(); }

void Client::Impl::Start() {
  events_on_ = cache_.enabled() && !options_.events_addr.empty();
  events_last_ = clock_.Now();
  member_auto_ = options_.member_ttl.count() > 0;
  next_announce_ = clock_.Now();
  if (events_on_) {
    // Nothing is learnt before the subscription is live: a change published before it would
    // never reach this cache.
    cache_.SetLearning(false);
    spdlog::info(
        "blockhub client {:016x}: local cache of {} keys following the hub's events at {} "
        "(TTL {} ms)",
        options_.client_id, options_.local_cache_entries, options_.events_addr,
        options_.local_cache_ttl.count());
  } else if (cache_.enabled()) {
    spdlog::info(
        "blockhub client {:016x}: local cache of {} keys; it subscribes to no hub events, so it "
        "relies on its TTL alone: a key removed or evicted elsewhere may still be answered "
        "AlreadyStored for up to {} ms (DYN_REGISTRY_CLIENT_LOCAL_CACHE_TTL_MS)",
        options_.client_id, options_.local_cache_entries, options_.local_cache_ttl.count());
  }
  io_thread_ = std::thread([this] { Loop(); });
}

ClientCounters Client::Impl::counters() const {
  ClientCounters c;
  c.requests_sent = requests_sent_.load();
  c.replies_matched = replies_matched_.load();
  c.late_replies = late_replies_.load();
  c.malformed_replies = malformed_replies_.load();
  c.timeouts = timeouts_.load();
  c.registrations_queued = registrations_queued_.load();
  c.registrations_sent = registrations_sent_.load();
  c.registration_frames_sent = registration_frames_sent_.load();
  c.registrations_unsent = registrations_unsent_.load();
  c.epoch_changes = epoch_changes_.load();
  c.epoch = epoch_seen_.load();
  c.failovers = failovers_.load();
  c.retries = retries_.load();
  c.probes = probes_.load();
  const LocalCacheCounters lc = cache_.counters();
  c.cache_hits = lc.hits;
  c.cache_misses = lc.misses;
  c.cache_expired = lc.expired;
  c.cache_invalidations = lc.invalidations;
  c.cache_clears = lc.clears;
  c.cache_entries = lc.size;
  c.events_batches = events_batches_.load();
  c.events_received = events_received_.load();
  c.events_gaps = events_gaps_.load();
  c.events_lost = events_lost_.load();
  c.events_malformed = events_malformed_.load();
  c.events_live = events_live_flag_.load();
  c.member_id = member_id_.load();
  c.member_announces = member_announces_.load();
  c.member_announce_errors = member_announce_errors_.load();
  c.multicasts_received = multicasts_received_.load();
  c.member_live = member_live_.load();
  const size_t current = current_hub_.load();
  for (size_t i = 0; i < hub_stats_.size(); ++i) {
    const HubStats& h = hub_stats_[i];
    c.hubs.push_back({hub_endpoints_[i].query_addr, hub_endpoints_[i].register_addr,
                      static_cast<HubState>(h.state.load()), i == current, h.attempts.load(),
                      h.replies.load(), h.attempt_timeouts.load(), h.disconnects.load(),
                      h.registrations_sent.load()});
  }
  return c;
}

// ---- caller side ----

void Client::Impl::Submit(std::string message, Completion done) {
  {
    std::lock_guard lock(cmd_mu_);
    if (accepting_) {
      commands_.push_back(
          {std::move(message), std::move(done), clock_.Now() + options_.request_timeout});
      done = nullptr;
    }
  }
  if (done) {
    done(UnavailableError("the client is closed"));
    return;
  }
  // Submitted from a completion on the I/O thread: its loop sends it before it waits again.
  if (std::this_thread::get_id() != io_thread_.get_id()) transport_->Wake();
}

Status Client::Impl::Register(std::vector<BlockEntry> entries) {
  for (const auto& e : entries) {
    if (e.key.empty() || e.key.size() > 0xffff || e.value.size() > 0xffff ||
        e.metadata.size() > 0xffff) {
      return InvalidArgumentError(
          "Register: a key must be 1..65535 bytes, a value and metadata "
          "at most 65535 bytes");
    }
  }
  bool wake = false;
  size_t accepted = 0;
  {
    std::unique_lock lock(reg_mu_);
    const TimePoint deadline = clock_.Now() + options_.request_timeout;
    for (auto& e : entries) {
      while (!reg_closed_ &&
             batcher_.pending() + outbound_entries_ >= options_.max_pending_registrations) {
        transport_->Wake();
        if (reg_cv_.wait_until(lock, deadline) == std::cv_status::timeout &&
            batcher_.pending() + outbound_entries_ >= options_.max_pending_registrations) {
          return UnavailableError(fmt::format(
              "Register: registration queue full for {} ms (hub not draining); {} of {} entries "
              "accepted, the rest were not",
              options_.request_timeout.count(), accepted, entries.size()));
        }
      }
      if (reg_closed_) return UnavailableError("Register: the client is closed");
      wake |= batcher_.Add(std::move(e), clock_.Now()) || batcher_.pending() == 1;
      ++queued_total_;
      ++accepted;
      registrations_queued_.fetch_add(1);
    }
  }
  if (wake) transport_->Wake();
  return Status::Ok();
}

Status Client::Impl::Flush() {
  std::unique_lock lock(reg_mu_);
  const uint64_t target = queued_total_;
  flush_target_ = std::max(flush_target_, target);
  transport_->Wake();
  const TimePoint deadline = clock_.Now() + options_.request_timeout;
  bool done =
      reg_cv_.wait_until(lock, deadline, [&] { return sent_total_ >= target || reg_closed_; });
  if (sent_total_ >= target) return Status::Ok();
  if (!done) {
    return TimeoutError(fmt::format("Flush: {} registration entries not sent within {} ms",
                                    target - sent_total_, options_.request_timeout.count()));
  }
  return UnavailableError("Flush: the client closed first");
}

Status Client::Impl::Close() {
  std::lock_guard close_lock(close_mu_);
  if (closed_) return close_status_;
  closed_ = true;
  if (!io_thread_.joinable()) return close_status_;  // never started
  const TimePoint deadline = clock_.Now() + options_.request_timeout;
  if (member_auto_) Withdraw(deadline);
  uint64_t unsent = 0;
  {
    std::unique_lock lock(reg_mu_);
    flush_target_ = queued_total_;
    transport_->Wake();
    reg_cv_.wait_until(lock, deadline, [&] { return sent_total_ >= queued_total_; });
    reg_closed_ = true;
    unsent = queued_total_ - sent_total_;
    reg_cv_.notify_all();
  }
  {
    std::lock_guard lock(cmd_mu_);
    accepting_ = false;
  }
  stop_.store(true);
  transport_->Wake();
  io_thread_.join();
  // Frames already handed to the transport get the rest of the budget to leave.
  transport_->Close(std::max(Duration(0), deadline - clock_.Now()));
  if (unsent > 0) {
    registrations_unsent_.store(unsent);
    spdlog::warn("blockhub client {:016x}: closed with {} registration entries not sent",
                 options_.client_id, unsent);
    close_status_ =
        UnavailableError(fmt::format("Close: {} registration entries could not be sent", unsent));
  }
  return close_status_;
}

// ---- I/O thread ----

void Client::Impl::Loop() {
  std::vector<TransportReply> replies;
  while (!stop_.load()) {
    if (member_auto_) MaybeAnnounce(clock_.Now());
    SendCommands();
    TimePoint now = clock_.Now();
    ExpireRequests(now);
    bool want_writable = PumpRegistrations(now);
    if (multi_hub_) SendProbes(now);
    replies.clear();
    std::optional<size_t> writable;
    if (want_writable) writable = selector_.current();
    if (Status s = transport_->Wait(NextWait(clock_.Now()), writable, replies); !s.ok()) {
      spdlog::error("blockhub client: {}", s.ToString());
    }
    for (auto& r : replies) {
      if (r.multicast) {
        HandleMulticast(r.frame);
      } else if (r.event) {
        HandleEventBatch(r.frame, clock_.Now());
      } else if (r.events_lost) {
        EventsLost("the event connection broke");
      } else if (!r.disconnected) {
        HandleReply(r.hub, std::move(r.frame));
      } else if (multi_hub_ && r.hub < hub_stats_.size()) {
        // Its process died or closed the connection: requests in flight there get no reply.
        hub_stats_[r.hub].disconnects.fetch_add(1, std::memory_order_relaxed);
        HubFailed(r.hub, clock_.Now(), /*disconnected=*/true);
      }
    }
    if (events_on_ && clock_.Now() - events_last_ >= options_.events_timeout) {
      if (events_live_) {
        EventsLost(fmt::format("no event batch for {} ms", options_.events_timeout.count()));
      } else if (!events_warned_) {
        events_warned_ = true;
        spdlog::warn(
            "blockhub client {:016x}: no event batch from {} within {} ms (is the hub's "
            "--events-addr on?); the local cache learns nothing until one arrives",
            options_.client_id, options_.events_addr, options_.events_timeout.count());
      }
    }
  }
  FailEverything(UnavailableError("the client is closed"));
}

void Client::Impl::SendCommands() {
  std::vector<Command> batch;
  {
    std::lock_guard lock(cmd_mu_);
    batch.swap(commands_);
  }
  const TimePoint now = clock_.Now();
  for (auto& cmd : batch) {
    while (next_id_ == 0 || in_flight_.contains(next_id_)) ++next_id_;
    const uint32_t id = next_id_++;
    InFlight req;
    req.done = std::move(cmd.done);
    req.deadline = cmd.deadline;
    // With several hubs the frame is kept for a re-send; with one, a reused buffer is enough.
    std::string& frame = multi_hub_ ? req.frame : scratch_;
    frame.clear();
    ByteWriter(frame).U32(id);
    frame += cmd.message;
    auto [it, inserted] = in_flight_.emplace(id, std::move(req));
    if (SendAttempt(id, it->second, now)) requests_sent_.fetch_add(1);
  }
}

void Client::Impl::HandleReply(size_t hub, std::string frame) {
  if (hub >= hub_stats_.size()) hub = 0;
  hub_stats_[hub].replies.fetch_add(1, std::memory_order_relaxed);
  if (multi_hub_) {
    const size_t before = selector_.current();
    const HubState was = selector_.state(hub);
    selector_.OnReply(hub, clock_.Now());
    if (selector_.current() != before) failovers_.fetch_add(1);
    if (was != HubState::kLive || selector_.current() != before) PublishHubStates();
  }
  if (frame.size() < kRequestIdBytes) {
    malformed_replies_.fetch_add(1);
    return;
  }
  const uint32_t id = LoadU32(frame.data());
  auto it = in_flight_.find(id);
  if (it == in_flight_.end()) {
    late_replies_.fetch_add(1);  // its request timed out (or was never ours): drop it
    return;
  }
  Completion done = std::move(it->second.done);
  in_flight_.erase(it);
  if (!done) return;  // a probe: its reply only tells that the hub is live
  replies_matched_.fetch_add(1);
  // Epochs are compared on the current hub's replies only (a late reply from a hub left behind
  // would flip it back and forth); moving to another hub of the memory store is an epoch change.
  if (hub == selector_.current()) ObserveEpoch(frame);
  frame.erase(0, kRequestIdBytes);
  done(std::move(frame));
}

void Client::Impl::ObserveEpoch(const std::string& frame) {
  // v2 response header: version 2, type, epoch u64 (PROTOCOL.md §2).
  constexpr size_t kEpochAt = kRequestIdBytes + 2;
  if (frame.size() < kEpochAt + 8 || static_cast<uint8_t>(frame[kRequestIdBytes]) != 2) return;
  const uint64_t epoch = LoadU64(frame.data() + kEpochAt);
  if (epoch == epoch_) return;
  const uint64_t old = epoch_;
  epoch_ = epoch;
  epoch_seen_.store(epoch);
  if (old == 0) return;  // first contact
  epoch_changes_.fetch_add(1);
  spdlog::info("blockhub client: hub epoch changed {:016x} -> {:016x} (hub restarted)", old, epoch);
  // Removes made while the hub was down (or a catalog it lost) cannot be known here.
  cache_.Clear();
  if (options_.on_epoch_change) options_.on_epoch_change(old, epoch);
}

void Client::Impl::HandleEventBatch(std::string_view body, TimePoint now) {
  if (member_sub_pending_) {
    member_sub_pending_ = false;
    member_live_.store(true);
  }
  if (!events_on_) {
    // No cache to keep in step (the channel is there for multicasts): count the batch only,
    // which tells that the subscriptions are live.
    events_batches_.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  auto batch = DecodeEventBatch(body);
  if (!batch) {
    events_malformed_.fetch_add(1);
    // Whatever it held is unknown: it may have removed cached keys.
    cache_.Clear();
    spdlog::warn("blockhub client {:016x}: a malformed event batch ({}); the local cache is "
                 "cleared", options_.client_id, batch.error().ToString());
    return;
  }
  events_last_ = now;
  events_batches_.fetch_add(1, std::memory_order_relaxed);
  events_received_.fetch_add(batch->events.size(), std::memory_order_relaxed);
  if (!events_live_) {
    // The first batch since (re)subscribing: from here on every change reaches the cache.
    events_live_ = true;
    events_live_flag_.store(true);
    events_warned_ = false;
    cache_.SetLearning(true);
  } else if (batch->epoch != events_epoch_) {
    // The hub restarted: its catalog may differ from everything cached.
    cache_.Clear();
  } else if (batch->first_seq != events_next_seq_) {
    events_gaps_.fetch_add(1);
    cache_.Clear();
    spdlog::warn("blockhub client {:016x}: event sequence gap (expected {}, got {}); the local "
                 "cache is cleared",
                 options_.client_id, events_next_seq_, batch->first_seq);
  }
  events_epoch_ = batch->epoch;
  events_next_seq_ = batch->first_seq + batch->events.size();
  for (const Event& e : batch->events) {
    if (e.kind != EventKind::kStored) cache_.Invalidate(e.key);
  }
}

void Client::Impl::EventsLost(std::string_view why) {
  if (!events_on_) return;
  events_last_ = clock_.Now();
  if (!events_live_) return;
  events_live_ = false;
  events_live_flag_.store(false);
  events_lost_.fetch_add(1);
  cache_.SetLearning(false);
  cache_.Clear();
  spdlog::warn("blockhub client {:016x}: {}; the local cache is cleared and learns nothing until "
               "the hub's events flow again", options_.client_id, why);
}

void Client::Impl::OnAnnounced(uint64_t member_id) {
  member_announces_.fetch_add(1);
  member_id_.store(member_id);
  if (member_id == subscribed_member_) return;
  if (subscribed_member_ != 0) (void)transport_->Subscribe(MemberTopic(subscribed_member_), false);
  subscribed_member_ = member_id;
  member_live_.store(false);
  member_sub_pending_ = member_id != 0;
  if (member_id == 0) return;
  if (Status s = transport_->Subscribe(MemberTopic(member_id), true); !s.ok()) {
    spdlog::warn("blockhub client {:016x}: cannot follow multicasts: {}", options_.client_id,
                 s.ToString());
  }
}

void Client::Impl::MaybeAnnounce(TimePoint now) {
  if (announce_in_flight_ || member_stop_.load() || now < next_announce_) return;
  const auto ttl = options_.member_ttl;
  blockhub::Announce body{options_.ns, static_cast<uint32_t>(ttl.count()), {}};
  for (const auto& [k, v] : options_.member_metadata) body.metadata.push_back({k, v});
  std::string encoded;
  if (Status s = Encode(Message{ProtocolVersion::kV2, options_.client_id, 0, std::move(body)},
                        encoded);
      !s.ok()) {
    // Sizes are the caller's (metadata too long for the frame): say so once, do not retry.
    spdlog::error("blockhub client {:016x}: cannot encode its Announce: {}", options_.client_id,
                  s.ToString());
    member_auto_ = false;
    return;
  }
  announce_in_flight_ = true;
  next_announce_ = now + ttl / 2;
  // The completion runs on this thread (HandleReply or ExpireRequests).
  Submit(std::move(encoded), [this, ttl](Result<std::string> reply) {
    announce_in_flight_ = false;
    Status failed = Status::Ok();
    if (!reply) {
      failed = reply.error();
    } else if (auto decoded = DecodeResponse(*reply, DecodeLimits{}); !decoded) {
      failed = decoded.error();
    } else if (const auto* r = std::get_if<AnnounceResponse>(&decoded->body)) {
      if (!member_stop_.load()) OnAnnounced(r->member_id);
      announce_warned_ = false;
      return;
    } else if (const auto* e = std::get_if<ErrorResponse>(&decoded->body)) {
      failed = Status(e->code, e->message);
    } else {
      failed = MalformedError("not an AnnounceResponse");
    }
    if (member_stop_.load()) return;  // Close() began: nothing to retry
    member_announce_errors_.fetch_add(1);
    // Try again soon, but well within the TTL still left.
    next_announce_ = std::min(next_announce_, clock_.Now() + std::min<Duration>(ttl / 4,
                                                                                std::chrono::seconds(1)));
    if (!announce_warned_) {
      announce_warned_ = true;
      spdlog::warn("blockhub client {:016x}: Announce failed ({}); retrying", options_.client_id,
                   failed.ToString());
    }
  });
}

void Client::Impl::HandleMulticast(std::string_view body) {
  auto m = DecodeMulticastMessage(body);
  if (!m) {
    spdlog::warn("blockhub client {:016x}: a malformed multicast ({})", options_.client_id,
                 m.error().ToString());
    return;
  }
  const uint64_t me = member_id_.load();
  if (me == 0 || m->member_id != me) return;  // not (or no longer) addressed to this member
  multicasts_received_.fetch_add(1);
  if (options_.on_multicast) options_.on_multicast(m->sender, m->payload);
}

void Client::Impl::Withdraw(TimePoint deadline) {
  member_stop_.store(true);
  if (member_id_.load() == 0) return;
  std::string encoded;
  if (!Encode(Message{ProtocolVersion::kV2, options_.client_id, 0, blockhub::Announce{options_.ns, 0, {}}},
              encoded)
           .ok()) {
    return;
  }
  auto done = std::make_shared<std::promise<void>>();
  auto future = done->get_future();
  Submit(std::move(encoded), [done](Result<std::string>) { done->set_value(); });
  if (future.wait_for(std::max(Duration(0), deadline - clock_.Now())) !=
      std::future_status::ready) {
    spdlog::warn("blockhub client {:016x}: its withdraw was not answered in time; the hub drops "
                 "it when its TTL lapses",
                 options_.client_id);
  }
  member_id_.store(0);
}

void Client::Impl::ExpireRequests(TimePoint now) {
  while (!deadlines_.empty() && deadlines_.top().deadline <= now) {
    DeadlineItem item = deadlines_.top();
    deadlines_.pop();
    auto it = in_flight_.find(item.id);
    if (it == in_flight_.end() || it->second.seq != item.seq) continue;  // already answered
    InFlight& req = it->second;
    if (multi_hub_) {
      const size_t hub = req.hub;
      // Only an attempt that had its whole share judges the hub (not one cut short by the
      // request's own deadline).
      const bool full_share = item.deadline - req.attempt_start >= selector_.attempt_timeout();
      if (!req.done) {  // a probe
        in_flight_.erase(it);
        HubFailed(hub, now, /*disconnected=*/false);
        continue;
      }
      if (full_share)
        HubFailed(hub, now, /*disconnected=*/false);  // may already have moved this request
      it = in_flight_.find(item.id);
      if (it == in_flight_.end()) continue;
      if (it->second.seq != item.seq) continue;  // re-sent by HubFailed
      if (it->second.deadline > now) {
        retries_.fetch_add(1);
        SendAttempt(item.id, it->second, now);
        continue;
      }
    }
    Completion done = std::move(it->second.done);
    in_flight_.erase(it);
    timeouts_.fetch_add(1);
    done(TimeoutError(
        fmt::format("no reply from the hub within {} ms", options_.request_timeout.count())));
  }
}

bool Client::Impl::PumpRegistrations(TimePoint now) {
  std::lock_guard lock(reg_mu_);
  while (!batcher_.empty() &&
         (batcher_.Due(now) || flush_target_ > queued_total_ - batcher_.pending())) {
    std::vector<BlockEntry> batch = batcher_.TakeBatch();
    outbound_.push_back({EncodeRegisterFrame(options_, batch), batch.size()});
    outbound_entries_ += batch.size();
  }
  bool progressed = false;
  const size_t hub = selector_.current();
  while (!outbound_.empty()) {
    Result<bool> sent = transport_->TrySendRegistration(hub, outbound_.front().frame);
    if (!sent) {
      if (register_error_ != sent.error().message()) {
        register_error_ = sent.error().message();
        spdlog::error("blockhub client: {}", register_error_);
      }
      break;
    }
    if (!*sent) break;  // at the high-water mark: wait for room
    const size_t n = outbound_.front().entries;
    outbound_.pop_front();
    outbound_entries_ -= n;
    sent_total_ += n;
    registrations_sent_.fetch_add(n);
    registration_frames_sent_.fetch_add(1);
    hub_stats_[hub].registrations_sent.fetch_add(n, std::memory_order_relaxed);
    progressed = true;
  }
  if (progressed && multi_hub_) selector_.OnRegistrationsSent(hub, now);
  if (progressed) reg_cv_.notify_all();
  return !outbound_.empty();
}

Duration Client::Impl::NextWait(TimePoint now) {
  TimePoint until = now + kIdleWait;
  if (!deadlines_.empty()) until = std::min(until, deadlines_.top().deadline);
  if (multi_hub_) {
    if (auto probe = selector_.NextProbeTime()) until = std::min(until, *probe);
  }
  if (member_auto_ && !announce_in_flight_ && !member_stop_.load()) {
    until = std::min(until, next_announce_);
  }
  {
    std::lock_guard lock(reg_mu_);
    if (auto d = batcher_.NextDeadline()) until = std::min(until, *d);
    if (!batcher_.empty() &&
        (batcher_.Due(now) || flush_target_ > queued_total_ - batcher_.pending())) {
      until = now;
    }
  }
  return std::max(Duration(0), until - now);
}

void Client::Impl::FailEverything(const Status& why) {
  std::vector<Command> pending;
  {
    std::lock_guard lock(cmd_mu_);
    pending.swap(commands_);
  }
  for (auto& cmd : pending) cmd.done(why);
  for (auto& [id, req] : in_flight_) {
    if (req.done) req.done(why);
  }
  in_flight_.clear();
  deadlines_ = {};
}

}  // namespace blockhub
