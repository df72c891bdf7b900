#include "hub/metrics/histogram.h"

#include <cmath>
#include <stdexcept>

namespace blockhub {

Histogram::Histogram(std::span<const double> upper_bounds_seconds)
    : bounds_(upper_bounds_seconds), num_bounds_(upper_bounds_seconds.size()) {
  if (num_bounds_ > kMaxBounds) {
    throw std::invalid_argument("Histogram: too many bucket bounds");
  }
  for (size_t i = 0; i < num_bounds_; ++i) {
    const double b = bounds_[i];
    if (!std::isfinite(b) || b <= 0 || (i > 0 && b <= bounds_[i - 1])) {
      throw std::invalid_argument("Histogram: bounds must be positive, finite, increasing");
    }
    bounds_ns_[i] = static_cast<int64_t>(std::llround(b * 1e9));
  }
}

uint64_t Histogram::count() const {
  uint64_t total = 0;
  for (size_t i = 0; i <= num_bounds_; ++i) total += counts_[i];
  return total;
}

}  // namespace blockhub
