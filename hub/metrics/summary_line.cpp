#include "hub/metrics/summary_line.h"

#include <fmt/format.h>

#include <utility>

namespace blockhub {
namespace {

uint64_t Delta(uint64_t before, uint64_t after) { return after >= before ? after - before : 0; }

struct Totals {
  uint64_t queries = 0;
  uint64_t keys = 0;
  uint64_t dropped = 0;
};

Totals SumOf(const MetricsSnapshot& s) {
  Totals t;
  for (const QueryTypeStats& q : s.queries) {
    t.queries += q.requests;
    t.keys += q.keys;
  }
  t.dropped = s.dropped.query_too_short + s.dropped.register_invalid + s.dropped.reply_unroutable +
              s.dropped.reply_send_failed;
  return t;
}

}  // namespace

std::string FormatSummary(const MetricsSnapshot& previous, const MetricsSnapshot& current,
                          Duration elapsed) {
  const double seconds = std::chrono::duration<double>(elapsed).count();
  auto rate = [seconds](uint64_t n) { return seconds > 0 ? static_cast<double>(n) / seconds : 0; };
  const Totals before = SumOf(previous);
  const Totals after = SumOf(current);
  const uint64_t hits = Delta(previous.core.match_hits, current.core.match_hits);
  const uint64_t misses = Delta(previous.core.match_misses, current.core.match_misses);
  const std::string hit_ratio =
      hits + misses == 0
          ? std::string("n/a")
          : fmt::format("{:.3f}", static_cast<double>(hits) / static_cast<double>(hits + misses));
  return fmt::format(
      "summary interval={:.1f}s queries_per_s={:.1f} keys_per_s={:.1f} hit_ratio={} "
      "register_entries_per_s={:.1f} leases={} records={} evictions={} dropped={}",
      seconds, rate(Delta(before.queries, after.queries)), rate(Delta(before.keys, after.keys)),
      hit_ratio, rate(Delta(previous.register_entries, current.register_entries)),
      current.lease_active, current.records_current,
      Delta(previous.core.entries_evicted, current.core.entries_evicted),
      Delta(before.dropped, after.dropped));
}

PeriodicSummary::PeriodicSummary(Duration period, TimePoint start, MetricsSnapshot baseline)
    : period_(period), last_(start), next_due_(start + period), baseline_(std::move(baseline)) {}

std::string PeriodicSummary::Take(MetricsSnapshot current, TimePoint now) {
  std::string line = FormatSummary(baseline_, current, now - last_);
  baseline_ = std::move(current);
  last_ = now;
  next_due_ = now + period_;
  return line;
}

}  // namespace blockhub
