// Histogram: a fixed-bucket latency histogram for Prometheus export (counts per bucket + sum).
// Observe is a short loop of integer compares and two adds; no allocation, no atomics.
//
// Ownership and threading: a plain copyable value owned by one thread (the hub's loop thread, or
// the write-ahead-log thread for fsync latency). Other threads see it only as a copy inside a
// MetricsSnapshot handed over by message. Not thread-safe.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

#include "common/clock.h"

namespace blockhub {

// Dynamo's sample hub latency buckets, in seconds: 0.5 ms ... 10 s.
inline constexpr std::array<double, 14> kLatencyBucketsSeconds = {
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};

class Histogram {
 public:
  static constexpr size_t kMaxBounds = 32;

  // The default uses kLatencyBucketsSeconds. `upper_bounds_seconds` must be strictly increasing,
  // finite, positive, at most kMaxBounds long, and must outlive the histogram and its copies (use
  // static storage, e.g. kLatencyBucketsSeconds). Violations are programmer errors
  // (std::invalid_argument).
  explicit Histogram(std::span<const double> upper_bounds_seconds);
  Histogram() : Histogram(kLatencyBucketsSeconds) {}

  // Counts one observation in the first bucket whose bound is >= `d` (Prometheus `le`), or in
  // the overflow bucket. Negative durations count as zero.
  void Observe(Duration d) {
    const int64_t ns = d.count() < 0 ? 0 : d.count();
    size_t i = 0;
    while (i < num_bounds_ && ns > bounds_ns_[i]) ++i;
    ++counts_[i];
    sum_ns_ += static_cast<uint64_t>(ns);
  }

  std::span<const double> upper_bounds() const { return bounds_; }
  // Non-cumulative count of bucket i (0 .. upper_bounds().size()); the last index is the overflow
  // bucket (above every bound).
  uint64_t bucket_count(size_t i) const { return counts_[i]; }
  uint64_t count() const;
  double sum_seconds() const { return static_cast<double>(sum_ns_) / 1e9; }
  uint64_t sum_ns() const { return sum_ns_; }

 private:
  std::span<const double> bounds_;
  size_t num_bounds_ = 0;
  std::array<int64_t, kMaxBounds> bounds_ns_{};
  std::array<uint64_t, kMaxBounds + 1> counts_{};
  uint64_t sum_ns_ = 0;
};

}  // namespace blockhub
