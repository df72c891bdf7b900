// HubSelector: the client's pure policy for a list of hubs (ClientOptions' comma-separated
// endpoint lists) — which hub a request attempt goes to, when a hub is judged dead, when a dead
// hub is probed again. No I/O, no threads, no clock of its own: callers pass `now` (tests use a
// ManualClock).
//
// The rule (README, "client hub list"):
//   - Every request attempt has a deadline of at most attempt_timeout = request_timeout / number of
//     hubs (the whole request_timeout with one hub), so a request can try every hub once within
//     its own timeout. A hub that lets an attempt (or a probe) pass its attempt deadline without a
//     reply is judged dead at once; its other requests in flight are moved too, so a stalled or
//     killed hub costs a request at most one attempt's share. (The Client also reports a broken
//     connection, seen by a socket monitor, through OnAttemptTimeout: a killed hub costs less.)
//   - The client sticks to one hub, the "current" one (the first of the list at start). When the
//     current hub is judged dead, the next live hub in list order becomes current (a failover). A
//     hub that comes back does not take over again by itself (with the memory store a restarted
//     hub has an empty catalog); it is used again when the current one fails.
//   - A dead hub is probed (a cheap empty Touch) after a backoff: attempt_timeout, doubling after
//     every failed probe up to max_backoff. Any reply from a hub makes it live again.
//   - Registration liveness: a hub that was handed registrations is probed when nothing was heard
//     from it for attempt_timeout, so a hub that only receives fire-and-forget Registers is judged
//     too.
//
// Owned by the Client's I/O thread; not thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "common/clock.h"

namespace blockhub {

enum class HubState : uint8_t {
  kLive = 0,  // answering (or not tried yet)
  kDead = 1,  // missed an attempt deadline; probed again at retry_at
};

class HubSelector {
 public:
  HubSelector(size_t hubs, Duration attempt_timeout, Duration max_backoff);

  size_t hub_count() const { return hubs_.size(); }
  Duration attempt_timeout() const { return attempt_timeout_; }
  // The hub requests and registrations go to now.
  size_t current() const { return current_; }
  HubState state(size_t hub) const { return hubs_[hub].state; }
  TimePoint retry_at(size_t hub) const { return hubs_[hub].retry_at; }
  uint64_t failovers() const { return failovers_; }

  // The hub for a request's next attempt. `tried` is a bit mask of the hubs this request already
  // tried (bit i = hub i; hubs past 63 count as untried). Preference: the current hub if live and
  // untried; else the first live untried hub after it in list order; else any live hub; else (all
  // dead) the dead hub whose retry time comes first.
  size_t PickForAttempt(uint64_t tried) const;

  // A reply (any reply) came from `hub`: it is live; its backoff resets.
  void OnReply(size_t hub, TimePoint now);
  // An attempt or probe on `hub` passed its deadline without a reply: the hub is dead, probed again
  // after the backoff. Returns true when this changed the current hub (a failover).
  bool OnAttemptTimeout(size_t hub, TimePoint now);
  // Registration frames were handed to `hub`'s socket.
  void OnRegistrationsSent(size_t hub, TimePoint now);

  // The hubs to probe now: dead hubs past their retry time, and hubs handed registrations that
  // have not been heard from for attempt_timeout. Each is marked as probing until OnReply or
  // OnAttemptTimeout for it.
  std::vector<size_t> TakeDueProbes(TimePoint now);
  // When TakeDueProbes may next return something (nullopt: nothing scheduled).
  std::optional<TimePoint> NextProbeTime() const;

 private:
  struct Hub {
    HubState state = HubState::kLive;
    TimePoint retry_at{};
    Duration backoff{};
    bool probing = false;
    bool unconfirmed_registrations = false;  // registrations handed over since last heard
    TimePoint last_heard{};
  };
  bool Untried(size_t hub, uint64_t tried) const {
    return hub >= 64 || (tried & (uint64_t{1} << hub)) == 0;
  }

  std::vector<Hub> hubs_;
  Duration attempt_timeout_;
  Duration max_backoff_;
  size_t current_ = 0;
  uint64_t failovers_ = 0;
};

// The attempt share of a request timeout for `hubs` hubs (at least 1 ms).
Duration AttemptTimeoutFor(Duration request_timeout, size_t hubs);

}  // namespace blockhub
