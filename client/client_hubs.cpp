// Client::Impl's hub-list half: sending an attempt to the hub the HubSelector picks, judging a hub
// dead (an attempt share passed, or its connection broke) and moving its requests, probing dead
// or silent hubs, and publishing per-hub states for counters(). I/O thread only (client_impl.h).
#include <spdlog/spdlog.h>

#include <string>
#include <utility>
#include <vector>

#include "client/client_impl.h"
#include "codec/codec.h"
#include "common/bytes.h"

namespace blockhub {
namespace {

// The probe: an empty Touch, valid and cheap in both protocol versions.
std::string EncodeProbe(const ClientOptions& o) {
  Message msg{o.protocol, o.client_id, 0, Touch{}};
  std::string out;
  (void)Encode(msg, out);
  return out;
}

}  // namespace

bool Client::Impl::SendAttempt(uint32_t id, InFlight& req, TimePoint now) {
  size_t hub = multi_hub_ ? selector_.PickForAttempt(req.tried) : 0;
  Status s = transport_->SendQuery(hub, multi_hub_ ? req.frame : scratch_);
  // A full send queue on one hub (a dead hub's queue fills up): try each other hub once.
  for (uint64_t refused = 0; !s.ok() && multi_hub_;) {
    refused |= hub < 64 ? uint64_t{1} << hub : 0;
    const size_t next = selector_.PickForAttempt(req.tried | refused);
    if (next < 64 && (refused & (uint64_t{1} << next)) != 0) break;  // none left to try
    hub = next;
    s = transport_->SendQuery(hub, req.frame);
  }
  if (!s.ok()) {
    Completion done = std::move(req.done);
    in_flight_.erase(id);
    if (done) done(std::move(s));
    return false;
  }
  hub_stats_[hub].attempts.fetch_add(1, std::memory_order_relaxed);
  req.hub = hub;
  req.tried |= hub < 64 ? uint64_t{1} << hub : 0;
  req.attempt_start = now;
  req.seq = next_seq_++;
  TimePoint attempt_deadline = req.deadline;
  if (multi_hub_) attempt_deadline = std::min(attempt_deadline, now + selector_.attempt_timeout());
  deadlines_.push({attempt_deadline, id, req.seq});
  return true;
}

void Client::Impl::HubFailed(size_t hub, TimePoint now, bool disconnected) {
  if (!disconnected) hub_stats_[hub].attempt_timeouts.fetch_add(1, std::memory_order_relaxed);
  const bool was_live = selector_.state(hub) == HubState::kLive;
  if (selector_.OnAttemptTimeout(hub, now)) {
    failovers_.fetch_add(1);
    spdlog::warn("blockhub client: hub {} ({}) judged dead ({}), now using hub {} ({})", hub,
                 hub_endpoints_[hub].query_addr, disconnected ? "disconnected" : "no reply in time",
                 selector_.current(), hub_endpoints_[selector_.current()].query_addr);
  }
  PublishHubStates();
  if (!was_live) return;
  // Its other requests would miss their attempt deadlines too: move them now.
  std::vector<uint32_t> moved;
  for (auto& [id, req] : in_flight_) {
    if (req.hub == hub && req.done && !req.frame.empty()) moved.push_back(id);
  }
  for (uint32_t id : moved) {
    auto it = in_flight_.find(id);
    if (it == in_flight_.end()) continue;
    retries_.fetch_add(1);
    SendAttempt(id, it->second, now);
  }
}

void Client::Impl::SendProbes(TimePoint now) {
  static const std::string kNoMessage;
  for (size_t hub : selector_.TakeDueProbes(now)) {
    while (next_id_ == 0 || in_flight_.contains(next_id_)) ++next_id_;
    const uint32_t id = next_id_++;
    InFlight probe;
    ByteWriter(probe.frame).U32(id);
    probe.frame += EncodeProbe(options_);
    if (!transport_->SendQuery(hub, probe.frame).ok()) {
      if (selector_.OnAttemptTimeout(hub, now)) failovers_.fetch_add(1);  // cannot even queue
      PublishHubStates();
      continue;
    }
    probes_.fetch_add(1);
    hub_stats_[hub].attempts.fetch_add(1, std::memory_order_relaxed);
    probe.hub = hub;
    probe.attempt_start = now;
    probe.deadline = now + selector_.attempt_timeout();
    probe.seq = next_seq_++;
    deadlines_.push({probe.deadline, id, probe.seq});
    in_flight_.emplace(id, std::move(probe));
  }
}

void Client::Impl::PublishHubStates() {
  for (size_t i = 0; i < hub_stats_.size(); ++i) {
    hub_stats_[i].state.store(static_cast<uint8_t>(selector_.state(i)));
  }
  current_hub_.store(selector_.current());
}

}  // namespace blockhub
