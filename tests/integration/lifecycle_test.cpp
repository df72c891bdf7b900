// blockhubd as a process: start-up configuration (flags over environment, errors naming the flag or
// variable, exit code 2), --help, and SIGTERM/SIGINT (drain, exit 0 within 2 s).
#include <doctest/doctest.h>
#include <signal.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "tests/integration/integration_util.h"
#include "tests/support/hub_process.h"
#include "tests/support/raw_sockets.h"

namespace blockhub::testing {
namespace {

using std::chrono::milliseconds;

std::string TempPath(const std::string& stem) {
  return "/tmp/blockhub-it-" + stem + "-" + std::to_string(getpid()) + ".log";
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

HelloResponse HelloOf(const HubProcess& hub) {
  auto dealer = RawDealer::Connect(hub.query_endpoint());
  REQUIRE(dealer.has_value());
  RawReply holder;
  auto reply = Ask(*dealer, 1, EncodeV2(1, Hello{"t", ""}), &holder);
  REQUIRE(reply.has_value());
  REQUIRE(std::holds_alternative<HelloResponse>(reply->body));
  return std::get<HelloResponse>(reply->body);
}

TEST_CASE("SIGTERM applies registrations already sent and exits 0 within 2 s") {
  const std::string log = TempPath("drain");
  HubProcessOptions options = HubArgs({"--key-format", "u64"});
  options.stderr_path = log;
  auto hub = HubProcess::Start(options);
  REQUIRE_MESSAGE(hub.has_value(), hub.status().ToString());
  auto push = RawPush::Connect(hub->register_endpoint());
  auto dealer = RawDealer::Connect(hub->query_endpoint());
  REQUIRE(push.has_value());
  REQUIRE(dealer.has_value());
  // The PUSH connection is up once a first registration is visible.
  REQUIRE(push->Send(EncodeV1(Register{{{U64Key(0), "first", ""}}})).ok());
  uint32_t id = 0;
  REQUIRE(RetryUntil([&] {
    RawReply holder;
    auto m = Ask(*dealer, ++id, EncodeV1(Match{MatchMode::kAll, {U64Key(0)}}), &holder);
    return m.has_value() && EntryPairs(*m).size() == 1;
  }));
  constexpr int kPushed = 500;
  for (uint64_t k = 1; k <= kPushed; ++k) {
    const std::string key = U64Key(k);
    REQUIRE(push->Send(EncodeV1(Register{{{key, "v", ""}}})).ok());
  }
  const auto t0 = std::chrono::steady_clock::now();
  auto exit = hub->Stop(milliseconds(5000));
  const auto took = std::chrono::steady_clock::now() - t0;
  REQUIRE_MESSAGE(exit.has_value(), exit.status().ToString());
  CHECK(exit->code == 0);
  CHECK(took < milliseconds(2000));
  // The hub logs its totals on the way out: every registration sent was applied.
  const std::string text = ReadFile(log);
  CHECK_MESSAGE(text.find("register_entries=" + std::to_string(kPushed + 1)) != std::string::npos,
                text);
  std::remove(log.c_str());
}

TEST_CASE("queries still queued at shutdown are answered shutting_down") {
  auto hub = HubProcess::Start();
  REQUIRE(hub.has_value());
  auto dealer = RawDealer::Connect(hub->query_endpoint());
  REQUIRE(dealer.has_value());
  RawReply holder;
  REQUIRE(Ask(*dealer, 0, EncodeV2(1, Stats{}), &holder).has_value());  // connected
  // Freeze the hub, queue queries, ask it to stop, let it run: the stop is seen first.
  REQUIRE(hub->Pause().ok());
  constexpr uint32_t kQueued = 200;
  for (uint32_t i = 1; i <= kQueued; ++i) {
    REQUIRE(dealer->Send(i, EncodeV2(1, Match{MatchMode::kAll, {"k"}})).ok());
  }
  REQUIRE(hub->Signal(SIGTERM).ok());
  REQUIRE(hub->Resume().ok());
  uint32_t shutting_down = 0;
  for (uint32_t n = 0; n < kQueued; ++n) {
    auto reply = dealer->Receive(milliseconds(3000));
    REQUIRE_MESSAGE(reply.has_value(), "reply " << n << ": " << reply.status().ToString());
    auto decoded = DecodeReply(*reply);
    REQUIRE(decoded.has_value());
    REQUIRE(decoded->version == ProtocolVersion::kV2);
    const auto* error = std::get_if<ErrorResponse>(&decoded->body);
    REQUIRE_MESSAGE(error != nullptr, "query answered normally after the stop");
    CHECK(error->code == StatusCode::kShuttingDown);
    ++shutting_down;
  }
  CHECK(shutting_down == kQueued);
  auto exit = hub->Wait(milliseconds(2000));
  REQUIRE(exit.has_value());
  CHECK(exit->code == 0);
}

TEST_CASE("SIGINT stops the hub with exit code 0") {
  auto hub = HubProcess::Start();
  REQUIRE(hub.has_value());
  REQUIRE(hub->Signal(SIGINT).ok());
  auto exit = hub->Wait(milliseconds(2000));
  REQUIRE(exit.has_value());
  CHECK(exit->code == 0);
}

TEST_CASE("bad configuration values exit with code 2 and name the flag or variable") {
  struct Bad {
    std::vector<std::string> args;
    std::vector<std::pair<std::string, std::string>> env;
    std::string named;
  };
  const std::vector<Bad> cases = {
      {{"--capacity", "lots"}, {}, "--capacity"},
      {{"--capacity", "0"}, {}, "--capacity"},
      {{}, {{"DYN_REGISTRY_HUB_CAPACITY", "-5"}}, "DYN_REGISTRY_HUB_CAPACITY"},
      {{"--key-format", "u32"}, {}, "--key-format"},
      {{}, {{"DYN_REGISTRY_HUB_KEY_FORMAT", "hex"}}, "DYN_REGISTRY_HUB_KEY_FORMAT"},
      {{"--eviction", "fifo"}, {}, "--eviction"},
      {{}, {{"DYN_REGISTRY_HUB_EVICTION", "random"}}, "DYN_REGISTRY_HUB_EVICTION"},
      {{"--lease-timeout-ms", "0"}, {}, "--lease-timeout-ms"},
      {{}, {{"DYN_REGISTRY_HUB_LEASE_TIMEOUT_MS", "1s"}}, "DYN_REGISTRY_HUB_LEASE_TIMEOUT_MS"},
      {{}, {{"DYN_REGISTRY_HUB_LEASE_TIMEOUT_SECS", "x"}}, "DYN_REGISTRY_HUB_LEASE_TIMEOUT_SECS"},
      {{"--max-batch-keys", "99999999999"}, {}, "--max-batch-keys"},
      {{}, {{"DYN_REGISTRY_HUB_MAX_KEY_BYTES", "70000"}}, "DYN_REGISTRY_HUB_MAX_KEY_BYTES"},
      {{"--max-value-bytes", "big"}, {}, "--max-value-bytes"},
      {{}, {{"DYN_REGISTRY_HUB_MAX_METADATA_BYTES", "-1"}}, "DYN_REGISTRY_HUB_MAX_METADATA_BYTES"},
      {{"--max-leases", "0"}, {}, "--max-leases"},
      {{}, {{"DYN_REGISTRY_HUB_HWM", "many"}}, "DYN_REGISTRY_HUB_HWM"},
      {{"--log-level", "loud"}, {}, "--log-level"},
      {{}, {{"DYN_REGISTRY_LOG_LEVEL", "chatty"}}, "DYN_REGISTRY_LOG_LEVEL"},
      {{"--metrics-addr", "9090"}, {}, "--metrics-addr"},
      {{}, {{"DYN_REGISTRY_HUB_METRICS_ADDR", "0.0.0.0:99999"}}, "DYN_REGISTRY_HUB_METRICS_ADDR"},
      {{"--snapshot-retention", "0"}, {}, "--snapshot-retention"},
      {{},
       {{"DYN_REGISTRY_PERSISTENCE_SNAPSHOT_INTERVAL", "often"}},
       "DYN_REGISTRY_PERSISTENCE_SNAPSHOT_INTERVAL"},
      {{"--commit-interval-ms", "20000"}, {}, "--commit-interval-ms"},
      {{}, {{"DYN_REGISTRY_PERSISTENCE_ENABLED", "maybe"}}, "DYN_REGISTRY_PERSISTENCE_ENABLED"},
      {{"--query-addr", "localhost"}, {}, "--query-addr"},
      {{}, {{"DYN_REGISTRY_HUB_REGISTER_ADDR", "nowhere"}}, "DYN_REGISTRY_HUB_REGISTER_ADDR"},
      {{"--query-addr", "bogus://x"}, {}, "--query-addr"},
      {{"--no-such-flag"}, {}, "--no-such-flag"},
      {{"--capacity", "4294967295"}, {}, "--capacity"},
      {{"--eviction", "tail"}, {}, "eviction 'tail' needs key format"},
      {{}, {{"DYN_REGISTRY_HUB_EVICTION", "positional"}}, "eviction 'positional' needs"},
  };
  for (const Bad& c : cases) {
    CAPTURE(c.named);
    auto run = RunBlockhubd(c.args, c.env);
    REQUIRE_MESSAGE(run.has_value(), run.status().ToString());
    CHECK(run->exit.code == 2);
    CHECK_MESSAGE(run->stderr_text.find(c.named) != std::string::npos, run->stderr_text);
    CHECK(run->stdout_text.find("ready") == std::string::npos);
  }
}

TEST_CASE("flags win over variables and the millisecond lease setting wins over the seconds one") {
  SUBCASE("a bad variable is ignored when its flag is given") {
    auto hub = HubProcess::Start(
        HubArgs({"--capacity", "1234"}, {{"DYN_REGISTRY_HUB_CAPACITY", "nonsense"}}));
    REQUIRE_MESSAGE(hub.has_value(), hub.status().ToString());
    CHECK(HelloOf(*hub).capacity == 1234);
  }
  SUBCASE("variables apply without flags") {
    auto hub = HubProcess::Start(HubArgs({}, {{"DYN_REGISTRY_HUB_CAPACITY", "777"},
                                              {"DYN_REGISTRY_HUB_KEY_FORMAT", "positional"},
                                              {"DYN_REGISTRY_HUB_MAX_BATCH_KEYS", "99"},
                                              {"DYN_REGISTRY_HUB_LEASE_TIMEOUT_SECS", "7"}}));
    REQUIRE_MESSAGE(hub.has_value(), hub.status().ToString());
    const HelloResponse hello = HelloOf(*hub);
    CHECK(hello.capacity == 777);
    CHECK(hello.key_format == static_cast<uint8_t>(KeyFormat::kPositional));
    CHECK(hello.max_batch_keys == 99);
    CHECK(hello.lease_ttl_ms == 7000);
  }
  SUBCASE("DYN_REGISTRY_HUB_LEASE_TIMEOUT_MS wins over ..._SECS, the flag over both") {
    const std::vector<std::pair<std::string, std::string>> env = {
        {"DYN_REGISTRY_HUB_LEASE_TIMEOUT_SECS", "7"},
        {"DYN_REGISTRY_HUB_LEASE_TIMEOUT_MS", "1500"}};
    auto by_env = HubProcess::Start(HubArgs({}, env));
    REQUIRE(by_env.has_value());
    CHECK(HelloOf(*by_env).lease_ttl_ms == 1500);
    auto by_flag = HubProcess::Start(HubArgs({"--lease-timeout-ms", "900"}, env));
    REQUIRE(by_flag.has_value());
    CHECK(HelloOf(*by_flag).lease_ttl_ms == 900);
  }
  SUBCASE("defaults") {
    auto hub = HubProcess::Start();
    REQUIRE(hub.has_value());
    const HelloResponse hello = HelloOf(*hub);
    CHECK(hello.capacity == 1'000'000);
    CHECK(hello.lease_ttl_ms == 30'000);
    CHECK(hello.max_batch_keys == 65536);
    CHECK(hello.key_format == static_cast<uint8_t>(KeyFormat::kBytes));
    CHECK_FALSE(hello.hub_version.empty());
  }
}

TEST_CASE("--help explains every option with its variable and default") {
  auto run = RunBlockhubd({"--help"});
  REQUIRE(run.has_value());
  CHECK(run->exit.code == 0);
  const std::string& help = run->stdout_text;
  for (const char* text : {"--query-addr",
                           "DYN_REGISTRY_HUB_QUERY_ADDR",
                           "tcp://*:5555",
                           "--register-addr",
                           "DYN_REGISTRY_HUB_REGISTER_ADDR",
                           "tcp://*:5556",
                           "--capacity",
                           "DYN_REGISTRY_HUB_CAPACITY",
                           "1000000",
                           "--max-leases",
                           "DYN_REGISTRY_HUB_MAX_LEASES",
                           "--lease-timeout-ms",
                           "DYN_REGISTRY_HUB_LEASE_TIMEOUT_MS",
                           "DYN_REGISTRY_HUB_LEASE_TIMEOUT_SECS",
                           "30000",
                           "--key-format",
                           "DYN_REGISTRY_HUB_KEY_FORMAT",
                           "positional",
                           "--eviction",
                           "DYN_REGISTRY_HUB_EVICTION",
                           "--max-batch-keys",
                           "DYN_REGISTRY_HUB_MAX_BATCH_KEYS",
                           "65536",
                           "--max-key-bytes",
                           "DYN_REGISTRY_HUB_MAX_KEY_BYTES",
                           "--max-value-bytes",
                           "DYN_REGISTRY_HUB_MAX_VALUE_BYTES",
                           "--max-metadata-bytes",
                           "DYN_REGISTRY_HUB_MAX_METADATA_BYTES",
                           "--hwm",
                           "DYN_REGISTRY_HUB_HWM",
                           "10000",
                           "--log-level",
                           "DYN_REGISTRY_LOG_LEVEL",
                           "--metrics-addr",
                           "DYN_REGISTRY_HUB_METRICS_ADDR",
                           "0.0.0.0:9108",
                           "--data-dir",
                           "DYN_REGISTRY_PERSISTENCE_PATH",
                           "DYN_REGISTRY_PERSISTENCE_ENABLED",
                           "./blockhub-data",
                           "--snapshot-interval",
                           "DYN_REGISTRY_PERSISTENCE_SNAPSHOT_INTERVAL",
                           "--snapshot-retention",
                           "DYN_REGISTRY_PERSISTENCE_SNAPSHOT_RETENTION",
                           "--commit-interval-ms",
                           "DYN_REGISTRY_PERSISTENCE_COMMIT_INTERVAL_MS",
                           "metrics=http://",
                           "ready query="}) {
    CHECK_MESSAGE(help.find(text) != std::string::npos, "missing from --help: " << text);
  }
}

}  // namespace
}  // namespace blockhub::testing
