#include "tests/metrics/sample_snapshot.h"

#include <chrono>

namespace blockhub::testing {

using std::chrono::microseconds;
using std::chrono::milliseconds;

MetricsSnapshot MakeSampleSnapshot(bool with_persistence) {
  MetricsSnapshot s;
  s.epoch = 0xfeedbeef12345678ULL;
  s.version = "blockhub 0.1.0";
  s.key_format = "positional";
  s.eviction = "lru";
  s.capacity_entries = 1'000'000;
  s.uptime_seconds = 12.5;
  s.records_current = 4242;
  s.lease_active = 17;
  HubCounters& c = s.core;
  c.leases_granted = 101;
  c.leases_refreshed = 102;
  c.leases_offload_refreshed = 116;
  c.leases_denied = 103;
  c.leases_released_by_register = 104;
  c.leases_released = 105;
  c.leases_expired = 106;
  c.lease_capacity_errors = 107;
  c.entries_stored = 108;
  c.entries_already_stored = 109;
  c.entries_rejected = 110;
  c.entries_removed = 111;
  c.entries_evicted = 112;
  c.match_hits = 113;
  c.match_misses = 114;
  c.offload_already_stored = 115;
  c.members_announced = 120;
  c.members_expired = 121;
  c.members_withdrawn = 122;
  c.multicasts = 123;
  c.multicast_recipients = 124;
  c.leases_released_by_departure = 125;
  s.members_current = 126;
  for (size_t t = 0; t < kQueryTypeCount; ++t) {
    QueryTypeStats& q = s.queries[t];
    q.requests = 1000 + t;
    q.keys = 2000 + t;
    q.errors = t;
    // Three observations: 0.3 ms, 2 ms, 20 s (overflow) for every type.
    q.latency.Observe(microseconds(300));
    q.latency.Observe(milliseconds(2));
    q.latency.Observe(milliseconds(20'000));
  }
  s.query_decode_failures = 7;
  s.register_batches = 31;
  s.register_entries = 310;
  s.register_latency.Observe(microseconds(700));
  s.register_latency.Observe(milliseconds(700));
  s.dropped = DroppedFrames{1, 2, 3, 4};
  s.security.curve = true;
  for (size_t r = 0; r < kAuthFailureCount; ++r) s.security.auth_failures[r] = 50 + r;
  s.security.permission_denied[1][static_cast<size_t>(QueryType::kRemove)] = 61;
  s.security.permission_denied[0][kQueryTypeCount] = 62;  // reader's PULL frames
  s.security.connected_peers = 63;
  if (with_persistence) {
    PersistenceStats p;
    p.log_bytes = 65536;
    p.snapshots_written = 2;
    p.snapshot_age_seconds = 3.25;
    p.fsync_latency.Observe(microseconds(900));
    s.persistence = p;
  }
  return s;
}

}  // namespace blockhub::testing
