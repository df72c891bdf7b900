// The format checker must itself be able to fail: each malformed document is rejected.
#include "tests/metrics/exposition_parser.h"

#include <doctest/doctest.h>

#include <string>

namespace blockhub::testing {
namespace {

Status Check(const std::string& text) {
  auto parsed = ParseExposition(text);
  if (!parsed) return parsed.error();
  return CheckExpositionRules(*parsed);
}

const std::string kHeader = "# HELP h_seconds Latency.\n# TYPE h_seconds histogram\n";

TEST_CASE("ExpositionParser: accepts a well-formed document") {
  const std::string text =
      "# HELP c_total Things.\n# TYPE c_total counter\n"
      "c_total{a=\"x\\\"y\"} 3\n" +
      kHeader +
      "h_seconds_bucket{le=\"1\"} 1\nh_seconds_bucket{le=\"+Inf\"} 2\n"
      "h_seconds_sum 3.5\nh_seconds_count 2\n";
  const Status s = Check(text);
  CHECK_MESSAGE(s.ok(), s.ToString());
  auto parsed = ParseExposition(text);
  REQUIRE(parsed.has_value());
  CHECK(parsed->Value("c_total", {{"a", "x\"y"}}) == 3);
}

TEST_CASE("ExpositionParser: rejects each broken rule") {
  const char* broken[] = {
      "c_total 1\n",                                                       // no HELP/TYPE
      "# HELP c_total x\nc_total 1\n",                                     // no TYPE
      "# HELP c_total x\n# TYPE c_total counter\nc_total 1",               // no final newline
      "# HELP c_total x\n# TYPE c_total counter\nc_total 1\nc_total 2\n",  // duplicate series
      "# HELP c_total x\n# TYPE c_total counter\nc_total{a=\"\\q\"} 1\n",  // bad escape
      "# HELP c_total x\n# TYPE c_total counter\nc_total one\n",           // bad value
      "# HELP c_total x\n# TYPE c_total counter\nc_total -1\n",            // negative counter
      "# HELP c_total x\n# TYPE c_total bogus\nc_total 1\n",               // bad type
      "# HELP a x\n# TYPE a gauge\na 1\n# HELP b x\n# TYPE b gauge\nb 1\n"
      "# HELP a x\n",  // family split
  };
  for (const char* text : broken) {
    CAPTURE(text);
    CHECK_FALSE(Check(text).ok());
  }
  const std::string histograms[] = {
      // not cumulative
      "h_seconds_bucket{le=\"1\"} 2\nh_seconds_bucket{le=\"+Inf\"} 1\nh_seconds_sum 1\n"
      "h_seconds_count 1\n",
      // no +Inf
      "h_seconds_bucket{le=\"1\"} 1\nh_seconds_sum 1\nh_seconds_count 1\n",
      // _count differs from +Inf
      "h_seconds_bucket{le=\"1\"} 1\nh_seconds_bucket{le=\"+Inf\"} 2\nh_seconds_sum 1\n"
      "h_seconds_count 3\n",
      // le not increasing
      "h_seconds_bucket{le=\"2\"} 1\nh_seconds_bucket{le=\"1\"} 1\n"
      "h_seconds_bucket{le=\"+Inf\"} 1\nh_seconds_sum 1\nh_seconds_count 1\n",
      // no _sum
      "h_seconds_bucket{le=\"+Inf\"} 1\nh_seconds_count 1\n",
  };
  for (const std::string& body : histograms) {
    CAPTURE(body);
    CHECK_FALSE(Check(kHeader + body).ok());
  }
}

}  // namespace
}  // namespace blockhub::testing
