// `blockhub watch` run as a process against the real blockhubd (--events-addr tcp://127.0.0.1:*):
// exact lines and sequence numbers for stored / removed / evicted, --count and --timeout-ms,
// --type and --prefix filtering locally (sequence numbers skip, no gap lines), --json objects, a
// real gap (the hub drops batches for a stopped subscriber), a CurveZMQ hub, endpoint errors and
// the variable.
//
// A PUB/SUB subscription is live only some time after the connection; watch writes `watching EP`
// on stderr when it is (at the hub's sync batch for the new subscriber). Every test waits for that
// line (bounded) and then expects every event of its traffic, with sequence numbers from 1 (a
// fresh hub): so the tests also check that `watching` means live.
#include <doctest/doctest.h>
#include <signal.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "client/client.h"
#include "codec/key_format.h"
#include "codec/printers.h"
#include "common/bytes.h"
#include "tests/client/run_process.h"
#include "tests/support/hub_process.h"

namespace blockhub {
namespace {

namespace json = boost::json;
using std::chrono::milliseconds;
using testing::ChildProcess;
using testing::HubProcess;
using testing::ProcessResult;

constexpr milliseconds kWait{10'000};  // bound of every wait on a condition

std::string U64Key(uint64_t v) {
  std::string k(8, '\0');
  StoreU64(k.data(), v);
  return k;
}

HubProcess StartHub(std::vector<std::string> extra = {}) {
  std::vector<std::string> args = {"--key-format", "u64", "--events-addr", "tcp://127.0.0.1:*"};
  args.insert(args.end(), extra.begin(), extra.end());
  auto hub = HubProcess::Start(testing::HubArgs(args));
  REQUIRE_MESSAGE(hub.has_value(), hub.error().ToString());
  REQUIRE(hub->events_endpoint().starts_with("tcp://127.0.0.1:"));
  return std::move(*hub);
}

std::unique_ptr<Client> Connect(const HubProcess& hub) {
  ClientOptions o;
  o.query_addr = hub.query_endpoint();
  o.register_addr = hub.register_endpoint();
  auto c = Client::Connect(std::move(o));
  REQUIRE_MESSAGE(c.has_value(), c.error().ToString());
  return std::move(*c);
}

ChildProcess StartWatch(const std::vector<std::string>& args,
                        const std::vector<std::pair<std::string, std::string>>& env = {}) {
  auto w = ChildProcess::Start(BLOCKHUB_CLI_PATH, args, env);
  REQUIRE_MESSAGE(w.has_value(), w.error().ToString());
  return std::move(*w);
}

ProcessResult Cli(const std::vector<std::string>& args,
                  const std::vector<std::pair<std::string, std::string>>& env = {}) {
  auto r = testing::RunProcess(BLOCKHUB_CLI_PATH, args, env);
  REQUIRE_MESSAGE(r.has_value(), r.error().ToString());
  return *r;
}

// The complete lines of `text` (a trailing partial line is left out).
std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  size_t start = 0;
  for (size_t nl = text.find('\n'); nl != std::string::npos; nl = text.find('\n', start)) {
    lines.push_back(text.substr(start, nl - start));
    start = nl + 1;
  }
  return lines;
}

std::vector<std::string> Words(const std::string& line) {
  std::vector<std::string> words;
  size_t start = 0;
  while (start < line.size()) {
    size_t sp = line.find(' ', start);
    if (sp == std::string::npos) sp = line.size();
    if (sp > start) words.push_back(line.substr(start, sp - start));
    start = sp + 1;
  }
  return words;
}

// The number after ` name=` in a text line.
std::optional<uint64_t> Field(const std::string& line, const std::string& name) {
  for (const std::string& w : Words(line)) {
    if (w.starts_with(name + "=")) return std::stoull(w.substr(name.size() + 1));
  }
  return std::nullopt;
}

// A text event line's key: the fourth word (`stored seq=N epoch=E KEY ...`).
std::string KeyOf(const std::string& line) {
  auto w = Words(line);
  return w.size() >= 4 ? w[3] : "";
}

bool WaitWatching(ChildProcess& w, const std::string& endpoint) {
  const std::string want = "watching " + endpoint + "\n";
  return w.ReadUntil([&] { return w.err().find(want) != std::string::npos; }, kWait);
}

bool TextLineWithKey(const std::string& out, const std::string& key) {
  for (const std::string& l : Lines(out)) {
    if (KeyOf(l) == key) return true;
  }
  return false;
}

std::string Epoch(Client& c) {
  REQUIRE(c.Stats().has_value());  // any v2 reply carries the epoch
  const uint64_t e = c.counters().epoch;
  REQUIRE(e != 0);
  char buf[17];
  std::snprintf(buf, sizeof(buf), "%016llx", static_cast<unsigned long long>(e));
  return buf;
}

uint64_t StatValue(Client& c, const std::string& name) {
  auto s = c.Stats();
  REQUIRE(s.has_value());
  for (const auto& [n, v] : *s) {
    if (n == name) return v;
  }
  FAIL("no counter " << name);
  return 0;
}

TEST_CASE("cli watch: exact lines and sequence numbers for stored, removed and evicted") {
  HubProcess hub = StartHub({"--capacity", "3", "--eviction", "lru"});
  auto client = Connect(hub);
  const std::string ep = hub.events_endpoint();
  ChildProcess w =
      StartWatch({"watch", "--events-addr", ep, "--key-format", "u64", "--timeout-ms", "60000"});
  REQUIRE_MESSAGE(WaitWatching(w, ep), "stderr: " << w.err());

  const std::string meta("\x00\x11\x22\x33", 4);
  REQUIRE(client
              ->RegisterSync(std::vector<BlockEntry>{{U64Key(1), U64Key(100), ""},
                                                     {U64Key(2), "\x0a\x0b", meta}})
              .has_value());
  REQUIRE(client->Remove(std::vector<std::string>{U64Key(1)}).value() == 1);
  // Capacity 3 holds 2; 3 and 4 fit, 5 evicts the least recently used entry, 2.
  REQUIRE(
      client
          ->RegisterSync(std::vector<BlockEntry>{
              {U64Key(3), U64Key(3), ""}, {U64Key(4), U64Key(4), ""}, {U64Key(5), U64Key(5), ""}})
          .has_value());
  REQUIRE_MESSAGE(w.ReadUntil([&] { return TextLineWithKey(w.out(), "5"); }, kWait),
                  "stdout: " << w.out());
  REQUIRE(w.Signal(SIGTERM).ok());
  auto done = w.Wait(kWait);
  REQUIRE(done.has_value());
  CHECK(done->exit_code == 0);  // SIGTERM: a clean exit

  // Every event since `watching`, numbered from 1 (the hub's first), nothing else.
  const std::string e = "epoch=" + Epoch(*client);
  auto seq = [&](uint64_t i) { return "seq=" + std::to_string(i); };
  const std::vector<std::string> want = {
      "stored " + seq(1) + " " + e + " 1 -> u64 100  metadata none",
      "stored " + seq(2) + " " + e + " 2 -> hex:0a0b  metadata hex:00112233",
      "removed " + seq(3) + " " + e + " 1",
      "stored " + seq(4) + " " + e + " 3 -> u64 3  metadata none",
      "stored " + seq(5) + " " + e + " 4 -> u64 4  metadata none",
      "evicted " + seq(6) + " " + e + " 2",
      "stored " + seq(7) + " " + e + " 5 -> u64 5  metadata none",
  };
  CHECK(Lines(done->out) == want);
  CHECK(done->err == "watching " + ep + "\n");  // and nothing else on stderr
}

TEST_CASE(
    "cli watch: --count exits 0 after exactly N events, too few by --timeout-ms is an error") {
  HubProcess hub = StartHub();
  auto client = Connect(hub);
  const std::string ep = hub.events_endpoint();
  ChildProcess w = StartWatch({"watch", "--events-addr", ep, "--key-format", "u64", "--count", "3",
                               "--timeout-ms", "60000"});
  REQUIRE_MESSAGE(WaitWatching(w, ep), "stderr: " << w.err());
  std::vector<BlockEntry> many;
  for (uint64_t k = 1; k <= 5; ++k) many.push_back({U64Key(k), U64Key(k), ""});
  REQUIRE(client->RegisterSync(many).has_value());
  auto done = w.Wait(kWait);
  REQUIRE(done.has_value());
  INFO("stdout: " << done->out << " stderr: " << done->err);
  CHECK(done->exit_code == 0);
  const auto lines = Lines(done->out);
  REQUIRE(lines.size() == 3);  // of the 5 stored events
  for (uint64_t i = 0; i < 3; ++i) {
    CHECK(Field(lines[i], "seq") == i + 1);
    CHECK(KeyOf(lines[i]) == std::to_string(i + 1));
  }

  // Nothing happens: --count not reached by --timeout-ms is an error; without --count it is not.
  auto few = Cli({"watch", "--events-addr", ep, "--count", "2", "--timeout-ms", "300"});
  CHECK(few.exit_code == 1);
  CHECK(few.out.empty());
  CHECK(few.err.find("0 of 2 events") != std::string::npos);
  auto quiet = Cli({"--timeout-ms", "300", "watch", "--events-addr", ep});  // common-option place
  CHECK(quiet.exit_code == 0);
  CHECK(quiet.out.empty());
}

TEST_CASE("cli watch: --type and --prefix filter locally: sequence numbers skip, no gap lines") {
  HubProcess hub = StartHub({"--capacity", "3", "--eviction", "lru"});
  auto client = Connect(hub);
  const std::string ep = hub.events_endpoint();
  // u64 keys are 8 bytes little-endian: prefix 01 selects 1, 257 (0x101) and 513 (0x201).
  ChildProcess w = StartWatch({"watch", "--events-addr", ep, "--key-format", "u64", "--type",
                               "removed,evicted", "--prefix", "01", "--timeout-ms", "60000"});
  REQUIRE_MESSAGE(WaitWatching(w, ep), "stderr: " << w.err());

  auto reg = [&](std::vector<uint64_t> keys) {
    std::vector<BlockEntry> entries;
    for (uint64_t k : keys) entries.push_back({U64Key(k), U64Key(k), ""});
    REQUIRE(client->RegisterSync(entries).has_value());
  };
  reg({1, 2, 257, 3});  // capacity 3: 1 is evicted by 3 (LRU) — printed, prefix 01
  REQUIRE(client->Remove(std::vector<std::string>{U64Key(2), U64Key(257)}).value() == 2);
  reg({513, 4});  // {3, 513, 4}
  reg({5});       // evicts 3 (prefix 03: not printed)
  reg({6});       // evicts 513
  REQUIRE_MESSAGE(w.ReadUntil([&] { return TextLineWithKey(w.out(), "513"); }, kWait),
                  "stdout: " << w.out());
  REQUIRE(w.Signal(SIGINT).ok());
  auto done = w.Wait(kWait);
  REQUIRE(done.has_value());
  CHECK(done->exit_code == 0);  // SIGINT: a clean exit

  const std::string e = "epoch=" + Epoch(*client);
  auto seq = [&](uint64_t i) { return "seq=" + std::to_string(i); };
  // 1 stored 1, 2 stored 2, 3 stored 257, 4 evicted 1, 5 stored 3, 6 removed 2, 7 removed 257,
  // 8 stored 513, 9 stored 4, 10 evicted 3, 11 stored 5, 12 evicted 513, 13 stored 6.
  const std::vector<std::string> want = {
      "evicted " + seq(4) + " " + e + " 1",
      "removed " + seq(7) + " " + e + " 257",
      "evicted " + seq(12) + " " + e + " 513",
  };
  CHECK(Lines(done->out) == want);  // the skipped numbers are filtered, not lost: no gap lines
}

TEST_CASE("cli watch: --json prints one escaped object per line") {
  HubProcess hub = StartHub();
  auto client = Connect(hub);
  const std::string ep = hub.events_endpoint();
  ChildProcess w = StartWatch(
      {"--json", "watch", "--events-addr", ep, "--key-format", "u64", "--timeout-ms", "60000"});
  REQUIRE_MESSAGE(WaitWatching(w, ep), "stderr: " << w.err());

  // A value whose rendering holds quotes and a backslash, and Dynamo position metadata.
  const std::string value = EncodeStorageLocation({1, "/data/\"odd\" \\name", 4096});
  const std::string meta = EncodePositionMetadata({3, 0x1234, 16, 1700000000});
  REQUIRE(client->RegisterSync(std::vector<BlockEntry>{{U64Key(42), value, meta}}).has_value());
  REQUIRE(client->Remove(std::vector<std::string>{U64Key(42)}).value() == 1);
  auto removed_42 = [&] {
    const auto lines = Lines(w.out());
    return !lines.empty() && lines.back().find("\"type\":\"removed\"") != std::string::npos &&
           lines.back().find("\"key\":\"42\"") != std::string::npos;
  };
  REQUIRE_MESSAGE(w.ReadUntil(removed_42, kWait), "stdout: " << w.out());
  REQUIRE(w.Signal(SIGTERM).ok());
  auto done = w.Wait(kWait);
  REQUIRE(done.has_value());
  CHECK(done->exit_code == 0);

  std::vector<json::object> objects;
  for (const std::string& l : Lines(done->out)) {
    CAPTURE(l);
    std::error_code ec;
    json::value v = json::parse(l, ec);
    REQUIRE_FALSE(ec);
    REQUIRE(v.is_object());
    objects.push_back(v.as_object());
  }
  REQUIRE(objects.size() == 2);
  const json::object& stored = objects[0];
  const json::object& removed = objects[1];
  const std::string epoch = Epoch(*client);
  const int64_t seq = stored.at("seq").as_int64();
  CHECK(seq == 1);
  CHECK(stored.at("type").as_string() == "stored");
  CHECK(stored.at("epoch").as_string() == epoch);
  CHECK(stored.at("key").as_string() == "42");
  CHECK(stored.at("key_hex").as_string() == ToHex(U64Key(42)));
  CHECK(stored.at("value").as_string() == RenderValue(value));
  CHECK(std::string(stored.at("value").as_string()).find('"') != std::string::npos);  // escaped
  CHECK(stored.at("value_hex").as_string() == ToHex(value));
  CHECK(stored.at("metadata").as_string() == RenderMetadata(meta));
  CHECK(stored.at("metadata_hex").as_string() == ToHex(meta));
  CHECK(stored.size() == 9);
  CHECK(removed.at("type").as_string() == "removed");
  CHECK(removed.at("seq").as_int64() == seq + 1);
  CHECK(removed.at("epoch").as_string() == epoch);
  CHECK(removed.at("key").as_string() == "42");
  CHECK(removed.at("key_hex").as_string() == ToHex(U64Key(42)));
  CHECK(removed.size() == 5);  // no value or metadata for removed
}

TEST_CASE(
    "cli watch: a stopped subscriber's dropped batches become gap lines with the lost count") {
  // --events-hwm 1: once watch (stopped) holds its TCP buffers full, the hub drops batches.
  HubProcess hub = StartHub({"--events-hwm", "1", "--capacity", "1000", "--eviction", "lru"});
  auto client = Connect(hub);
  const std::string ep = hub.events_endpoint();
  // Only keys whose first byte is 01 are printed (the markers); the flood's have 02.
  ChildProcess w = StartWatch({"watch", "--events-addr", ep, "--key-format", "u64", "--prefix",
                               "01", "--timeout-ms", "120000"});
  REQUIRE_MESSAGE(WaitWatching(w, ep), "stderr: " << w.err());

  REQUIRE(w.Signal(SIGSTOP).ok());
  const std::string big(4000, 'v');
  uint64_t next_key = 0;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (StatValue(*client, "server_events_dropped") == 0 &&
         std::chrono::steady_clock::now() < deadline) {
    std::vector<BlockEntry> flood;
    for (int i = 0; i < 256; ++i) flood.push_back({U64Key((++next_key << 8) | 0x02), big, ""});
    REQUIRE(client->RegisterSync(flood).has_value());
  }
  REQUIRE(w.Signal(SIGCONT).ok());
  REQUIRE(StatValue(*client, "server_events_dropped") > 0);

  // Markers until one arrives (the first ones may be dropped too while watch catches up).
  uint64_t marker = 0;
  bool arrived = false;
  const auto until = std::chrono::steady_clock::now() + kWait;
  while (!arrived && std::chrono::steady_clock::now() < until) {
    ++marker;
    const std::string key = U64Key((marker << 8) | 0x01);
    REQUIRE(client->RegisterSync(std::vector<BlockEntry>{{key, "m", ""}}).has_value());
    const std::string text = std::to_string((marker << 8) | 0x01);
    arrived = w.ReadUntil([&] { return TextLineWithKey(w.out(), text); }, milliseconds(200));
  }
  REQUIRE_MESSAGE(arrived, "stdout: " << w.out());
  const uint64_t dropped = StatValue(*client, "server_events_dropped");
  REQUIRE(w.Signal(SIGTERM).ok());
  auto done = w.Wait(kWait);
  REQUIRE(done.has_value());
  CHECK(done->exit_code == 0);

  // Every gap line is exactly what the hub dropped (watch is its only subscriber), and the
  // printed sequence numbers never fall inside a gap.
  uint64_t lost = 0, gaps = 0, last_seq = 0;
  for (const std::string& l : Lines(done->out)) {
    CAPTURE(l);
    if (l.starts_with("gap ")) {
      ++gaps;
      const uint64_t expected = Field(l, "expected").value();
      const uint64_t got = Field(l, "got").value();
      CHECK(Field(l, "lost") == got - expected);
      CHECK(expected > last_seq);
      lost += got - expected;
      last_seq = got - 1;
    } else {
      const uint64_t s = Field(l, "seq").value();
      CHECK(s > last_seq);
      last_seq = s;
    }
  }
  CHECK(gaps >= 1);
  CHECK(lost == dropped);
}

std::string ReadLine(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  return line;
}

TEST_CASE("cli watch: a CurveZMQ hub's events with the common --curve-* options") {
  std::string dir = (std::filesystem::temp_directory_path() / "blockhub-watch-XXXXXX").string();
  REQUIRE(mkdtemp(dir.data()) != nullptr);
  struct RemoveDir {
    std::string path;
    ~RemoveDir() {
      std::error_code ec;
      std::filesystem::remove_all(path, ec);
    }
  } cleanup{dir};
  for (const char* name : {"hub", "ops", "stranger"}) {
    REQUIRE(Cli({"keygen", "--out", dir + "/" + name}).exit_code == 0);
  }
  std::ofstream(dir + "/authorized_keys") << "admin " << ReadLine(dir + "/ops.pub") << " ops\n";
  HubProcess hub = StartHub(
      {"--curve-secret-key-file", dir + "/hub.key", "--authorized-keys", dir + "/authorized_keys"});
  const std::string ep = hub.events_endpoint();
  const std::string hub_pub = ReadLine(dir + "/hub.pub");
  ClientOptions o;
  o.query_addr = hub.query_endpoint();
  o.register_addr = hub.register_endpoint();
  o.curve_server_key = hub_pub;
  o.curve_secret_key = ReadLine(dir + "/ops.key");
  auto client = Client::Connect(std::move(o));
  REQUIRE_MESSAGE(client.has_value(), client.error().ToString());

  ChildProcess w = StartWatch({"watch", "--events-addr", ep, "--key-format", "u64",
                               "--curve-server-key", hub_pub, "--curve-secret-key-file",
                               dir + "/ops.key", "--count", "1", "--timeout-ms", "60000"});
  REQUIRE_MESSAGE(WaitWatching(w, ep), "stderr: " << w.err());
  REQUIRE((*client)->RegisterSync(std::vector<BlockEntry>{{U64Key(7), U64Key(7), ""}}).has_value());
  auto done = w.Wait(kWait);
  REQUIRE(done.has_value());
  CHECK(done->exit_code == 0);
  CHECK(done->out == "stored seq=1 epoch=" + Epoch(**client) + " 7 -> u64 7  metadata none\n");

  // A key the hub does not know, and no keys at all: nothing arrives.
  auto stranger =
      Cli({"watch", "--events-addr", ep, "--curve-server-key", hub_pub, "--curve-secret-key-file",
           dir + "/stranger.key", "--count", "1", "--timeout-ms", "1000"});
  CHECK(stranger.exit_code == 1);
  CHECK(stranger.out.empty());
  CHECK(stranger.err.find("watching") == std::string::npos);
  CHECK(stranger.err.find("handshake") != std::string::npos);
  auto plain = Cli({"watch", "--events-addr", ep, "--count", "1", "--timeout-ms", "1000"});
  CHECK(plain.exit_code == 1);
  CHECK(plain.out.empty());
  CHECK(plain.err.find("watching") == std::string::npos);
  // Both keys or neither.
  CHECK(Cli({"watch", "--events-addr", ep, "--curve-server-key", hub_pub}).exit_code == 2);
}

TEST_CASE(
    "cli watch: endpoint from the flag or DYN_REGISTRY_CLIENT_EVENTS_ADDR, and usage errors") {
  auto none = Cli({"watch", "--timeout-ms", "100"});
  CHECK(none.exit_code == 2);
  CHECK(none.out.empty());
  CHECK(none.err.find("--events-addr") != std::string::npos);
  CHECK(none.err.find("DYN_REGISTRY_CLIENT_EVENTS_ADDR") != std::string::npos);
  auto none_json = Cli({"watch", "--json"});
  CHECK(none_json.exit_code == 2);
  CHECK(none_json.out.find("\"error\"") != std::string::npos);

  auto bad_type = Cli({"watch", "--events-addr", "tcp://127.0.0.1:1", "--type", "stored,deleted"});
  CHECK(bad_type.exit_code == 2);
  CHECK(bad_type.err.find("'deleted'") != std::string::npos);
  auto bad_prefix = Cli({"watch", "--events-addr", "tcp://127.0.0.1:1", "--prefix", "0g"});
  CHECK(bad_prefix.exit_code == 2);
  CHECK(bad_prefix.err.find("--prefix") != std::string::npos);
  auto bad_ep = Cli({"watch", "--events-addr", "tcp://127.0.0.1:*"});
  CHECK(bad_ep.exit_code == 2);
  CHECK(bad_ep.err.find("--events-addr") != std::string::npos);
  CHECK(Cli({"watch", "--events-addr", "tcp://127.0.0.1:1", "--count", "0"}).exit_code == 2);
  auto help = Cli({"watch", "--help"});
  CHECK(help.exit_code == 0);
  for (const char* word : {"--events-addr", "DYN_REGISTRY_CLIENT_EVENTS_ADDR", "--type", "--prefix",
                           "--count", "--timeout-ms", "gap", "epoch", "--json", "watching"}) {
    CAPTURE(word);
    CHECK(help.out.find(word) != std::string::npos);
  }

  // The variable names the endpoint; the flag wins over it.
  HubProcess hub = StartHub();
  const std::string ep = hub.events_endpoint();
  ChildProcess from_env = StartWatch({"watch"}, {{"DYN_REGISTRY_CLIENT_EVENTS_ADDR", ep}});
  CHECK_MESSAGE(WaitWatching(from_env, ep), "stderr: " << from_env.err());
  REQUIRE(from_env.Signal(SIGTERM).ok());
  auto env_done = from_env.Wait(kWait);
  REQUIRE(env_done.has_value());
  CHECK(env_done->exit_code == 0);
  ChildProcess flag_wins = StartWatch({"watch", "--events-addr", ep},
                                      {{"DYN_REGISTRY_CLIENT_EVENTS_ADDR", "not an endpoint"}});
  CHECK_MESSAGE(WaitWatching(flag_wins, ep), "stderr: " << flag_wins.err());
  REQUIRE(flag_wins.Signal(SIGTERM).ok());
  auto flag_done = flag_wins.Wait(kWait);
  REQUIRE(flag_done.has_value());
  CHECK(flag_done->exit_code == 0);
  auto env_bad = Cli({"watch"}, {{"DYN_REGISTRY_CLIENT_EVENTS_ADDR", "not an endpoint"}});
  CHECK(env_bad.exit_code == 2);
}

}  // namespace
}  // namespace blockhub
