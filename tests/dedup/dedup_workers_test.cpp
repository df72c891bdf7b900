// blockhub-dedup end to end: the real blockhubd (--key-format key128) and blockhub-dedup processes.
// Round trips of empty, tiny, one-chunk and multi-chunk files, a symlink and modes; four put
// processes started together on one corpus with large repeated regions into one store (a quick
// 24 MiB run and the 1 GiB run of the acceptance list): every chunk asked to be stored exactly
// once (the store's upload log, the hub's lease counters), all four manifests restore
// byte-identical, and no lease left live at the hub. Bounded: every process has a deadline.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <future>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "client/client.h"
#include "common/random.h"
#include "tests/client/run_process.h"
#include "tests/support/hub_process.h"
#include "tools/dedup/chunk_store.h"

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

ProcessResult Dedup(const HubProcess& hub, std::vector<std::string> args, uint64_t client_id = 0,
                    std::chrono::seconds deadline = std::chrono::seconds(120)) {
  std::vector<std::pair<std::string, std::string>> env = {
      {"DYN_REGISTRY_CLIENT_QUERY_ADDR", hub.query_endpoint()},
      {"DYN_REGISTRY_CLIENT_REGISTER_ADDR", hub.register_endpoint()}};
  if (client_id != 0) env.emplace_back("DYN_REGISTRY_CLIENT_ID", std::to_string(client_id));
  Result<ProcessResult> r = RunProcess(BLOCKHUB_DEDUP_PATH, args, env, deadline);
  REQUIRE(r.has_value());
  return *r;
}

