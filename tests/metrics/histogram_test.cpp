#include "hub/metrics/histogram.h"

#include <doctest/doctest.h>

#include <array>
#include <chrono>
#include <stdexcept>

namespace blockhub {
namespace {

using std::chrono::microseconds;
using std::chrono::milliseconds;
using std::chrono::nanoseconds;
using std::chrono::seconds;

TEST_CASE("Histogram: default bounds are Dynamo's 0.5 ms .. 10 s") {
  Histogram h;
  REQUIRE(h.upper_bounds().size() == 14);
  CHECK(h.upper_bounds().front() == 0.0005);
  CHECK(h.upper_bounds().back() == 10);
  CHECK(h.count() == 0);
  CHECK(h.sum_ns() == 0);
}

TEST_CASE("Histogram: a value equal to a bound falls in that bucket (le), one more ns does not") {
  Histogram h;
  h.Observe(microseconds(500));                   // == 0.0005 -> bucket 0
  h.Observe(microseconds(500) + nanoseconds(1));  // -> bucket 1 (0.001)
  h.Observe(nanoseconds(0));                      // -> bucket 0
  h.Observe(nanoseconds(-5));                     // negative counts as 0 -> bucket 0
  h.Observe(seconds(10));                         // == last bound -> bucket 13
  h.Observe(seconds(10) + nanoseconds(1));        // overflow -> bucket 14
  CHECK(h.bucket_count(0) == 3);
  CHECK(h.bucket_count(1) == 1);
  for (size_t i = 2; i < 13; ++i) CHECK(h.bucket_count(i) == 0);
  CHECK(h.bucket_count(13) == 1);
  CHECK(h.bucket_count(14) == 1);
  CHECK(h.count() == 6);
  CHECK(h.sum_ns() == 500'000 + 500'001 + 10'000'000'000 + 10'000'000'001);
  CHECK(h.sum_seconds() == doctest::Approx(20.001000002));
}

TEST_CASE("Histogram: custom bounds and copies are independent values") {
  static constexpr std::array<double, 2> kBounds = {0.001, 0.01};
  Histogram h(kBounds);
  h.Observe(milliseconds(5));
  Histogram copy = h;
  h.Observe(milliseconds(50));
  CHECK(copy.count() == 1);
  CHECK(copy.bucket_count(1) == 1);
  CHECK(h.count() == 2);
  CHECK(h.bucket_count(2) == 1);
}

TEST_CASE("Histogram: invalid bounds are programmer errors") {
  static constexpr std::array<double, 2> kDecreasing = {0.01, 0.001};
  static constexpr std::array<double, 1> kZero = {0};
  static constexpr std::array<double, 33> kTooMany = {1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11,
                                                      12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22,
                                                      23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33};
  CHECK_THROWS_AS(Histogram{kDecreasing}, std::invalid_argument);
  CHECK_THROWS_AS(Histogram{kZero}, std::invalid_argument);
  CHECK_THROWS_AS(Histogram{kTooMany}, std::invalid_argument);
}

}  // namespace
}  // namespace blockhub
