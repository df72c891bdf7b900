#include "hub/metrics/summary_line.h"

#include <doctest/doctest.h>

#include <chrono>

#include "common/clock.h"

namespace blockhub {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

MetricsSnapshot Counts(uint64_t can_offload, uint64_t match, uint64_t keys_each, uint64_t hits,
                       uint64_t misses) {
  MetricsSnapshot s;
  s.query(QueryType::kCanOffload).requests = can_offload;
  s.query(QueryType::kCanOffload).keys = can_offload * keys_each;
  s.query(QueryType::kMatch).requests = match;
  s.query(QueryType::kMatch).keys = match * keys_each;
  s.core.match_hits = hits;
  s.core.match_misses = misses;
  return s;
}

TEST_CASE("FormatSummary: rates over the interval, current gauges, interval counts") {
  MetricsSnapshot before = Counts(100, 100, 4, 10, 10);
  before.register_entries = 50;
  before.core.entries_evicted = 5;
  before.dropped.reply_unroutable = 1;
  MetricsSnapshot after = Counts(300, 200, 4, 40, 20);  // +300 queries, +1200 keys
  after.register_entries = 150;
  after.core.entries_evicted = 8;
  after.dropped.reply_unroutable = 2;
  after.dropped.register_invalid = 2;
  after.lease_active = 7;
  after.records_current = 12345;
  CHECK(FormatSummary(before, after, seconds(10)) ==
        "summary interval=10.0s queries_per_s=30.0 keys_per_s=120.0 hit_ratio=0.750 "
        "register_entries_per_s=10.0 leases=7 records=12345 evictions=3 dropped=3");
}

TEST_CASE("FormatSummary: no matches gives n/a and zero elapsed gives zero rates") {
  const MetricsSnapshot s = Counts(10, 0, 1, 0, 0);
  CHECK(FormatSummary(MetricsSnapshot{}, s, seconds(0)) ==
        "summary interval=0.0s queries_per_s=0.0 keys_per_s=0.0 hit_ratio=n/a "
        "register_entries_per_s=0.0 leases=0 records=0 evictions=0 dropped=0");
}

TEST_CASE("FormatSummary: counters that went backwards count as zero") {
  const std::string line =
      FormatSummary(Counts(10, 10, 1, 5, 5), Counts(0, 0, 1, 0, 0), seconds(1));
  CHECK(line.find("queries_per_s=0.0 keys_per_s=0.0 hit_ratio=n/a") != std::string::npos);
}

TEST_CASE("PeriodicSummary: due every period and each line covers the interval since the last") {
  ManualClock clock;
  PeriodicSummary summary(seconds(10), clock.Now());
  CHECK_FALSE(summary.Due(clock.Now()));
  CHECK(summary.next_due() == clock.Now() + seconds(10));
  clock.Advance(seconds(9) + milliseconds(999));
  CHECK_FALSE(summary.Due(clock.Now()));
  clock.Advance(milliseconds(1));
  REQUIRE(summary.Due(clock.Now()));
  const std::string first = summary.Take(Counts(100, 0, 2, 0, 0), clock.Now());
  CHECK(first.find("interval=10.0s queries_per_s=10.0 keys_per_s=20.0") != std::string::npos);
  CHECK_FALSE(summary.Due(clock.Now()));
  clock.Advance(seconds(20));  // a late tick: the next line covers 20 s
  REQUIRE(summary.Due(clock.Now()));
  const std::string second = summary.Take(Counts(500, 0, 2, 0, 0), clock.Now());
  CHECK(second.find("interval=20.0s queries_per_s=20.0 keys_per_s=40.0") != std::string::npos);
  CHECK(summary.next_due() == clock.Now() + seconds(10));
}

}  // namespace
}  // namespace blockhub
