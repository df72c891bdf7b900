// The periodic one-line summary the hub logs at info level (every 10 s by default):
//   summary interval=10.0s queries_per_s=… keys_per_s=… hit_ratio=… register_entries_per_s=…
//   leases=… records=… evictions=… dropped=…
// Rates and the hit ratio cover the interval between two snapshots; leases and records are the
// current gauges; evictions and dropped are counts within the interval.
//
// FormatSummary is a pure function. PeriodicSummary is a value owned by one thread (the hub's
// loop thread) and reads no clock itself: the caller passes `now`.
#pragma once

#include <string>

#include "common/clock.h"
#include "hub/metrics/metrics_snapshot.h"

namespace blockhub {

// `elapsed` <= 0 yields rates of 0. Counters that went backwards count as 0 for the interval.
std::string FormatSummary(const MetricsSnapshot& previous, const MetricsSnapshot& current,
                          Duration elapsed);

class PeriodicSummary {
 public:
  PeriodicSummary(Duration period, TimePoint start, MetricsSnapshot baseline = {});

  TimePoint next_due() const { return next_due_; }
  bool Due(TimePoint now) const { return now >= next_due_; }
  // The summary of [last Take or start, now]; `current` becomes the new baseline and the next
  // summary is due one period from `now`.
  std::string Take(MetricsSnapshot current, TimePoint now);

 private:
  Duration period_;
  TimePoint last_;
  TimePoint next_due_;
  MetricsSnapshot baseline_;
};

}  // namespace blockhub
