// blockhub-bench client-cache: the C++ client library (not raw ZeroMQ) against a running
// blockhubd, on a hot working set: every key drawn from --working-set keys that the bench first
// stores with RegisterSync. --clients clients (one Client, one connection each) keep --inflight
// CanOffload requests of --batch keys in flight each, chained from their completions
// (Client::CanOffloadStatusesThen). With --cache N the clients' local caches hold N keys; after
// --warmup seconds (not measured) most answers come from the cache. With --hub-pid, the hub's CPU
// time (user + system, /proc/PID/stat) over the measured interval is reported too.
//
//   RESULT client-cache.can_offload_keys_per_s <v> keys/s
//   RESULT client-cache.hub_cpu_per_s <v> s/s          (with --hub-pid)
//   RESULT client-cache.cache_hit_ratio <v> ratio
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <fstream>
#include <memory>
#include <mutex>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "client/client.h"
#include "tools/bench/bench_command.h"

namespace blockhub::bench {
namespace {

using Clock = std::chrono::steady_clock;

std::string KeyOf(uint64_t i) {
  std::string k(8, '\0');
  for (int b = 0; b < 8; ++b) k[b] = static_cast<char>((i * 0x9E3779B97F4A7C15ull) >> (8 * b));
  return k;
}

// utime + stime of a process, in seconds; negative when unreadable.
double ProcessCpuSeconds(int pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const size_t close = stat.rfind(')');
  if (close == std::string::npos) return -1;
  std::istringstream fields(stat.substr(close + 2));
  std::string f;
  unsigned long long utime = 0, stime = 0;
  for (int i = 3; i <= 15 && fields >> f; ++i) {  // field 3 is the state
    if (i == 14) utime = std::stoull(f);
    if (i == 15) stime = std::stoull(f);
  }
  return static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

// One client's window: `inflight` chains, each completion sends the chain's next batch until
// `stop` is set; counts the keys answered while `measuring` is set.
class Window {
 public:
  Window(Client& client, const std::vector<std::vector<std::string>>& pool, size_t inflight)
      : client_(client), pool_(pool), inflight_(inflight) {}

  void Start() {
    for (size_t c = 0; c < inflight_; ++c) {
      {
        std::lock_guard lock(mu_);
        ++running_;
      }
      Send(c);
    }
  }
  void Stop() { stop_.store(true); }
  // Waits until every chain has ended; false when one failed.
  bool Join() {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return running_ == 0; });
    return !failed_;
  }
  void set_measuring(bool on) { measuring_.store(on); }
  uint64_t measured_keys() const { return measured_keys_.load(); }

 private:
  void Send(size_t next) {
    const auto& keys = pool_[next % pool_.size()];
    client_.CanOffloadStatusesThen(keys, [this, next](Result<CanOffloadStatuses> r) {
      if (!r) {
        std::fprintf(stderr, "client-cache: %s\n", r.error().ToString().c_str());
        failed_ = true;
        stop_.store(true);
      } else if (measuring_.load(std::memory_order_relaxed)) {
        measured_keys_.fetch_add(r->statuses.size(), std::memory_order_relaxed);
      }
      if (!stop_.load()) return Send(next + inflight_);
      std::lock_guard lock(mu_);
      if (--running_ == 0) cv_.notify_all();
    });
  }

