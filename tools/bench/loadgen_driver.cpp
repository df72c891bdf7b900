#include "tools/bench/loadgen_driver.h"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <functional>
#include <latch>
#include <thread>
#include <vector>

namespace blockhub::bench {
namespace {

using BenchClock = std::chrono::steady_clock;

// The per-request source the pump draws from: fills `keys`, returns the kind, or nullopt when
// this phase has nothing more to send.
using NextRequest = std::function<std::optional<RequestKind>(KeyBatch& keys)>;

struct ClientOutcome {
  Status status;
  std::vector<uint32_t> latency_ns;  // one per answered request (saturates at ~4.29 s)
  uint64_t requests = 0;             // answered + pushed
  uint64_t keys = 0;                 // keys/entries in those requests
  uint64_t pushed_entries = 0;       // fire-and-forget entries
  Tally tally;
};

struct Shared {
  const WorkloadOptions& options;
  Target& target;
  std::latch ready;
  std::latch start{1};
  std::atomic<bool> abort{false};
  BenchClock::time_point t0;  // written before `start` opens
  std::vector<ClientOutcome> outcomes;
  std::vector<std::unique_ptr<Connection>> connections;  // kept alive until after the barrier
  std::unique_ptr<std::atomic<uint64_t>[]> progress_keys;

  Shared(const WorkloadOptions& o, Target& t)
      : options(o),
        target(t),
        ready(static_cast<std::ptrdiff_t>(o.clients)),
        outcomes(o.clients),
        connections(o.clients),
        progress_keys(new std::atomic<uint64_t>[o.clients]) {
    for (uint32_t i = 0; i < o.clients; ++i) progress_keys[i] = 0;
  }
};

// Keeps up to `inflight` requests in flight on one connection until `next` runs dry, then waits
// for the rest. Records per-request latency into `out` when `record` is set.
class Pump {
 public:
  Pump(Connection& conn, const WorkloadOptions& options, std::atomic<bool>& abort)
      : conn_(conn), options_(options), abort_(abort), slots_(options.inflight) {
    for (uint32_t i = 0; i < options.inflight; ++i) free_.push_back(options.inflight - 1 - i);
  }

  Status Run(const NextRequest& next, ClientOutcome* out, std::atomic<uint64_t>* progress) {
    const int timeout_ms = static_cast<int>(options_.timeout_s * 1000);
    bool more = true;
    while (true) {
      while (more && !free_.empty() && !abort_.load(std::memory_order_relaxed)) {
        auto kind = next(keys_);
        if (!kind) {
          more = false;
          break;
        }
        if (Status s = SendOne(*kind, out, progress); !s.ok()) return s;
      }
      if (free_.size() == slots_.size()) return Status::Ok();  // nothing in flight
      auto reply = conn_.Receive(true, timeout_ms);
      while (true) {
        if (!reply) return reply.error();
        if (!reply->has_value()) break;
        if (Status s = Complete(**reply, out, progress); !s.ok()) return s;
        reply = conn_.Receive(false, 0);
      }
    }
  }

 private:
  struct Slot {
    BenchClock::time_point sent;
    RequestKind kind{};
    uint32_t keys = 0;
    bool busy = false;
  };

  Status SendOne(RequestKind kind, ClientOutcome* out, std::atomic<uint64_t>* progress) {
    const uint32_t n = static_cast<uint32_t>(keys_.size());
    if (kind == RequestKind::kRegister) {  // fire-and-forget: counted when pushed
      if (Status s = conn_.Send(0, kind, keys_); !s.ok()) return s;
      if (out != nullptr) {
        ++out->requests;
        out->keys += n;
        out->pushed_entries += n;
      }
      if (progress != nullptr) progress->fetch_add(n, std::memory_order_relaxed);
      return Status::Ok();
    }
    const uint32_t tag = free_.back();
    free_.pop_back();
    Slot& slot = slots_[tag];
    slot.kind = kind;
    slot.keys = n;
    slot.busy = true;
    slot.sent = BenchClock::now();
    return conn_.Send(tag, kind, keys_);
  }

