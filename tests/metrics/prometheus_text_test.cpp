#include "hub/metrics/prometheus_text.h"

#include <doctest/doctest.h>
#include <fmt/format.h>
#include <stdlib.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <string>

#include "tests/metrics/exposition_parser.h"
#include "tests/metrics/sample_snapshot.h"

namespace blockhub {
namespace {

using testing::Exposition;
using testing::LabelSet;
using testing::MakeSampleSnapshot;

Exposition ParseChecked(const std::string& text) {
  auto parsed = testing::ParseExposition(text);
  REQUIRE_MESSAGE(parsed.has_value(), parsed.error().ToString());
  const Status rules = testing::CheckExpositionRules(*parsed);
  REQUIRE_MESSAGE(rules.ok(), rules.ToString());
  return *parsed;
}

bool Contains(const std::string& text, std::string_view needle) {
  return text.find(needle) != std::string::npos;
}

TEST_CASE("RenderPrometheus: every family has HELP and TYPE and the format rules hold") {
  for (bool persistence : {false, true}) {
    CAPTURE(persistence);
    const Exposition e = ParseChecked(RenderPrometheus(MakeSampleSnapshot(persistence)));
    const std::pair<const char*, const char*> expected[] = {
        {"registry_up", "gauge"},
        {"registry_capacity_entries", "gauge"},
        {"registry_uptime_seconds", "gauge"},
        {"registry_info", "gauge"},
        {"registry_records_current", "gauge"},
        {"registry_query_requests_total", "counter"},
        {"registry_query_keys_total", "counter"},
        {"registry_query_errors_total", "counter"},
        {"registry_query_latency_seconds", "histogram"},
        {"registry_query_decode_failures_total", "counter"},
        {"registry_query_match_hits_total", "counter"},
        {"registry_query_match_misses_total", "counter"},
        {"registry_lease_active", "gauge"},
        {"registry_lease_grants_total", "counter"},
        {"registry_lease_new_total", "counter"},
        {"registry_lease_denied_total", "counter"},
        {"registry_lease_released_total", "counter"},
        {"registry_lease_expired_total", "counter"},
        {"registry_lease_refreshed_total", "counter"},
        {"registry_lease_released_by_request_total", "counter"},
        {"registry_lease_capacity_errors_total", "counter"},
        {"registry_register_batches_total", "counter"},
        {"registry_register_entries_total", "counter"},
        {"registry_register_latency_seconds", "histogram"},
        {"registry_register_rejected_total", "counter"},
        {"registry_register_already_stored_total", "counter"},
        {"registry_records_inserted_total", "counter"},
        {"registry_records_removed_total", "counter"},
        {"registry_offload_already_stored_total", "counter"},
        {"registry_evictions_total", "counter"},
        {"registry_members_current", "gauge"},
        {"registry_member_announces_total", "counter"},
        {"registry_member_expirations_total", "counter"},
        {"registry_member_withdrawals_total", "counter"},
        {"registry_multicasts_total", "counter"},
        {"registry_multicast_recipients_total", "counter"},
        {"registry_lease_released_by_departure_total", "counter"},
        {"registry_frames_dropped_total", "counter"},
        {"registry_auth_failures_total", "counter"},
        {"registry_permission_denied_total", "counter"},
        {"registry_connected_peers", "gauge"},
    };
    for (const auto& [name, type] : expected) {
      CAPTURE(name);
      const auto* family = e.Family(name);
      REQUIRE(family != nullptr);
      CHECK(family->type == type);
      CHECK_FALSE(family->help.empty());
    }
    const size_t persistence_families = persistence ? 4 : 0;
    CHECK(e.families.size() == std::size(expected) + persistence_families);
  }
}

TEST_CASE("RenderPrometheus: counters and gauges carry the snapshot's exact values") {
  const MetricsSnapshot s = MakeSampleSnapshot(false);
  const Exposition e = ParseChecked(RenderPrometheus(s));
  CHECK(e.Value("registry_up") == 1);
  CHECK(e.Value("registry_capacity_entries") == 1'000'000);
  CHECK(e.Value("registry_uptime_seconds") == 12.5);
  CHECK(e.Value("registry_records_current") == 4242);
  CHECK(e.Value("registry_lease_active") == 17);
  CHECK(e.Value("registry_lease_grants_total") == 101 + 116);  // new + CanOffload refreshes
  CHECK(e.Value("registry_lease_new_total") == 101);
  CHECK(e.Value("registry_lease_refreshed_total") == 102);
  CHECK(e.Value("registry_lease_denied_total") == 103);
  CHECK(e.Value("registry_lease_released_total") == 104);
  CHECK(e.Value("registry_lease_released_by_request_total") == 105);
  CHECK(e.Value("registry_lease_expired_total") == 106);
  CHECK(e.Value("registry_lease_capacity_errors_total") == 107);
  CHECK(e.Value("registry_records_inserted_total") == 108);
  CHECK(e.Value("registry_register_already_stored_total") == 109);
  CHECK(e.Value("registry_register_rejected_total") == 110);
  CHECK(e.Value("registry_records_removed_total") == 111);
  CHECK(e.Value("registry_evictions_total", {{"policy", "lru"}}) == 112);
  CHECK(e.Value("registry_query_match_hits_total") == 113);
  CHECK(e.Value("registry_query_match_misses_total") == 114);
  CHECK(e.Value("registry_offload_already_stored_total") == 115);
  CHECK(e.Value("registry_member_announces_total") == 120);
  CHECK(e.Value("registry_member_expirations_total") == 121);
  CHECK(e.Value("registry_member_withdrawals_total") == 122);
  CHECK(e.Value("registry_multicasts_total") == 123);
  CHECK(e.Value("registry_multicast_recipients_total") == 124);
  CHECK(e.Value("registry_lease_released_by_departure_total") == 125);
  CHECK(e.Value("registry_members_current") == 126);
  CHECK(e.Value("registry_query_decode_failures_total") == 7);
  CHECK(e.Value("registry_register_batches_total") == 31);
  CHECK(e.Value("registry_register_entries_total") == 310);
  CHECK(e.Value("registry_frames_dropped_total", {{"reason", "query_too_short"}}) == 1);
  CHECK(e.Value("registry_frames_dropped_total", {{"reason", "register_invalid"}}) == 2);
  CHECK(e.Value("registry_frames_dropped_total", {{"reason", "reply_unroutable"}}) == 3);
  CHECK(e.Value("registry_frames_dropped_total", {{"reason", "reply_send_failed"}}) == 4);
  CHECK(e.Value("registry_auth_failures_total", {{"reason", "unknown_key"}}) == 50);
  CHECK(e.Value("registry_auth_failures_total", {{"reason", "mechanism_mismatch"}}) == 51);
  CHECK(e.Value("registry_auth_failures_total", {{"reason", "too_many_peers"}}) == 55);
  CHECK(e.Value("registry_permission_denied_total",
                {{"role", "writer"}, {"query_type", "remove"}}) == 61);
  CHECK(e.Value("registry_permission_denied_total",
                {{"role", "reader"}, {"query_type", "register"}}) == 62);
  CHECK(e.Value("registry_permission_denied_total", {{"role", "admin"}, {"query_type", "match"}}) ==
        0);
  CHECK(e.Value("registry_connected_peers") == 63);
  CHECK(e.Value("registry_info", {{"epoch", "0xfeedbeef12345678"},
                                  {"version", "blockhub 0.1.0"},
                                  {"key_format", "positional"},
                                  {"eviction", "lru"}}) == 1);
  for (size_t t = 0; t < kQueryTypeCount; ++t) {
    const LabelSet label = {{"query_type", std::string(QueryTypeLabel(QueryType(t)))}};
    CAPTURE(label.begin()->second);
    CHECK(e.Value("registry_query_requests_total", label) == 1000 + t);
    CHECK(e.Value("registry_query_keys_total", label) == 2000 + t);
    CHECK(e.Value("registry_query_errors_total", label) == t);
  }
}

TEST_CASE("RenderPrometheus: histogram buckets are cumulative, end with +Inf, count = +Inf") {
  const std::string text = RenderPrometheus(MakeSampleSnapshot(false));
  const Exposition e = ParseChecked(text);
  // Observations 0.3 ms, 2 ms, 20 s.
  const std::pair<const char*, double> buckets[] = {
      {"0.0005", 1}, {"0.001", 1}, {"0.0025", 2}, {"0.005", 2}, {"0.01", 2},
      {"0.025", 2},  {"0.05", 2},  {"0.1", 2},    {"0.25", 2},  {"0.5", 2},
      {"1", 2},      {"2.5", 2},   {"5", 2},      {"10", 2},    {"+Inf", 3}};
  for (const auto& [le, count] : buckets) {
    CAPTURE(le);
    CHECK(e.Value("registry_query_latency_seconds_bucket", {{"query_type", "match"}, {"le", le}}) ==
          count);
    CHECK(Contains(text, fmt::format("registry_query_latency_seconds_bucket{{query_type=\"match\","
                                     "le=\"{}\"}} {}\n",
                                     le, count)));
  }
  CHECK(e.Value("registry_query_latency_seconds_count", {{"query_type", "match"}}) == 3);
  CHECK(e.Value("registry_query_latency_seconds_sum", {{"query_type", "match"}}) ==
        doctest::Approx(20.0023));
  CHECK(e.Value("registry_register_latency_seconds_bucket", {{"le", "0.001"}}) == 1);
  CHECK(e.Value("registry_register_latency_seconds_bucket", {{"le", "0.5"}}) == 1);
  CHECK(e.Value("registry_register_latency_seconds_bucket", {{"le", "1"}}) == 2);
  CHECK(e.Value("registry_register_latency_seconds_count") == 2);
  CHECK(e.Value("registry_register_latency_seconds_sum") == doctest::Approx(0.7007));
}

TEST_CASE("RenderPrometheus: label values are escaped") {
  MetricsSnapshot s = MakeSampleSnapshot(false);
  s.version = "odd \"build\" \\ with\nnewline";
  s.eviction = "a\\\"b";
  const std::string text = RenderPrometheus(s);
  CHECK(Contains(text, R"(version="odd \"build\" \\ with\nnewline")"));
  CHECK(Contains(text, R"(registry_evictions_total{policy="a\\\"b"} 112)"));
  const Exposition e = ParseChecked(text);
  CHECK(e.Family("registry_info")->samples.at(0).labels.at("version") == s.version);
  CHECK(e.Value("registry_evictions_total", {{"policy", s.eviction}}) == 112);
  CHECK(EscapeLabelValue("plain") == "plain");
  CHECK(EscapeHelpText("a\\b\nc\"") == "a\\\\b\\nc\"");
}

TEST_CASE("RenderPrometheus: persistence metrics only when persistence is on") {
  const std::string off = RenderPrometheus(MakeSampleSnapshot(false));
  CHECK_FALSE(Contains(off, "registry_persistence_"));
  MetricsSnapshot s = MakeSampleSnapshot(true);
  Exposition e = ParseChecked(RenderPrometheus(s));
  CHECK(e.Value("registry_persistence_log_bytes") == 65536);
  CHECK(e.Value("registry_persistence_snapshots_total") == 2);
  CHECK(e.Value("registry_persistence_snapshot_age_seconds") == 3.25);
  CHECK(e.Value("registry_persistence_fsync_latency_seconds_bucket", {{"le", "0.001"}}) == 1);
  CHECK(e.Value("registry_persistence_fsync_latency_seconds_count") == 1);
  s.persistence->snapshot_age_seconds.reset();  // no snapshot yet: the series is absent
  e = ParseChecked(RenderPrometheus(s));
  CHECK(e.Family("registry_persistence_snapshot_age_seconds") == nullptr);
  CHECK(e.Family("registry_persistence_log_bytes") != nullptr);
}

TEST_CASE("RenderPrometheus: event and multicast drop counters only when events are on") {
  const std::string off = RenderPrometheus(MakeSampleSnapshot(false));
  CHECK_FALSE(Contains(off, "registry_events_"));
  CHECK_FALSE(Contains(off, "registry_multicast_dropped_total"));
  MetricsSnapshot s = MakeSampleSnapshot(false);
  s.events = EventStats{130, 131, 132};
  const Exposition e = ParseChecked(RenderPrometheus(s));
  CHECK(e.Value("registry_events_published_total") == 130);
  CHECK(e.Value("registry_events_dropped_total") == 131);
  CHECK(e.Value("registry_multicast_dropped_total") == 132);
}

TEST_CASE("FormatSampleValue: shortest decimal and the special values") {
  CHECK(FormatSampleValue(1) == "1");
  CHECK(FormatSampleValue(0.0005) == "0.0005");
  CHECK(FormatSampleValue(2.5) == "2.5");
  CHECK(FormatSampleValue(HUGE_VAL) == "+Inf");
  CHECK(FormatSampleValue(-HUGE_VAL) == "-Inf");
  CHECK(FormatSampleValue(std::nan("")) == "NaN");
}

// promtool (Debian package `prometheus`) is the reference checker; skipped when not installed at
// configure time. The format-rules tests above cover the same rules without it.
constexpr const char* kPromtool = BLOCKHUB_PROMTOOL;

TEST_CASE("RenderPrometheus: output passes `promtool check metrics`" *
          doctest::skip(kPromtool[0] == '\0')) {
  char path[] = "/tmp/blockhub_metrics_XXXXXX";
  const int fd = mkstemp(path);
  REQUIRE(fd >= 0);
  const std::string text = RenderPrometheus(MakeSampleSnapshot(true));
  const bool written = write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  close(fd);
  const std::string command = fmt::format("{} check metrics < {} 2>&1", kPromtool, path);
  FILE* pipe = popen(command.c_str(), "r");
  std::string output;
  int status = -1;
  if (pipe != nullptr) {
    char buf[512];
    while (size_t n = fread(buf, 1, sizeof(buf), pipe)) output.append(buf, n);
    status = pclose(pipe);
  }
  unlink(path);
  REQUIRE(written);
  REQUIRE(pipe != nullptr);
  INFO("promtool said: ", output);
  CHECK(status == 0);
  CHECK(output.empty());
}

}  // namespace
}  // namespace blockhub