  Client& client_;
  const std::vector<std::vector<std::string>>& pool_;
  const size_t inflight_;
  std::atomic<bool> stop_{false}, measuring_{false};
  std::atomic<uint64_t> measured_keys_{0};
  std::mutex mu_;
  std::condition_variable cv_;
  size_t running_ = 0;
  bool failed_ = false;  // under mu_ or before running_ reaches 0
};

int Run(int argc, char** argv) {
  CLI::App app{"C++ client library on a hot working set, local cache on or off"};
  std::string query = "tcp://127.0.0.1:5555", reg = "tcp://127.0.0.1:5556";
  size_t clients = 4, inflight = 16, batch = 100, working_set = 10000, cache = 0, pool_size = 512;
  double duration = 5, warmup = 1;
  int hub_pid = 0;
  uint64_t seed = 1;
  app.add_option("--query-addr", query, "hub query endpoint")->capture_default_str();
  app.add_option("--register-addr", reg, "hub registration endpoint")->capture_default_str();
  app.add_option("--clients", clients, "clients (one connection each)")->capture_default_str();
  app.add_option("--inflight", inflight, "requests in flight per client")->capture_default_str();
  app.add_option("--batch", batch, "keys per request")->capture_default_str();
  app.add_option("--working-set", working_set, "stored keys the batches are drawn from")
      ->capture_default_str();
  app.add_option("--cache", cache, "local cache entries per client (0 = off)")
      ->capture_default_str();
  app.add_option("--duration", duration, "measured seconds")->capture_default_str();
  app.add_option("--warmup", warmup, "seconds run before measuring")->capture_default_str();
  app.add_option("--hub-pid", hub_pid, "the hub's pid, to report its CPU time per second");
  app.add_option("--seed", seed, "key draw seed")->capture_default_str();
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  if (clients == 0 || inflight == 0 || batch == 0 || working_set == 0 || duration <= 0) {
    std::fprintf(stderr, "client-cache: counts and --duration must be positive\n");
    return 2;
  }
  ClientOptions base;
  base.query_addr = query;
  base.register_addr = reg;
  base.request_timeout = std::chrono::milliseconds(30000);
  {
    auto loader = Client::Connect(base);
    if (!loader)
      return std::fprintf(stderr, "client-cache: %s\n", loader.error().ToString().c_str()), 1;
    std::vector<BlockEntry> entries;
    for (uint64_t i = 0; i < working_set; ++i) {
      entries.push_back({KeyOf(i), "v", ""});
      if (entries.size() == 1000 || i + 1 == working_set) {
        auto r = (*loader)->RegisterSync(entries);
        if (!r)
          return std::fprintf(stderr, "client-cache: preload: %s\n", r.error().ToString().c_str()),
                 1;
        entries.clear();
      }
    }
  }
  std::mt19937_64 rng(seed);
  std::uniform_int_distribution<uint64_t> pick(0, working_set - 1);
  std::vector<std::vector<std::vector<std::string>>> pools(clients);
  for (auto& pool : pools) {
    pool.resize(pool_size);
    for (auto& b : pool)
      for (size_t k = 0; k < batch; ++k) b.push_back(KeyOf(pick(rng)));
  }
  std::vector<std::unique_ptr<Client>> conns;
  std::vector<std::unique_ptr<Window>> windows;
  for (size_t i = 0; i < clients; ++i) {
    ClientOptions o = base;
    o.client_id = 5000 + i;
    o.local_cache_entries = cache;
    auto c = Client::Connect(o);
    if (!c) return std::fprintf(stderr, "client-cache: %s\n", c.error().ToString().c_str()), 1;
    conns.push_back(std::move(*c));
    windows.push_back(std::make_unique<Window>(*conns.back(), pools[i], inflight));
  }
  for (auto& w : windows) w->Start();
  std::this_thread::sleep_for(std::chrono::duration<double>(warmup));
  const double cpu0 = hub_pid > 0 ? ProcessCpuSeconds(hub_pid) : -1;
  const auto t0 = Clock::now();
  for (auto& w : windows) w->set_measuring(true);
  std::this_thread::sleep_for(std::chrono::duration<double>(duration));
  for (auto& w : windows) w->set_measuring(false);
  const double elapsed = std::chrono::duration<double>(Clock::now() - t0).count();
  const double cpu1 = hub_pid > 0 ? ProcessCpuSeconds(hub_pid) : -1;
  uint64_t keys = 0;
  for (auto& w : windows) keys += w->measured_keys();
  bool ok = true;
  for (auto& w : windows) w->Stop();
  for (auto& w : windows) ok &= w->Join();
  uint64_t hits = 0, misses = 0;
  for (auto& c : conns) {
    const ClientCounters k = c->counters();
    hits += k.cache_hits;
    misses += k.cache_misses;
  }
  std::printf(
      "# %zu clients x %zu in flight, batch %zu, working set %zu stored keys, cache %zu, "
      "%.1f s warm-up, %.1f s measured\n",
      clients, inflight, batch, working_set, cache, warmup, duration);
  std::printf("RESULT client-cache.can_offload_keys_per_s %.0f keys/s\n", keys / elapsed);
  if (cpu0 >= 0 && cpu1 >= 0)
    std::printf("RESULT client-cache.hub_cpu_per_s %.3f s/s\n", (cpu1 - cpu0) / elapsed);
  std::printf("RESULT client-cache.cache_hit_ratio %.4f ratio\n",
              hits + misses == 0 ? 0.0 : static_cast<double>(hits) / (hits + misses));
  return ok ? 0 : 1;
}

Registrar registrar("client-cache",
                    "C++ client on a hot working set, local cache on/off (RESULT client-cache ...)",
                    Run);

}  // namespace
}  // namespace blockhub::bench
