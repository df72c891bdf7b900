#include "client/hub_selector.h"

#include <algorithm>

namespace blockhub {

Duration AttemptTimeoutFor(Duration request_timeout, size_t hubs) {
  const Duration share = hubs <= 1 ? request_timeout : request_timeout / static_cast<int64_t>(hubs);
  return std::max<Duration>(share, std::chrono::milliseconds(1));
}

HubSelector::HubSelector(size_t hubs, Duration attempt_timeout, Duration max_backoff)
    : hubs_(std::max<size_t>(hubs, 1)),
      attempt_timeout_(attempt_timeout),
      max_backoff_(std::max(max_backoff, attempt_timeout)) {}

size_t HubSelector::PickForAttempt(uint64_t tried) const {
  const size_t n = hubs_.size();
  for (size_t step = 0; step < n; ++step) {
    const size_t h = (current_ + step) % n;
    if (hubs_[h].state == HubState::kLive && Untried(h, tried)) return h;
  }
  for (size_t step = 0; step < n; ++step) {
    const size_t h = (current_ + step) % n;
    if (hubs_[h].state == HubState::kLive) return h;
  }
  size_t best = current_;
  for (size_t h = 0; h < n; ++h) {
    if (hubs_[h].retry_at < hubs_[best].retry_at) best = h;
  }
  return best;
}

void HubSelector::OnReply(size_t hub, TimePoint now) {
  Hub& h = hubs_[hub];
  h.state = HubState::kLive;
  h.backoff = Duration(0);
  h.probing = false;
  h.unconfirmed_registrations = false;
  h.last_heard = now;
  // All hubs were dead and this one answered: it is the one to use.
  if (hubs_[current_].state == HubState::kDead) {
    current_ = hub;
    ++failovers_;
  }
}

bool HubSelector::OnAttemptTimeout(size_t hub, TimePoint now) {
  Hub& h = hubs_[hub];
  h.probing = false;
  if (h.state == HubState::kDead && now < h.retry_at) return false;  // already judged
  h.backoff = h.state == HubState::kDead ? std::min(h.backoff * 2, max_backoff_) : attempt_timeout_;
  h.state = HubState::kDead;
  h.retry_at = now + h.backoff;
  h.unconfirmed_registrations = false;
  if (hub != current_) return false;
  const size_t n = hubs_.size();
  for (size_t step = 1; step < n; ++step) {
    const size_t next = (current_ + step) % n;
    if (hubs_[next].state == HubState::kLive) {
      current_ = next;
      ++failovers_;
      return true;
    }
  }
  return false;  // nothing live: stay, the probes will find the first hub back
}

void HubSelector::OnRegistrationsSent(size_t hub, TimePoint now) {
  Hub& h = hubs_[hub];
  if (!h.unconfirmed_registrations) {
    h.unconfirmed_registrations = true;
    // The silence that matters starts now, not at the last reply long ago.
    h.last_heard = std::max(h.last_heard, now);
  }
}

std::vector<size_t> HubSelector::TakeDueProbes(TimePoint now) {
  std::vector<size_t> due;
  for (size_t i = 0; i < hubs_.size(); ++i) {
    Hub& h = hubs_[i];
    if (h.probing) continue;
    const bool dead_due = h.state == HubState::kDead && now >= h.retry_at;
    const bool silent = h.state == HubState::kLive && h.unconfirmed_registrations &&
                        now - h.last_heard >= attempt_timeout_;
    if (dead_due || silent) {
      h.probing = true;
      due.push_back(i);
    }
  }
  return due;
}

std::optional<TimePoint> HubSelector::NextProbeTime() const {
  std::optional<TimePoint> next;
  for (const Hub& h : hubs_) {
    if (h.probing) continue;
    std::optional<TimePoint> t;
    if (h.state == HubState::kDead) t = h.retry_at;
    if (h.state == HubState::kLive && h.unconfirmed_registrations) {
      t = h.last_heard + attempt_timeout_;
    }
    if (t && (!next || *t < *next)) next = t;
  }
  return next;
}

}  // namespace blockhub
