// Durability of the real blockhubd (issue 6): SIGKILL at random moments while clients register
// with RegisterSync, restarts on the same data dir, clean restarts, Remove, the data-dir lock, and
// the persistence settings (flag and Dynamo variables).
#include <doctest/doctest.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <map>
#include <random>
#include <set>

#include "tests/integration/integration_util.h"
#include "tests/support/hub_process.h"
#include "tests/support/raw_sockets.h"

namespace blockhub::testing {
namespace {

using std::chrono::milliseconds;

std::vector<std::string_view> Views(const std::vector<std::string>& keys) {
  return {keys.begin(), keys.end()};
}

// A fresh directory under the system temp dir, removed at scope exit.
class TempDir {
 public:
  explicit TempDir(std::string_view tag) {
    static int counter = 0;
    path_ = std::filesystem::temp_directory_path() /
            fmt::format("blockhub-{}-{}-{}", tag, getpid(), ++counter);
    std::filesystem::remove_all(path_);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  std::string str() const { return path_.string(); }
  std::filesystem::path path() const { return path_; }

 private:
  std::filesystem::path path_;
};

std::string ValueFor(uint64_t key) { return fmt::format("value-{}", key); }

Result<HubProcess> StartDurable(const TempDir& dir, std::vector<std::string> extra = {}) {
  std::vector<std::string> args = {"--key-format", "u64", "--data-dir", dir.str()};
  args.insert(args.end(), extra.begin(), extra.end());
  return HubProcess::Start(HubArgs(args));
}

void StopCleanly(HubProcess& hub) {
  auto stopped = hub.Stop();
  REQUIRE(stopped.has_value());
  CHECK(stopped->code == 0);
}

uint64_t EpochOf(const HubProcess& hub) {
  auto dealer = RawDealer::Connect(hub.query_endpoint());
  REQUIRE(dealer.has_value());
  RawReply holder;
  auto hello = Ask(*dealer, 1, EncodeV2(9, Hello{}), &holder);
  REQUIRE_MESSAGE(hello.has_value(), hello.status().ToString());
  return hello->epoch;
}

// The keys of `wanted` the hub has, with their values (Match in batches).
std::map<uint64_t, std::string> Present(const HubProcess& hub,
                                        const std::vector<uint64_t>& wanted) {
  auto dealer = RawDealer::Connect(hub.query_endpoint());
  REQUIRE(dealer.has_value());
  std::map<uint64_t, std::string> found;
  std::map<std::string, uint64_t> number_of;
  for (uint64_t k : wanted) number_of[U64Key(k)] = k;
  RawReply holder;
  uint32_t id = 100;
  for (size_t at = 0; at < wanted.size(); at += 1000) {
    std::vector<std::string> keys;
    for (size_t i = at; i < std::min(wanted.size(), at + 1000); ++i) {
      keys.push_back(U64Key(wanted[i]));
    }
    auto reply = Ask(*dealer, ++id, EncodeV2(9, Match{MatchMode::kAll, Views(keys)}), &holder);
    REQUIRE_MESSAGE(reply.has_value(), reply.status().ToString());
    for (const auto& [key, value] : EntryPairs(*reply)) found[number_of.at(key)] = value;
  }
  return found;
}

// Pipelined RegisterSync traffic from 4 client ids (8 requests in flight, 100 keys each) until
// `acks_before_kill` were acknowledged; then SIGKILL while the rest are still in flight.
// Returns the keys of acknowledged requests.
std::vector<uint64_t> RegisterUntilKilled(HubProcess& hub, uint64_t& next_key,
                                          uint32_t acks_before_kill) {
  constexpr uint32_t kInFlight = 8;
  constexpr uint64_t kBatch = 100;
  auto dealer = RawDealer::Connect(hub.query_endpoint());
  REQUIRE(dealer.has_value());
  std::map<uint32_t, std::vector<uint64_t>> pending;  // request id -> keys
  uint32_t next_id = 1;
  auto send_one = [&] {
    std::vector<Entry> entries;
    std::vector<std::string> keys;
    std::vector<std::string> values;
    std::vector<uint64_t> numbers;
    for (uint64_t i = 0; i < kBatch; ++i, ++next_key) {
      numbers.push_back(next_key);
      keys.push_back(U64Key(next_key));
      values.push_back(ValueFor(next_key));
    }
    for (uint64_t i = 0; i < kBatch; ++i) entries.push_back({keys[i], values[i], ""});
    const uint32_t id = next_id++;
    REQUIRE(dealer->Send(id, EncodeV2(1 + id % 4, RegisterSync{entries})).ok());
    pending[id] = std::move(numbers);
  };
  for (uint32_t i = 0; i < kInFlight; ++i) send_one();
  std::vector<uint64_t> acknowledged;
  for (uint32_t acks = 0; acks < acks_before_kill;) {
    auto reply = dealer->Receive(milliseconds(10'000));
    REQUIRE_MESSAGE(reply.has_value(), reply.status().ToString());
    auto decoded = DecodeReply(*reply);
    REQUIRE(decoded.has_value());
    REQUIRE(std::holds_alternative<RegisterSyncResponse>(decoded->body));
    auto it = pending.find(reply->request_id);
    REQUIRE(it != pending.end());
    acknowledged.insert(acknowledged.end(), it->second.begin(), it->second.end());
    pending.erase(it);
    ++acks;
    send_one();
  }
  hub.Kill();  // the requests still pending are in flight: acknowledged or not, never half-stored
  return acknowledged;
}

TEST_CASE("durability: SIGKILL at random moments never loses an acknowledged RegisterSync") {
  const uint32_t seed = 0xB10C'0001u;
  CAPTURE(seed);
  std::mt19937 rng(seed);
  std::uniform_int_distribution<uint32_t> acks(5, 120);
  TempDir dir("crash");
  std::vector<uint64_t> acknowledged;
  std::set<uint64_t> epochs;
  uint64_t next_key = 1;
  constexpr int kRounds = 5;
  for (int round = 0; round <= kRounds; ++round) {
    CAPTURE(round);
    // A small snapshot interval so the kills also land during and after snapshots.
    auto hub = StartDurable(dir, {"--snapshot-interval", "2000"});
    REQUIRE_MESSAGE(hub.has_value(), hub.status().ToString());
    CHECK(epochs.insert(EpochOf(*hub)).second);  // a new epoch every start
    const auto found = Present(*hub, acknowledged);
    CHECK(found.size() == acknowledged.size());
    for (uint64_t k : acknowledged) {
      auto it = found.find(k);
      if (it == found.end() || it->second != ValueFor(k)) {
        FAIL_CHECK("acknowledged key " << k << " lost or changed after a SIGKILL");
        break;
      }
    }
    if (round == kRounds) {
      CHECK(hub->Stop()->code == 0);  // the last start only checks and serves
      break;
    }
    const auto acked = RegisterUntilKilled(*hub, next_key, acks(rng));
    acknowledged.insert(acknowledged.end(), acked.begin(), acked.end());
  }
  MESSAGE(acknowledged.size() << " acknowledged keys survived " << kRounds << " SIGKILLs");
}

TEST_CASE("durability: a clean restart keeps registrations and removals") {
  TempDir dir("clean");
  {
    auto hub = StartDurable(dir);
    REQUIRE_MESSAGE(hub.has_value(), hub.status().ToString());
    auto dealer = RawDealer::Connect(hub->query_endpoint());
    REQUIRE(dealer.has_value());
    RawReply holder;
    std::vector<std::string> keys;
    std::vector<std::string> values;
    for (uint64_t k = 0; k < 150; ++k) {
      keys.push_back(U64Key(k));
      values.push_back(ValueFor(k));
    }
    std::vector<Entry> sync_entries;
    std::vector<Entry> push_entries;
    for (uint64_t k = 0; k < 150; ++k) {
      (k < 100 ? sync_entries : push_entries).push_back({keys[k], values[k], ""});
    }
    REQUIRE(Ask(*dealer, 1, EncodeV2(1, RegisterSync{sync_entries}), &holder).has_value());
    auto push = RawPush::Connect(hub->register_endpoint());
    REQUIRE(push.has_value());
    REQUIRE(push->Send(EncodeV2(1, Register{push_entries})).ok());
    std::vector<std::string> removed(keys.begin(), keys.begin() + 10);
    auto rm = Ask(*dealer, 2, EncodeV2(1, Remove{Views(removed)}), &holder);
    REQUIRE(rm.has_value());
    CHECK(RetryUntil([&] {
      RawReply h;
      auto m = Ask(*dealer, 3, EncodeV2(1, Match{MatchMode::kAll, {keys[149]}}), &h);
      return m.has_value() && EntryPairs(*m).size() == 1;
    }));
    StopCleanly(*hub);
  }
  auto hub = StartDurable(dir);
  REQUIRE_MESSAGE(hub.has_value(), hub.status().ToString());
  std::vector<uint64_t> all;
  for (uint64_t k = 0; k < 150; ++k) all.push_back(k);
  const auto found = Present(*hub, all);
  CHECK(found.size() == 140);
  for (uint64_t k = 0; k < 10; ++k) CHECK(found.count(k) == 0);  // the Remove survived
  for (uint64_t k = 10; k < 150; ++k) CHECK(found.count(k) == 1);
}

TEST_CASE("durability: at --max-unsynced the hub stops reading until the log catches up") {
  TempDir dir("backpressure");
  constexpr uint64_t kFrames = 200, kPerFrame = 10, kSync = 100;
  {
    // A bound of one: every request waits for the previous one's fsync.
    auto hub = StartDurable(dir, {"--max-unsynced", "1", "--commit-interval-ms", "1"});
    REQUIRE_MESSAGE(hub.has_value(), hub.status().ToString());
    auto dealer = RawDealer::Connect(hub->query_endpoint());
    REQUIRE(dealer.has_value());
    auto push = RawPush::Connect(hub->register_endpoint());
    REQUIRE(push.has_value());
    for (uint64_t f = 0; f < kFrames; ++f) {
      std::vector<Entry> entries;
      std::vector<std::string> keys;
      for (uint64_t i = 0; i < kPerFrame; ++i) keys.push_back(U64Key(f * kPerFrame + i));
      for (const auto& k : keys) entries.push_back({k, "v", ""});
      REQUIRE(push->Send(EncodeV2(1, Register{entries})).ok());
    }
    std::vector<std::string> sync_keys;
    for (uint64_t i = 0; i < kSync; ++i) sync_keys.push_back(U64Key(100'000 + i));
    std::vector<Entry> sync_entries;
    for (const auto& k : sync_keys) sync_entries.push_back({k, "v", ""});
    RawReply holder;
    auto acked = Ask(*dealer, 1, EncodeV2(1, RegisterSync{sync_entries}), &holder);
    REQUIRE_MESSAGE(acked.has_value(), acked.status().ToString());
    CHECK(RetryUntil([&] {
      return StatValue(*dealer, "server_register_entries") == kFrames * kPerFrame;
    }));
    const uint64_t waits = StatValue(*dealer, "server_backpressure_waits");
    CHECK(waits != UINT64_MAX);
    CHECK(waits >= 1);
    StopCleanly(*hub);
  }
  auto hub = StartDurable(dir);
  REQUIRE_MESSAGE(hub.has_value(), hub.status().ToString());
  std::vector<uint64_t> all;
  for (uint64_t k = 0; k < kFrames * kPerFrame; ++k) all.push_back(k);
  for (uint64_t i = 0; i < kSync; ++i) all.push_back(100'000 + i);
  CHECK(Present(*hub, all).size() == all.size());
}

TEST_CASE("durability: a second hub on the same data dir refuses to start") {
  TempDir dir("locked");
  auto first = StartDurable(dir);
  REQUIRE_MESSAGE(first.has_value(), first.status().ToString());
  auto second =
      RunBlockhubd({"--query-addr", "tcp://127.0.0.1:*", "--register-addr", "tcp://127.0.0.1:*",
                    "--metrics-addr", "off", "--data-dir", dir.str()});
  REQUIRE(second.has_value());
  CHECK(second->exit.code == 1);
  CHECK_MESSAGE(second->stderr_text.find("in use by another hub (pid " +
                                         std::to_string(first->pid())) != std::string::npos,
                second->stderr_text);
  CHECK(second->stdout_text.find("ready") == std::string::npos);
  CHECK(EpochOf(*first) != 0);  // the first one still serves
}

TEST_CASE("durability: a data dir that cannot be created is a clear start-up error") {
  TempDir dir("notadir");
  std::filesystem::create_directories(dir.path());
  const std::string file = (dir.path() / "file").string();
  {
    std::FILE* f = std::fopen(file.c_str(), "w");
    REQUIRE(f != nullptr);
    std::fclose(f);
  }
  auto run =
      RunBlockhubd({"--query-addr", "tcp://127.0.0.1:*", "--register-addr", "tcp://127.0.0.1:*",
                    "--metrics-addr", "off", "--data-dir", file + "/sub"});
  REQUIRE(run.has_value());
  CHECK(run->exit.code == 1);
  CHECK_MESSAGE(run->stderr_text.find(file + "/sub") != std::string::npos, run->stderr_text);
  CHECK(run->stdout_text.find("ready") == std::string::npos);
}

TEST_CASE("durability: Dynamo's DYN_REGISTRY_PERSISTENCE_ENABLED and _PATH variables") {
  TempDir dir("env");
  const std::vector<std::pair<std::string, std::string>> on = {
      {"DYN_REGISTRY_PERSISTENCE_ENABLED", "1"}, {"DYN_REGISTRY_PERSISTENCE_PATH", dir.str()}};
  auto store_one = [](const HubProcess& hub) {
    auto dealer = RawDealer::Connect(hub.query_endpoint());
    REQUIRE(dealer.has_value());
    RawReply holder;
    const std::string key = U64Key(42);
    const std::string value = ValueFor(42);
    REQUIRE(Ask(*dealer, 1, EncodeV2(1, RegisterSync{{{key, value, ""}}}), &holder).has_value());
  };
  {
    auto hub = HubProcess::Start(HubArgs({"--key-format", "u64"}, on));
    REQUIRE_MESSAGE(hub.has_value(), hub.status().ToString());
    store_one(*hub);
    CHECK(hub->Stop()->code == 0);
  }
  {
    auto hub = HubProcess::Start(HubArgs({"--key-format", "u64"}, on));
    REQUIRE(hub.has_value());
    CHECK(Present(*hub, {42}).size() == 1);
    CHECK(hub->Stop()->code == 0);
  }
  // ENABLED=false wins over the PATH variable: nothing is loaded.
  auto off = HubProcess::Start(
      HubArgs({"--key-format", "u64"}, {{"DYN_REGISTRY_PERSISTENCE_ENABLED", "false"},
                                        {"DYN_REGISTRY_PERSISTENCE_PATH", dir.str()}}));
  REQUIRE(off.has_value());
  CHECK(Present(*off, {42}).empty());
  // ... but the --data-dir flag wins over ENABLED=false.
  auto flag = HubProcess::Start(HubArgs({"--key-format", "u64", "--data-dir", dir.str()},
                                        {{"DYN_REGISTRY_PERSISTENCE_ENABLED", "false"}}));
  REQUIRE(flag.has_value());
  CHECK(Present(*flag, {42}).size() == 1);
}

}  // namespace
}  // namespace blockhub::testing