  Status Complete(const Reply& reply, ClientOutcome* out, std::atomic<uint64_t>* progress) {
    const auto now = BenchClock::now();
    if (reply.tag >= slots_.size() || !slots_[reply.tag].busy) {
      return InternalError("a reply for tag " + std::to_string(reply.tag) + " not in flight");
    }
    Slot& slot = slots_[reply.tag];
    if (reply.kind != slot.kind) return InternalError("a reply of the wrong type");
    slot.busy = false;
    free_.push_back(reply.tag);
    if (out != nullptr) {
      const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(now - slot.sent).count();
      out->latency_ns.push_back(static_cast<uint32_t>(std::min<int64_t>(ns, UINT32_MAX)));
      ++out->requests;
      out->keys += slot.keys;
      out->tally.Add(reply.tally);
    }
    if (progress != nullptr) progress->fetch_add(slot.keys, std::memory_order_relaxed);
    return Status::Ok();
  }

  Connection& conn_;
  const WorkloadOptions& options_;
  std::atomic<bool>& abort_;
  std::vector<Slot> slots_;
  std::vector<uint32_t> free_;
  KeyBatch keys_;
};

// Registers this client's share of the stored keys with RegisterSync (not timed).
Status Preload(Connection& conn, const WorkloadOptions& o, uint32_t client,
               std::atomic<bool>& abort) {
  const IdRange range = PreloadShare(o, client);
  uint64_t next_id = range.begin;
  NextRequest next = [&](KeyBatch& keys) -> std::optional<RequestKind> {
    if (next_id >= range.end) return std::nullopt;
    keys.Reset(o.key_format);
    for (uint32_t i = 0; i < o.batch && next_id < range.end; ++i) keys.Add(Mix64(next_id++));
    return RequestKind::kRegisterSync;
  };
  Pump pump(conn, o, abort);
  return pump.Run(next, nullptr, nullptr);
}

void RunClient(Shared& sh, uint32_t client) {
  const WorkloadOptions& o = sh.options;
  ClientOutcome& out = sh.outcomes[client];
  RequestPlanner planner(o, client);
  auto conn = sh.target.Connect(client, planner.client_id());
  const bool needs_preload = o.preload && o.op != Op::kRegister && o.op != Op::kRegisterSync;
  if (!conn) {
    out.status = conn.error();
  } else {
    sh.connections[client] = std::move(*conn);
    if (needs_preload) out.status = Preload(*sh.connections[client], o, client, sh.abort);
  }
  if (!out.status.ok()) sh.abort = true;
  sh.ready.count_down();
  sh.start.wait();
  if (sh.abort) return;

  Connection& c = *sh.connections[client];
  const auto deadline = sh.t0 + std::chrono::duration_cast<BenchClock::duration>(
                                    std::chrono::duration<double>(o.duration_s));
  uint64_t sent = 0;
  NextRequest next = [&](KeyBatch& keys) -> std::optional<RequestKind> {
    if (o.requests > 0 ? sent >= o.requests : BenchClock::now() >= deadline) return std::nullopt;
    ++sent;
    return planner.Next(keys);
  };
  out.latency_ns.reserve(1 << 16);
  Pump pump(c, o, sh.abort);
  out.status = pump.Run(next, &out, &sh.progress_keys[client]);
  if (out.status.ok() && out.pushed_entries > 0) {
    out.status = c.FinishPushes(static_cast<int>(o.timeout_s * 1000));
  }
  if (!out.status.ok()) sh.abort = true;
}

double Percentile(const std::vector<uint32_t>& sorted, double q) {
  if (sorted.empty()) return 0;
  const size_t i = std::min(sorted.size() - 1, static_cast<size_t>(q * sorted.size()));
  return sorted[i] / 1000.0;
}

// Redraws a one-line progress bar on stderr until `done` is set.
void ShowProgress(Shared& sh, const std::atomic<bool>& done) {
  const WorkloadOptions& o = sh.options;
  uint64_t last_keys = 0;
  auto last = BenchClock::now();
  while (!done.load()) {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    uint64_t keys = 0;
    for (uint32_t i = 0; i < o.clients; ++i) keys += sh.progress_keys[i].load();
    const auto now = BenchClock::now();
    const double elapsed = std::chrono::duration<double>(now - sh.t0).count();
    const double rate = (keys - last_keys) / std::chrono::duration<double>(now - last).count();
    const double frac = o.requests > 0
                            ? static_cast<double>(keys) / (1.0 * o.requests * o.clients * o.batch)
                            : elapsed / o.duration_s;
    const int width = 30;
    const int filled = std::clamp(static_cast<int>(frac * width), 0, width);
    std::fprintf(stderr, "\r[%.*s%*s] %5.1fs %12.0f keys/s", filled,
                 "##############################", width - filled, "", elapsed, rate);
    std::fflush(stderr);
    last_keys = keys;
    last = now;
  }
  std::fprintf(stderr, "\r%*s\r", 70, "");
}

}  // namespace

void Tally::Add(const Tally& o) {
  granted += o.granted;
  already_stored += o.already_stored;
  leased += o.leased;
  matched += o.matched;
  stored += o.stored;
  rejected += o.rejected;
}

int RunLoad(const WorkloadOptions& o, Target& target) {
  Shared sh(o, target);
  std::vector<std::thread> threads;
  threads.reserve(o.clients);
  const auto preload_start = BenchClock::now();
  for (uint32_t i = 0; i < o.clients; ++i) threads.emplace_back(RunClient, std::ref(sh), i);
  sh.ready.wait();
  const double preload_s = std::chrono::duration<double>(BenchClock::now() - preload_start).count();
  Status before = sh.abort ? Status::Ok() : target.BeforeRun();
  if (!before.ok()) sh.abort = true;
  sh.t0 = BenchClock::now();
  sh.start.count_down();

  std::atomic<bool> done{false};
  std::thread progress;
  if (o.progress && isatty(STDERR_FILENO) == 1) {
    progress = std::thread(ShowProgress, std::ref(sh), std::cref(done));
  }
  for (auto& t : threads) t.join();
  uint64_t pushed = 0;
  for (const auto& out : sh.outcomes) pushed += out.pushed_entries;
  Status applied = Status::Ok();
  if (!sh.abort && pushed > 0) {
    applied = target.AwaitApplied(pushed, static_cast<int>(o.timeout_s * 1000));
  }
  const auto t_end = BenchClock::now();  // every client joined, every push applied
  done = true;
  if (progress.joinable()) progress.join();
  sh.connections.clear();

  bool failed = !before.ok() || !applied.ok();
  if (!before.ok()) std::fprintf(stderr, "error: %s\n", before.ToString().c_str());
  if (!applied.ok()) std::fprintf(stderr, "error: barrier: %s\n", applied.ToString().c_str());
  for (uint32_t i = 0; i < o.clients; ++i) {
    if (sh.outcomes[i].status.ok()) continue;
    failed = true;
    std::fprintf(stderr, "error: client %u: %s\n", i, sh.outcomes[i].status.ToString().c_str());
  }
  if (failed) return 1;

  ClientOutcome total;
  for (auto& out : sh.outcomes) {
    total.requests += out.requests;
    total.keys += out.keys;
    total.tally.Add(out.tally);
    total.latency_ns.insert(total.latency_ns.end(), out.latency_ns.begin(), out.latency_ns.end());
  }
  std::sort(total.latency_ns.begin(), total.latency_ns.end());
  const double elapsed = std::chrono::duration<double>(t_end - sh.t0).count();
  const Tally& t = total.tally;
  std::printf("# %s %s: %u clients x %u in flight, batch %u, %" PRIu64
              " keys (%.0f%% stored), "
              "%s keys, protocol v%d; preload %.2fs; elapsed %.3fs, %" PRIu64 " requests, %" PRIu64
              " keys; replies: granted=%" PRIu64 " already_stored=%" PRIu64 " leased=%" PRIu64
              " matched=%" PRIu64 " stored=%" PRIu64 " rejected=%" PRIu64 "\n",
              target.name().c_str(), o.op_text.c_str(), o.clients, o.inflight, o.batch, o.keys,
              o.stored_ratio * 100, o.key_format_text.c_str(), o.protocol, preload_s, elapsed,
              total.requests, total.keys, t.granted, t.already_stored, t.leased, t.matched,
              t.stored, t.rejected);
  std::printf("RESULT %s %s keys_per_s=%.0f requests_per_s=%.0f", target.name().c_str(),
              o.op_text.c_str(), total.keys / elapsed, total.requests / elapsed);
  if (total.latency_ns.empty()) {
    std::printf(" p50_us=na p99_us=na p999_us=na\n");  // fire-and-forget: no reply to time
  } else {
    std::printf(" p50_us=%.1f p99_us=%.1f p999_us=%.1f\n", Percentile(total.latency_ns, 0.50),
                Percentile(total.latency_ns, 0.99), Percentile(total.latency_ns, 0.999));
  }
  std::fflush(stdout);
  return 0;
}

}  // namespace blockhub::bench