// blockhub-dedup run with `cwd` as its working directory (through sh: cd, then exec).
ProcessResult DedupIn(const HubProcess& hub, const fs::path& cwd, std::vector<std::string> args) {
  std::vector<std::string> sh = {"-c", "cd \"$1\" && shift && exec \"$@\"", "sh", cwd.string(),
                                 BLOCKHUB_DEDUP_PATH};
  sh.insert(sh.end(), args.begin(), args.end());
  Result<ProcessResult> r =
      RunProcess("/bin/sh", sh,
                 {{"DYN_REGISTRY_CLIENT_QUERY_ADDR", hub.query_endpoint()},
                  {"DYN_REGISTRY_CLIENT_REGISTER_ADDR", hub.register_endpoint()}},
                 std::chrono::seconds(60));
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
  ProcessResult get =
      Dedup(*hub, {"get", "--store", store.string(), manifest.string(), "--to", out.string()});
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

TEST_CASE("dedup: a relative PATH given to put is restored as DIR/PATH by get") {
  auto hub = HubProcess::Start(HubArgs({"--key-format", "key128"}));
  REQUIRE(hub.has_value());
  TempDir tmp;
  std::mt19937_64 rng(11);
  const fs::path work = tmp.path / "work";
  Write(work / "docs/a.txt", "alpha");
  Write(work / "docs/deep/b.bin", Random(rng, 300'000));
  Write(work / "top.txt", "top");
  Write(work / "left-out.txt", "not given to put");
  fs::create_symlink("a.txt", work / "docs/link");
  // Relative PATHs from inside `work`: a folder, a file given as ./FILE, and (from a subfolder)
  // ../FILE, which is recorded without its ".." part.
  ProcessResult put = DedupIn(
      *hub, work,
      {"put", "--no-progress", "--store", "../store", "--manifest", "../m1", "docs", "./top.txt"});
  INFO(put.err);
  REQUIRE(put.exit_code == 0);
  ProcessResult put2 = DedupIn(*hub, work / "docs",
                               {"put", "--no-progress", "--store", "../../store", "--manifest",
                                "../../m2", "../left-out.txt"});
  INFO(put2.err);
  REQUIRE(put2.exit_code == 0);

  // get with an absolute --to: DIR/docs/..., DIR/top.txt and nothing else.
  const fs::path out = tmp.path / "out";
  ProcessResult get = Dedup(*hub, {"get", "--store", (tmp.path / "store").string(),
                                   (tmp.path / "m1").string(), "--to", out.string()});
  INFO(get.err);
  REQUIRE(get.exit_code == 0);
  std::map<std::string, std::string> want = Tree(work);
  want.erase("left-out.txt");
  CHECK(Tree(out) == want);
  CHECK(fs::is_directory(out / "docs/deep"));
  // get with a relative --to, run elsewhere: relative to its working directory.
  fs::create_directories(tmp.path / "elsewhere");
  ProcessResult get2 = DedupIn(*hub, tmp.path / "elsewhere",
                               {"get", "--store", "../store", "../m2", "--to", "restored"});
  INFO(get2.err);
  REQUIRE(get2.exit_code == 0);
  CHECK(Tree(tmp.path / "elsewhere/restored") ==
        std::map<std::string, std::string>{{"left-out.txt", "not given to put"}});
}

struct CorpusShape {
  size_t bytes;        // in total, over all files
  int files;           // equal shares, the last one takes the remainder
  size_t segment_min;  // each segment: fresh random bytes, or a copy of an earlier region
  size_t segment_max;
  int fresh_percent;  // the chance a segment is fresh
  uint64_t seed;
};

// Writes the corpus as files file00, file01, ... under `dir`: a stream of segments, each either
// fresh random bytes or a copy of an earlier region of the stream (anywhere, in any file, at any
// byte offset), with a few random bytes inserted between segments so the repeats are not aligned.
// Returns the file names. The data is synced before it returns (a put's first syncfs then does
// not have to write the corpus too).
std::vector<std::string> WriteCorpus(const fs::path& dir, const CorpusShape& c) {
  std::unique_ptr<uint8_t[]> all(new uint8_t[c.bytes]);
  Rng rng(c.seed);
  size_t pos = 0;
  while (pos < c.bytes) {
    size_t len = c.segment_min + rng.Below(c.segment_max - c.segment_min + 1);
    len = std::min(len, c.bytes - pos);
    if (pos < len || static_cast<int>(rng.Below(100)) < c.fresh_percent) {
      rng.Fill(all.get() + pos, len);
    } else {
      size_t from = rng.Below(pos - len + 1);
      std::memcpy(all.get() + pos, all.get() + from, len);
    }
    pos += len;
    size_t gap = std::min<size_t>(1 + rng.Below(64), c.bytes - pos);
    rng.Fill(all.get() + pos, gap);
    pos += gap;
  }
  fs::create_directories(dir);
  std::vector<std::string> names;
  const size_t share = c.bytes / static_cast<size_t>(c.files);
  for (int f = 0; f < c.files; ++f) {
    const size_t begin = static_cast<size_t>(f) * share;
    const size_t len = f + 1 == c.files ? c.bytes - begin : share;
    char name[16];
    std::snprintf(name, sizeof name, "file%02d", f);
    names.emplace_back(name);
    const fs::path p = dir / name;
    int fd = ::open(p.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    REQUIRE_MESSAGE(fd >= 0, "create " << p);
    size_t done = 0;
    while (done < len) {
      ssize_t w = ::write(fd, all.get() + begin + done, len - done);
      if (w < 0 && errno == EINTR) continue;
      REQUIRE_MESSAGE(w > 0, "write " << p);
      done += static_cast<size_t>(w);
    }
    REQUIRE(::close(fd) == 0);
  }
  int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  REQUIRE(dfd >= 0);
  CHECK(::syncfs(dfd) == 0);
  ::close(dfd);
  return names;
}

// True when the two files have the same bytes (streamed, 4 MiB at a time).
bool SameBytes(const fs::path& a, const fs::path& b) {
  std::ifstream x(a, std::ios::binary), y(b, std::ios::binary);
  if (!x || !y) return false;
  std::vector<char> bx(4 << 20), by(4 << 20);
  for (;;) {
    x.read(bx.data(), static_cast<std::streamsize>(bx.size()));
    y.read(by.data(), static_cast<std::streamsize>(by.size()));
    if (x.gcount() != y.gcount()) return false;
    if (std::memcmp(bx.data(), by.data(), static_cast<size_t>(x.gcount())) != 0) return false;
    if (x.gcount() == 0 || x.eof() || y.eof()) return x.eof() && y.eof();
  }
}

uint64_t JsonField(const std::string& json, const std::string& name) {
  const std::string k = "\"" + name + "\":";
  size_t at = json.find(k);
  REQUIRE_MESSAGE(at != std::string::npos, "no " << name << " in " << json);
  return std::stoull(json.substr(at + k.size()));
}

double SecondsSince(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// Acceptance 1 of the blockhub-dedup issue: four `put` processes started together on one corpus
// against one hub. Every chunk is asked to be stored exactly once over all four (the store's
// upload log: one "created" line per chunk file, no request that found it present or lost a
// race), the hub granted exactly one lease per chunk file and every lease ended registered (none
// expired, released or live), the chunks_new of the four summaries add up to the chunk files,
// and every manifest restores byte-identical (one restore at a time, each deleted before the
// next). Phase timings go to stderr.
void FourWriters(const CorpusShape& shape, size_t chunk_avg, std::chrono::seconds deadline) {
  using Clock = std::chrono::steady_clock;
  auto hub = HubProcess::Start(HubArgs({"--key-format", "key128", "--lease-timeout-ms", "600000"}));
  REQUIRE(hub.has_value());
  TempDir tmp;
  auto t0 = Clock::now();
  const fs::path src = tmp.path / "corpus";
  const std::vector<std::string> names = WriteCorpus(src, shape);
  std::fprintf(stderr, "four writers: corpus of %zu bytes in %d files written in %.2f s\n",
               shape.bytes, shape.files, SecondsSince(t0));

  t0 = Clock::now();
  const fs::path store = tmp.path / "store";
  std::vector<std::future<ProcessResult>> puts;
  for (int w = 0; w < 4; ++w) {
    puts.push_back(std::async(std::launch::async, [&, w] {
      return Dedup(*hub,
                   {"put", "--no-progress", "--json", "--jobs", "2", "--chunk-avg",
                    std::to_string(chunk_avg), "--store", store.string(), "--manifest",
                    (tmp.path / ("m" + std::to_string(w))).string(), src.string()},
                   100 + w, deadline);
    }));
  }
  uint64_t chunks_new = 0;
  bool all_ok = true;
  for (auto& p : puts) {
    ProcessResult r = p.get();
    INFO(r.err);
    CHECK(r.exit_code == 0);
    all_ok = all_ok && r.exit_code == 0;
    if (r.exit_code == 0) {
      chunks_new += JsonField(r.out, "chunks_new");
      std::fprintf(stderr, "four writers: put %s", r.out.c_str());
    }
  }
  REQUIRE(all_ok);
  std::fprintf(stderr, "four writers: 4 puts took %.2f s\n", SecondsSince(t0));

  std::set<std::string> chunk_files;
  uint64_t stored_bytes = 0;
  for (const auto& e : fs::recursive_directory_iterator(store / "chunks")) {
    if (!e.is_regular_file()) continue;
    chunk_files.insert(e.path().filename().string());
    stored_bytes += e.file_size();
  }
  std::fprintf(stderr, "four writers: %zu chunk files, %llu bytes stored of %zu\n",
               chunk_files.size(), static_cast<unsigned long long>(stored_bytes), shape.bytes);
  REQUIRE(!chunk_files.empty());
  // Real deduplication: the repeats were found, and the store holds at least the fresh part.
  CHECK(stored_bytes < shape.bytes * (shape.fresh_percent + 15) / 100);
  CHECK(stored_bytes > shape.bytes * (shape.fresh_percent - 15) / 100);
  auto log = dedup::ChunkStore::ReadUploadLog(store);
  REQUIRE(log.has_value());
  CHECK(log->size() == chunk_files.size());
  size_t asked_again = 0;
  for (const auto& [hex, c] : *log) {
    CHECK_MESSAGE(chunk_files.count(hex) == 1, hex << " logged but no chunk file");
    CHECK_MESSAGE(c.created == 1, hex << " created " << c.created << " times");
    if (c.present + c.raced > 0) ++asked_again;
  }
  CHECK_MESSAGE(asked_again == 0, asked_again << " chunks were asked to be stored again");
  CHECK(chunks_new == chunk_files.size());
  CHECK(fs::is_empty(store / "tmp"));
  CHECK(StatOf(*hub, "leases_granted") == chunk_files.size());
  CHECK(StatOf(*hub, "leases_released_by_register") == chunk_files.size());
  CHECK(StatOf(*hub, "leases_expired") == 0);
  CHECK(StatOf(*hub, "leases_released") == 0);
  CHECK(StatOf(*hub, "active_leases") == 0);

  t0 = Clock::now();
  for (int w = 0; w < 4; ++w) {
    const fs::path out = tmp.path / "out";
    ProcessResult get =
        Dedup(*hub,
              {"get", "--store", store.string(), (tmp.path / ("m" + std::to_string(w))).string(),
               "--to", out.string()},
              0, deadline);
    INFO(get.err);
    REQUIRE(get.exit_code == 0);
    const fs::path restored = out / fs::relative(src, "/");
    size_t entries = 0;
    for (const auto& e : fs::recursive_directory_iterator(out)) entries += e.is_regular_file();
    CHECK(entries == names.size());
    for (const auto& n : names)
      CHECK_MESSAGE(SameBytes(src / n, restored / n), "m" << w << ": " << n);
    fs::remove_all(out);
  }
  std::fprintf(stderr, "four writers: 4 restores and compares took %.2f s\n", SecondsSince(t0));
}

TEST_CASE("dedup: four writers at once into one store, a 24 MiB corpus (quick)") {
  FourWriters({.bytes = 24 << 20,
               .files = 6,
               .segment_min = 64 << 10,
               .segment_max = 1 << 20,
               .fresh_percent = 35,
               .seed = 42},
              16384, std::chrono::seconds(120));
}

TEST_CASE("dedup: four writers at once on a 1 GiB corpus create every chunk exactly once") {
  FourWriters({.bytes = size_t{1} << 30,
               .files = 8,
               .segment_min = 1 << 20,
               .segment_max = 16 << 20,
               .fresh_percent = 35,
               .seed = 20261203},
              64 << 10, std::chrono::seconds(240));
}

// Chunk files the store's upload log says were created (all processes).
size_t CreatedLines(const fs::path& store) {
  std::error_code ec;
  if (!fs::is_directory(store / "log", ec)) return 0;
  auto log = dedup::ChunkStore::ReadUploadLog(store);
  REQUIRE(log.has_value());
  size_t n = 0;
  for (const auto& [hex, c] : *log) n += c.created;
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
  std::vector<std::string> argv_s = {BLOCKHUB_DEDUP_PATH, "put",       "--no-progress",
                                     "--chunk-avg",       "16384",     "--store",
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
  ProcessResult again =
      Dedup(*hub, {"put", "--no-progress", "--chunk-avg", "16384", "--store", store.string(),
                   "--manifest", manifest.string(), src.string()});
  INFO(again.err);
  REQUIRE(again.exit_code == 0);
  CHECK(CreatedLines(store) > before);
  CHECK(StatOf(*hub, "leases_expired") > 0);
  CHECK(StatOf(*hub, "active_leases") == 0);
  CHECK(fs::is_empty(store / "tmp"));  // the dead writer's temporary removed, none left
  fs::path out = tmp.path / "out";
  ProcessResult get =
      Dedup(*hub, {"get", "--store", store.string(), manifest.string(), "--to", out.string()});
  INFO(get.err);
  REQUIRE(get.exit_code == 0);
  CHECK(Read(out / fs::relative(src, "/")) == Read(src));
}

}  // namespace
}  // namespace blockhub
