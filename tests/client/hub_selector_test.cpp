// HubSelector: the pure hub-list policy (attempt shares, sticky current hub, failover order,
// backoff probes, registration liveness), driven with a ManualClock. No sockets.
#include "client/hub_selector.h"

#include <doctest/doctest.h>

#include <chrono>
#include <vector>

namespace blockhub {
namespace {

using std::chrono::milliseconds;

constexpr Duration kShare = milliseconds(100);
constexpr Duration kMaxBackoff = milliseconds(800);

TEST_CASE("hub selector: the attempt share splits the request timeout over the hubs") {
  CHECK(AttemptTimeoutFor(milliseconds(5000), 1) == milliseconds(5000));
  CHECK(AttemptTimeoutFor(milliseconds(5000), 2) == milliseconds(2500));
  CHECK(AttemptTimeoutFor(milliseconds(900), 3) == milliseconds(300));
  CHECK(AttemptTimeoutFor(milliseconds(2), 5) == milliseconds(1));  // never below 1 ms
}

TEST_CASE("hub selector: requests stick to the first hub while it answers") {
  ManualClock clock;
  HubSelector sel(3, kShare, kMaxBackoff);
  CHECK(sel.current() == 0);
  CHECK(sel.PickForAttempt(0) == 0);
  sel.OnReply(0, clock.Now());
  CHECK(sel.PickForAttempt(0) == 0);
  // A request that already tried hub 0 (a retry) goes to the next live hub.
  CHECK(sel.PickForAttempt(0b001) == 1);
  CHECK(sel.PickForAttempt(0b011) == 2);
  // Everything tried and live: the current hub again.
  CHECK(sel.PickForAttempt(0b111) == 0);
  CHECK(sel.failovers() == 0);
  CHECK(sel.TakeDueProbes(clock.Now()).empty());
  CHECK_FALSE(sel.NextProbeTime().has_value());
}

TEST_CASE("hub selector: a missed attempt deadline judges the hub dead and fails over in order") {
  ManualClock clock;
  HubSelector sel(3, kShare, kMaxBackoff);
  CHECK(sel.OnAttemptTimeout(0, clock.Now()));
  CHECK(sel.state(0) == HubState::kDead);
  CHECK(sel.current() == 1);
  CHECK(sel.failovers() == 1);
  CHECK(sel.PickForAttempt(0) == 1);
  CHECK(sel.PickForAttempt(0b010) == 2);
  CHECK(sel.PickForAttempt(0b110) == 1);  // the dead hub is not picked while one is live
  // A timeout on a hub that is not current changes nothing for the current one.
  clock.Advance(milliseconds(1));
  CHECK_FALSE(sel.OnAttemptTimeout(2, clock.Now()));
  CHECK(sel.current() == 1);
  // The current hub dies too and no hub is live: the current one stays, and requests go to the
  // dead hub whose retry time comes first.
  clock.Advance(milliseconds(1));
  CHECK_FALSE(sel.OnAttemptTimeout(1, clock.Now()));
  CHECK(sel.current() == 1);
  CHECK(sel.PickForAttempt(0) == 0);  // hub 0 died first: its retry time comes first
}

TEST_CASE("hub selector: a second timeout on a hub already judged does not extend its backoff") {
  ManualClock clock;
  HubSelector sel(2, kShare, kMaxBackoff);
  sel.OnAttemptTimeout(0, clock.Now());
  const TimePoint retry = sel.retry_at(0);
  CHECK(retry == clock.Now() + kShare);
  clock.Advance(milliseconds(10));
  CHECK_FALSE(sel.OnAttemptTimeout(0, clock.Now()));  // other requests of the same stall
  CHECK(sel.retry_at(0) == retry);
  CHECK(sel.failovers() == 1);
}

TEST_CASE("hub selector: dead hubs are probed with a doubling, capped backoff") {
  ManualClock clock;
  HubSelector sel(2, kShare, kMaxBackoff);
  sel.OnAttemptTimeout(0, clock.Now());
  CHECK(sel.TakeDueProbes(clock.Now()).empty());
  REQUIRE(sel.NextProbeTime().has_value());
  CHECK(*sel.NextProbeTime() == clock.Now() + kShare);
  std::vector<Duration> gaps;
  for (int round = 0; round < 6; ++round) {
    const TimePoint due = *sel.NextProbeTime();
    gaps.push_back(due - clock.Now());
    clock.Set(due);
    auto probes = sel.TakeDueProbes(clock.Now());
    REQUIRE(probes == std::vector<size_t>{0});
    CHECK(sel.TakeDueProbes(clock.Now()).empty());  // one probe outstanding at a time
    CHECK_FALSE(sel.NextProbeTime().has_value());
    clock.Advance(kShare);  // the probe's own deadline passes
    sel.OnAttemptTimeout(0, clock.Now());
  }
  // Time from each failure to the next probe: one share, then doubling up to the cap.
  CHECK(gaps == std::vector<Duration>{kShare, 2 * kShare, 4 * kShare, 8 * kShare, kMaxBackoff,
                                      kMaxBackoff});
}

TEST_CASE("hub selector: a hub that answers again is live but does not take over") {
  ManualClock clock;
  HubSelector sel(2, kShare, kMaxBackoff);
  sel.OnAttemptTimeout(0, clock.Now());
  CHECK(sel.current() == 1);
  clock.Advance(kShare);
  REQUIRE(sel.TakeDueProbes(clock.Now()) == std::vector<size_t>{0});
  sel.OnReply(0, clock.Now());
  CHECK(sel.state(0) == HubState::kLive);
  CHECK(sel.current() == 1);  // sticky: a restarted memory hub has an empty catalog
  // When the current one fails, the hub that came back is used again.
  CHECK(sel.OnAttemptTimeout(1, clock.Now()));
  CHECK(sel.current() == 0);
  CHECK(sel.failovers() == 2);
  // Its backoff was reset by the reply: a new failure starts again at one share.
  sel.OnAttemptTimeout(0, clock.Now());
  CHECK(sel.retry_at(0) == clock.Now() + kShare);
}

TEST_CASE("hub selector: with every hub dead, the first to answer becomes current") {
  ManualClock clock;
  HubSelector sel(3, kShare, kMaxBackoff);
  sel.OnAttemptTimeout(0, clock.Now());
  sel.OnAttemptTimeout(1, clock.Now());
  sel.OnAttemptTimeout(2, clock.Now());
  CHECK(sel.current() == 2);
  sel.OnReply(1, clock.Now());
  CHECK(sel.current() == 1);
  CHECK(sel.PickForAttempt(0) == 1);
}

TEST_CASE("hub selector: a hub handed registrations is probed when it has been silent a share") {
  ManualClock clock;
  HubSelector sel(2, kShare, kMaxBackoff);
  sel.OnReply(0, clock.Now());
  clock.Advance(milliseconds(1000));  // long idle: the silence counts from the first send
  sel.OnRegistrationsSent(0, clock.Now());
  CHECK(sel.TakeDueProbes(clock.Now()).empty());
  REQUIRE(sel.NextProbeTime().has_value());
  CHECK(*sel.NextProbeTime() == clock.Now() + kShare);
  clock.Advance(kShare - milliseconds(1));
  sel.OnRegistrationsSent(0, clock.Now());  // more batches do not push the probe back
  CHECK(sel.TakeDueProbes(clock.Now()).empty());
  clock.Advance(milliseconds(1));
  CHECK(sel.TakeDueProbes(clock.Now()) == std::vector<size_t>{0});
  // The probe is answered: confirmed, nothing scheduled until new registrations.
  sel.OnReply(0, clock.Now());
  CHECK_FALSE(sel.NextProbeTime().has_value());
  // Unanswered instead: the hub is judged dead and registrations move to hub 1.
  sel.OnRegistrationsSent(0, clock.Now());
  clock.Advance(kShare);
  CHECK(sel.TakeDueProbes(clock.Now()) == std::vector<size_t>{0});
  clock.Advance(kShare);
  CHECK(sel.OnAttemptTimeout(0, clock.Now()));
  CHECK(sel.current() == 1);
}

TEST_CASE("hub selector: one hub is always the current one") {
  ManualClock clock;
  HubSelector sel(1, kShare, kMaxBackoff);
  CHECK_FALSE(sel.OnAttemptTimeout(0, clock.Now()));
  CHECK(sel.current() == 0);
  CHECK(sel.PickForAttempt(0b1) == 0);
}

}  // namespace
}  // namespace blockhub
