// blockhub-dedup end to end: the real blockhubd (--key-format key128) and blockhub-dedup processes.
// Round trips of empty, tiny, one-chunk and multi-chunk files, a symlink and modes; four put
// processes started together on one corpus with large repeated regions into one store: every
// chunk file created exactly once (the store's creation logs), all four manifests restore
// byte-identical, and no lease left live at the hub. Bounded: every process has a deadline.
#include <doctest/doctest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <future>
#include <thread>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "client/client.h"
#include "tests/client/run_process.h"
#include "tests/support/hub_process.h"

namespace blockhub {
namespace {

namespace fs = std::filesystem;
using testing::HubArgs;
using testing::HubProcess;
using testing::ProcessResult;
using testing::RunProcess;

struct TempDir {
  fs::path path;
  TempDir() {
    std::string t = (fs::temp_directory_path() / "blockhub-dedup-XXXXXX").string();
    REQUIRE(mkdtemp(t.data()) != nullptr);
    path = t;
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

std::string Random(std::mt19937_64& rng, size_t n) {
  std::string s(n, '\0');
  for (size_t i = 0; i < n; i += 8) {
    uint64_t v = rng();
    for (size_t j = 0; j < 8 && i + j < n; ++j) s[i + j] = static_cast<char>(v >> (8 * j));
  }
  return s;
}

void Write(const fs::path& p, const std::string& data) {
  fs::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary) << data;
}

std::string Read(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

ProcessResult Dedup(const HubProcess& hub, std::vector<std::string> args, uint64_t client_id = 0) {
  std::vector<std::pair<std::string, std::string>> env = {
      {"DYN_REGISTRY_CLIENT_QUERY_ADDR", hub.query_endpoint()},
      {"DYN_REGISTRY_CLIENT_REGISTER_ADDR", hub.register_endpoint()}};
  if (client_id != 0) env.emplace_back("DYN_REGISTRY_CLIENT_ID", std::to_string(client_id));
  Result<ProcessResult> r = RunProcess(BLOCKHUB_DEDUP_PATH, args, env, std::chrono::seconds(120));
  REQUIRE(r.has_value());
  return *r;
}

// Every file below `root` (relative path -> bytes), symlinks as "-> target".
std::map<std::string, std::string> Tree(const fs::path& root) {
  std::map<std::string, std::string> out;
  for (const auto& e : fs::recursive_directory_iterator(root)) {
    std::string rel = fs::relative(e.path(), root).string();
    if (e.is_symlink()) {
      out[rel] = "-> " + fs::read_symlink(e.path()).string();
    } else if (e.is_regular_file()) {
      out[rel] = Read(e.path());
    }
  }
  return out;
}

uint64_t StatOf(const HubProcess& hub, const std::string& name) {
  ClientOptions o;
  o.query_addr = hub.query_endpoint();
  o.register_addr = hub.register_endpoint();
  auto c = Client::Connect(o);
  REQUIRE(c.has_value());
  Result<StatsResult> s = (*c)->Stats();
  REQUIRE(s.has_value());
  for (const auto& [k, v] : *s)
    if (k == name) return v;
  FAIL("no stat " << name);
  return 0;
}

TEST_CASE("dedup: put/get round trip of empty, tiny, one-chunk and large files, a symlink, modes") {
  auto hub = HubProcess::Start(HubArgs({"--key-format", "key128"}));
  REQUIRE(hub.has_value());
  TempDir tmp;
  std::mt19937_64 rng(7);
  fs::path src = tmp.path / "src";
  Write(src / "empty", "");
  Write(src / "tiny", "hello");
  Write(src / "one", Random(rng, 4096));  // below the minimum chunk size: one chunk
  Write(src / "sub/large", Random(rng, 3 << 20));
  fs::create_symlink("tiny", src / "link");
  REQUIRE(chmod((src / "tiny").c_str(), 0640) == 0);
  fs::path store = tmp.path / "store", manifest = tmp.path / "m";
  ProcessResult put = Dedup(*hub, {"put", "--no-progress", "--store", store.string(), "--manifest",
                                   manifest.string(), src.string()});
  INFO(put.err);
  REQUIRE(put.exit_code == 0);
  fs::path out = tmp.path / "out";
  ProcessResult get = Dedup(*hub, {"get", "--store", store.string(), manifest.string(), "--to",
                                   out.string()});
  INFO(get.err);
  REQUIRE(get.exit_code == 0);
  fs::path restored = out / fs::relative(src, "/");
  CHECK(Tree(restored) == Tree(src));
  struct stat st {};
  REQUIRE(stat((restored / "tiny").c_str(), &st) == 0);
  CHECK((st.st_mode & 07777) == 0640);

  // A corrupted chunk is a clear error naming the file.
  for (const auto& e : fs::recursive_directory_iterator(store / "chunks")) {
    if (e.is_regular_file() && fs::file_size(e.path()) == 3 << 20) FAIL("one chunk per file?");
  }
  fs::path victim;
  for (const auto& e : fs::recursive_directory_iterator(store / "chunks"))
    if (e.is_regular_file() && fs::file_size(e.path()) == 5) victim = e.path();
  REQUIRE(!victim.empty());
  fs::permissions(victim, fs::perms::owner_write, fs::perm_options::add);
  Write(victim, "jello");
  ProcessResult bad = Dedup(*hub, {"get", "--store", store.string(), manifest.string(), "--to",
                                   (tmp.path / "out2").string()});
  CHECK(bad.exit_code != 0);
  CHECK(bad.err.find("tiny") != std::string::npos);
}

TEST_CASE("dedup: four writers at once into one store create every chunk exactly once") {
  auto hub = HubProcess::Start(HubArgs({"--key-format", "key128"}));
  REQUIRE(hub.has_value());
  TempDir tmp;
  std::mt19937_64 rng(42);
  fs::path src = tmp.path / "corpus";
  std::string region = Random(rng, 1 << 20);  // repeated in every file: deduplicated
  for (int f = 0; f < 6; ++f) {
    std::string data;
    for (int part = 0; part < 3; ++part) data += region + Random(rng, 300'000 + f * 1000);
    Write(src / ("file" + std::to_string(f)), data);
  }
  fs::path store = tmp.path / "store";
  std::vector<std::future<ProcessResult>> puts;
  for (int w = 0; w < 4; ++w) {
    puts.push_back(std::async(std::launch::async, [&, w] {
      return Dedup(*hub,
                   {"put", "--no-progress", "--jobs", "2", "--chunk-avg", "16384", "--store",
                    store.string(), "--manifest", (tmp.path / ("m" + std::to_string(w))).string(),
                    src.string()},
                   100 + w);
    }));
  }
  for (auto& p : puts) {
    ProcessResult r = p.get();
    INFO(r.err);
    CHECK(r.exit_code == 0);
  }
  // Creation logs: one line "<hex> <size>" per chunk file a process created.
  std::map<std::string, int> created;
  for (const auto& e : fs::directory_iterator(store / "log")) {
    std::ifstream in(e.path());
    std::string hex, size;
    while (in >> hex >> size) created[hex]++;
  }
  size_t chunk_files = 0;
  for (const auto& e : fs::recursive_directory_iterator(store / "chunks"))
    chunk_files += e.is_regular_file() ? 1 : 0;
  CHECK(chunk_files == created.size());
  CHECK(chunk_files > 0);
  for (const auto& [hex, n] : created) CHECK_MESSAGE(n == 1, hex << " created " << n << " times");
  CHECK(fs::is_empty(store / "tmp"));
  for (int w = 0; w < 4; ++w) {
    fs::path out = tmp.path / ("out" + std::to_string(w));
    ProcessResult get = Dedup(*hub, {"get", "--store", store.string(),
                                     (tmp.path / ("m" + std::to_string(w))).string(), "--to",
                                     out.string()});
    INFO(get.err);
    REQUIRE(get.exit_code == 0);
    CHECK(Tree(out / fs::relative(src, "/")) == Tree(src));
  }
  CHECK(StatOf(*hub, "active_leases") == 0);
}

// Lines of every creation log of the store (one per chunk file created).
size_t CreatedLines(const fs::path& store) {
  size_t n = 0;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(store / "log", ec)) {
    std::ifstream in(e.path());
    std::string line;
    while (std::getline(in, line)) ++n;
  }
  return n;
}

TEST_CASE("dedup: a writer SIGKILLed mid-upload: its leases expire, a second run completes") {
  auto hub = HubProcess::Start(HubArgs({"--key-format", "key128", "--lease-timeout-ms", "1000"}));
  REQUIRE(hub.has_value());
  TempDir tmp;
  std::mt19937_64 rng(99);
  fs::path src = tmp.path / "big";
  Write(src, Random(rng, 48 << 20));  // ~3,000 chunks of 16 KiB: one fsync each
  fs::path store = tmp.path / "store";
  std::string q = "DYN_REGISTRY_CLIENT_QUERY_ADDR=" + hub->query_endpoint();
  std::string r = "DYN_REGISTRY_CLIENT_REGISTER_ADDR=" + hub->register_endpoint();
  std::vector<std::string> argv_s = {BLOCKHUB_DEDUP_PATH, "put",     "--no-progress",
                                     "--chunk-avg",       "16384",   "--store",
                                     store.string(),      src.string()};
  pid_t pid = fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    std::vector<char*> argv;
    for (auto& a : argv_s) argv.push_back(a.data());
    argv.push_back(nullptr);
    char* envp[] = {q.data(), r.data(), nullptr};
    execve(BLOCKHUB_DEDUP_PATH, argv.data(), envp);
    _exit(127);
  }
  // Kill it once it has created some chunk files but (on any sane machine) not all of them.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  int status = 0;
  bool exited = false;
  while (CreatedLines(store) < 50 && std::chrono::steady_clock::now() < deadline) {
    if (waitpid(pid, &status, WNOHANG) == pid) {
      exited = true;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));  // poll interval, bounded above
  }
  if (!exited) {
    kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
  }
  REQUIRE_MESSAGE(!exited, "the first put finished before it could be killed");
  CHECK(WIFSIGNALED(status));
  size_t before = CreatedLines(store);
  CHECK(StatOf(*hub, "active_leases") > 0);  // the dead writer's leases

  fs::path manifest = tmp.path / "m";
  ProcessResult again = Dedup(*hub, {"put", "--no-progress", "--chunk-avg", "16384", "--store",
                                     store.string(), "--manifest", manifest.string(),
                                     src.string()});
  INFO(again.err);
  REQUIRE(again.exit_code == 0);
  CHECK(CreatedLines(store) > before);
  CHECK(StatOf(*hub, "leases_expired") > 0);
  CHECK(StatOf(*hub, "active_leases") == 0);
  CHECK(fs::is_empty(store / "tmp"));  // the dead writer's temporary removed, none left
  fs::path out = tmp.path / "out";
  ProcessResult get = Dedup(*hub, {"get", "--store", store.string(), manifest.string(), "--to",
                                   out.string()});
  INFO(get.err);
  REQUIRE(get.exit_code == 0);
  CHECK(Read(out / fs::relative(src, "/")) == Read(src));
}

}  // namespace
}  // namespace blockhub
