// The metrics endpoint of the real blockhubd: /metrics after known traffic (exact counter values,
// format rules), /healthz, /readyz, the ready line's metrics= field, persistence series.
#include <doctest/doctest.h>
#include <fmt/format.h>
#include <httplib.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>

#include "tests/integration/integration_util.h"
#include "tests/metrics/exposition_parser.h"
#include "tests/support/hub_process.h"
#include "tests/support/raw_sockets.h"

namespace blockhub::testing {
namespace {

using std::chrono::milliseconds;

std::vector<std::string_view> Views(const std::vector<std::string>& keys) {
  return {keys.begin(), keys.end()};
}

struct HttpAnswer {
  int status = 0;
  std::string body;
};

HttpAnswer HttpGet(const std::string& url, const std::string& path) {
  httplib::Client client(url);
  client.set_connection_timeout(2);
  client.set_read_timeout(5);
  auto res = client.Get(path.c_str());
  if (!res) return {};
  return {res->status, res->body};
}

Exposition Scrape(const HubProcess& hub) {
  const HttpAnswer answer = HttpGet(hub.metrics_url(), "/metrics");
  REQUIRE(answer.status == 200);
  auto parsed = ParseExposition(answer.body);
  REQUIRE_MESSAGE(parsed.has_value(), parsed.status().ToString());
  const Status rules = CheckExpositionRules(*parsed);
  CHECK_MESSAGE(rules.ok(), rules.ToString());
  return std::move(*parsed);
}

std::vector<std::string> Keys(uint64_t first, uint64_t count) {
  std::vector<std::string> keys;
  for (uint64_t k = first; k < first + count; ++k) keys.push_back(U64Key(k));
  return keys;
}

std::vector<Entry> EntriesOf(const std::vector<std::string>& keys) {
  std::vector<Entry> entries;
  for (const std::string& k : keys) entries.push_back({k, k, ""});
  return entries;
}

TEST_CASE("metrics: exact counters after known traffic plus healthz and readyz") {
  HubProcessOptions options = HubArgs({"--key-format", "u64"});
  options.metrics = true;
  auto hub = HubProcess::Start(options);
  REQUIRE_MESSAGE(hub.has_value(), hub.status().ToString());
  REQUIRE(hub->metrics_url().starts_with("http://127.0.0.1:"));
  CHECK(HttpGet(hub->metrics_url(), "/healthz").body == "ok\n");
  CHECK(HttpGet(hub->metrics_url(), "/readyz").status == 200);
  CHECK(HttpGet(hub->metrics_url(), "/nothing").status == 404);

  auto dealer = RawDealer::Connect(hub->query_endpoint());
  REQUIRE(dealer.has_value());
  RawReply holder;
  auto hello = Ask(*dealer, 1, EncodeV2(1, Hello{}), &holder);
  REQUIRE(hello.has_value());
  const uint64_t epoch = hello->epoch;
  const auto k0 = Keys(0, 10);
  REQUIRE(Ask(*dealer, 2, EncodeV2(1, RegisterSync{EntriesOf(k0)}), &holder).has_value());

  // Two good registration frames (5 + 3 entries) and one that is not a Register.
  auto push = RawPush::Connect(hub->register_endpoint());
  REQUIRE(push.has_value());
  const auto k100 = Keys(100, 5);
  const auto k105 = Keys(105, 3);
  REQUIRE(push->Send(EncodeV2(1, Register{EntriesOf(k100)})).ok());
  REQUIRE(push->Send(EncodeV2(1, Register{EntriesOf(k105)})).ok());
  REQUIRE(push->Send(FromHex("02 7f 00")).ok());
  uint64_t stats_calls = 0;
  CHECK(RetryUntil([&] {
    ++stats_calls;
    return StatValue(*dealer, "server_register_frames") == 3;
  }));

  // Match: keys 0, 1, 2 stored, 50 and 51 not.
  const std::vector<std::string> match_keys = {U64Key(0), U64Key(1), U64Key(2), U64Key(50),
                                               U64Key(51)};
  REQUIRE(
      Ask(*dealer, 3, EncodeV2(1, Match{MatchMode::kAll, Views(match_keys)}), &holder).has_value());
  // Leases: client 1 gets 200..202 (0 is stored); client 2 is denied 200 and gets 203.
  REQUIRE(Ask(*dealer, 4,
              EncodeV2(1, CanOffload{{U64Key(200), U64Key(201), U64Key(202), U64Key(0)}}), &holder)
              .has_value());
  REQUIRE(
      Ask(*dealer, 5, EncodeV2(2, CanOffload{{U64Key(200), U64Key(203)}}), &holder).has_value());
  REQUIRE(Ask(*dealer, 6, EncodeV2(1, Remove{{U64Key(100)}}), &holder).has_value());
  REQUIRE(Ask(*dealer, 7, EncodeV1(Touch{{U64Key(1), U64Key(2)}}), &holder).has_value());
  // Two undecodable queries (bad version byte) and one frame too short for a request id.
  REQUIRE(Ask(*dealer, 8, FromHex("7f 01"), &holder).has_value());
  REQUIRE(Ask(*dealer, 9, FromHex("02 63 00 00"), &holder).has_value());
  REQUIRE(dealer->SendFrame(FromHex("01 02")).ok());
  // Frames of one connection are read in order: once a later request is answered, the short
  // frame has been read and counted (the scrape must not race it).
  ++stats_calls;
  CHECK(StatValue(*dealer, "server_short_frames_dropped") == 1);

  const Exposition m = Scrape(*hub);
  auto q = [&](const char* name, const char* type) {
    return m.Value(name, {{"query_type", type}});
  };
  CHECK(m.Value("registry_up") == 1);
  CHECK(q("registry_query_requests_total", "hello") == 1);
  CHECK(q("registry_query_requests_total", "register_sync") == 1);
  CHECK(q("registry_query_keys_total", "register_sync") == 10);
  CHECK(q("registry_query_requests_total", "stats") == static_cast<double>(stats_calls));
  CHECK(q("registry_query_requests_total", "match") == 1);
  CHECK(q("registry_query_keys_total", "match") == 5);
  CHECK(q("registry_query_requests_total", "can_offload") == 2);
  CHECK(q("registry_query_keys_total", "can_offload") == 6);
  CHECK(q("registry_query_requests_total", "remove") == 1);
  CHECK(q("registry_query_keys_total", "remove") == 1);
  CHECK(q("registry_query_requests_total", "touch") == 1);
  CHECK(q("registry_query_keys_total", "touch") == 2);
  CHECK(q("registry_query_latency_seconds_count", "match") == 1);
  CHECK(q("registry_query_latency_seconds_count", "can_offload") == 2);
  CHECK(m.Value("registry_query_match_hits_total") == 3);
  CHECK(m.Value("registry_query_match_misses_total") == 2);
  CHECK(m.Value("registry_query_decode_failures_total") == 2);
  CHECK(m.Value("registry_lease_grants_total") == 4);  // no refresh in this traffic
  CHECK(m.Value("registry_lease_new_total") == 4);
  CHECK(m.Value("registry_lease_denied_total") == 1);
  CHECK(m.Value("registry_lease_active") == 4);
  CHECK(m.Value("registry_offload_already_stored_total") == 1);
  CHECK(m.Value("registry_register_batches_total") == 2);
  CHECK(m.Value("registry_register_entries_total") == 8);
  CHECK(m.Value("registry_register_latency_seconds_count") == 2);
  CHECK(m.Value("registry_records_removed_total") == 1);
  CHECK(m.Value("registry_records_current") == 17);
  CHECK(m.Value("registry_frames_dropped_total", {{"reason", "query_too_short"}}) == 1);
  CHECK(m.Value("registry_frames_dropped_total", {{"reason", "register_invalid"}}) == 1);
  // The epoch is a label of registry_info.
  const ExpositionFamily* info = m.Family("registry_info");
  REQUIRE(info != nullptr);
  REQUIRE(info->samples.size() == 1);
  CHECK(info->samples[0].labels.at("epoch") == fmt::format("0x{:016x}", epoch));
  CHECK(m.Family("registry_persistence_log_bytes") == nullptr);  // persistence is off

  // A scrape is not a query: the counters did not move.
  CHECK(Scrape(*hub).Value("registry_query_requests_total", {{"query_type", "match"}}) == 1);
  auto stopped = hub->Stop();
  REQUIRE(stopped.has_value());
  CHECK(stopped->code == 0);
}

TEST_CASE("metrics: persistence series when a data dir is used, port 0 and off") {
  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() / fmt::format("blockhub-metrics-{}", getpid());
  std::filesystem::remove_all(dir);
  struct Cleanup {
    std::filesystem::path p;
    ~Cleanup() { std::filesystem::remove_all(p); }
  } cleanup{dir};
  HubProcessOptions options = HubArgs({"--key-format", "u64", "--data-dir", dir.string()});
  options.metrics = true;
  auto hub = HubProcess::Start(options);
  REQUIRE_MESSAGE(hub.has_value(), hub.status().ToString());
  auto dealer = RawDealer::Connect(hub->query_endpoint());
  REQUIRE(dealer.has_value());
  RawReply holder;
  REQUIRE(Ask(*dealer, 1, EncodeV2(1, RegisterSync{EntriesOf(Keys(0, 50))}), &holder).has_value());
  const Exposition m = Scrape(*hub);
  const auto log_bytes = m.Value("registry_persistence_log_bytes");
  REQUIRE(log_bytes.has_value());
  CHECK(*log_bytes > 50 * 16);  // 50 records of two 8-byte fields, plus framing
  const auto fsyncs = m.Value("registry_persistence_fsync_latency_seconds_count");
  REQUIRE(fsyncs.has_value());
  CHECK(*fsyncs >= 1);
  CHECK(m.Value("registry_persistence_snapshots_total") == 0);

  // off: no metrics= in the ready line.
  auto quiet = HubProcess::Start(HubArgs({"--metrics-addr", "off"}));
  REQUIRE(quiet.has_value());
  CHECK(quiet->metrics_url().empty());
}


TEST_CASE("metrics: an explicit address must bind, the default address may be skipped") {
  // Explicit: the address of a running hub's endpoint is taken, so a second hub asked for it
  // stops with exit 1 and says why.
  HubProcessOptions first_options = HubArgs({});
  first_options.metrics = true;
  auto first = HubProcess::Start(first_options);
  REQUIRE_MESSAGE(first.has_value(), first.status().ToString());
  const std::string taken = first->metrics_url().substr(std::string("http://").size());
  auto clash = RunBlockhubd({"--query-addr", "tcp://127.0.0.1:*", "--register-addr",
                             "tcp://127.0.0.1:*", "--metrics-addr", taken});
  REQUIRE(clash.has_value());
  CHECK(clash->exit.code == 1);
  CHECK(clash->stdout_text.find("ready") == std::string::npos);
  CHECK(clash->stderr_text.find("metrics endpoint") != std::string::npos);

  // Default (nobody asked for 0.0.0.0:9108): two hubs on one machine both start; the one that
  // cannot have the port warns and runs without the endpoint.
  HubProcessOptions a_options = HubArgs({});
  a_options.default_metrics_addr = true;
  auto a = HubProcess::Start(a_options);
  REQUIRE_MESSAGE(a.has_value(), a.status().ToString());
  const std::string log = (std::filesystem::temp_directory_path() /
                           fmt::format("blockhub-metrics-default-{}.log", ::getpid()))
                              .string();
  HubProcessOptions b_options = a_options;
  b_options.stderr_path = log;
  auto b = HubProcess::Start(b_options);
  REQUIRE_MESSAGE(b.has_value(), b.status().ToString());
  CHECK(b->metrics_url().empty());
  auto dealer = RawDealer::Connect(b->query_endpoint());
  REQUIRE(dealer.has_value());
  std::string hello;
  REQUIRE(Encode(Message{ProtocolVersion::kV2, 1, 0, Hello{"t", ""}}, hello).ok());
  CHECK(dealer->Request(7, hello).has_value());  // the hub without an endpoint serves
  auto stopped = b->Stop();
  REQUIRE(stopped.has_value());
  CHECK(stopped->code == 0);
  std::ifstream in(log);
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  CHECK(text.find("metrics endpoint disabled") != std::string::npos);
  std::filesystem::remove(log);
}

}  // namespace
}  // namespace blockhub::testing
