// blockhub-bench recovery: builds a data dir (a snapshot of --entries u64 -> u64 entries plus a
// log of further changes), then times recovery into a fresh HubCore — the figure the durability
// issue targets (< 10 s for 10,000,000 entries). Along the way it reports the write-ahead log's
// append throughput with group commit (fire-and-forget hand-overs, one per 1000-entry Register),
// the throughput when every 100-entry batch waits for its fsync (RegisterSync-like, one client),
// and the time to write the snapshot while the loop walks the catalog in chunks.
//
// Runs the core and persistence on this thread exactly as the hub's loop does (Pump once per
// iteration, poll the notify fd). Page cache is warm for the recovery (files just written).
#include <poll.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "common/bytes.h"
#include "common/clock.h"
#include "hub/core/hub_core.h"
#include "hub/persistence/persistence.h"
#include "hub/store/memory_catalog_store.h"
#include "tools/bench/bench_command.h"

namespace blockhub::bench {
namespace {

using persistence::Persistence;
using persistence::PersistenceConfig;
using BenchClock = std::chrono::steady_clock;

double Since(BenchClock::time_point start) {
  return std::chrono::duration<double>(BenchClock::now() - start).count();
}

bool PumpUntil(Persistence& p, const std::function<bool()>& done) {
  auto deadline = BenchClock::now() + std::chrono::minutes(10);
  while (BenchClock::now() < deadline) {
    p.Pump();
    if (done()) return true;
    if (!p.health().ok()) return false;
    pollfd pfd{p.notify_fd(), POLLIN, 0};
    if (::poll(&pfd, 1, p.PollTimeoutMs() == 0 ? 0 : 100) > 0) p.DrainNotify();
  }
  return false;
}

// Registers u64 keys [from, to) -> value = key * 3, in Register batches of `batch`; after each
// batch hands over (Pump) and, if `sync`, waits until it is durable.
bool Fill(HubCore& core, Persistence& p, uint64_t from, uint64_t to, size_t batch, bool sync,
          const Clock& clock) {
  std::vector<std::string> keys(batch, std::string(8, '\0'));
  std::vector<std::string> values(batch, std::string(8, '\0'));
  Register reg;
  for (uint64_t base = from; base < to; base += batch) {
    size_t n = static_cast<size_t>(std::min<uint64_t>(batch, to - base));
    reg.entries.clear();
    for (size_t j = 0; j < n; ++j) {
      StoreU64(keys[j].data(), base + j);
      StoreU64(values[j].data(), (base + j) * 3);
      reg.entries.push_back(Entry{keys[j], values[j], {}});
    }
    core.Apply(1, reg, clock.Now());
    if (sync) {
      uint64_t seq = p.SyncPoint();
      if (!PumpUntil(p, [&] { return p.durable_seq() >= seq; })) return false;
    } else {
      p.Pump();
    }
  }
  return true;
}

std::unique_ptr<HubCore> NewCore(uint64_t capacity) {
  HubConfig config;
  config.limits.key_format = KeyFormat::kU64;
  config.capacity = capacity;
  return std::make_unique<HubCore>(config, MakeMemoryCatalogStore());
}

uint64_t DirBytes(const std::string& dir) {
  uint64_t total = 0;
  for (const auto& f : std::filesystem::directory_iterator(dir)) {
    if (f.is_regular_file()) total += f.file_size();
  }
  return total;
}

struct Options {
  uint64_t entries = 10'000'000;
  uint64_t log_entries = 0;  // default entries / 20
  uint64_t sync_records = 20'000;
  std::string dir;
  bool keep = false;
  int commit_interval_ms = 2;
};

int Build(const Options& o, const PersistenceConfig& config, uint64_t& expected) {
  ManualClock clock;
  auto core = NewCore(o.entries + o.log_entries + o.sync_records + 1);
  auto opened = Persistence::Open(config, *core, clock);
  if (!opened) return std::fprintf(stderr, "open: %s\n", opened.error().ToString().c_str()), 1;
  Persistence& p = **opened;

  auto start = BenchClock::now();
  bool ok = Fill(*core, p, 0, o.entries, 1000, false, clock) &&
            PumpUntil(p, [&] { return p.durable_seq() >= p.SyncPoint(); });
  double secs = Since(start);
  if (!ok) return std::fprintf(stderr, "log: %s\n", p.health().ToString().c_str()), 1;
  std::printf("RESULT wal_append_records_per_s %.0f records/s\n", o.entries / secs);
  std::printf("# %llu records, %llu fsyncs (%.0f records per fsync), incl. core inserts\n",
              (unsigned long long)o.entries, (unsigned long long)p.wal_fsyncs(),
              o.entries / static_cast<double>(std::max<uint64_t>(1, p.wal_fsyncs())));

  uint64_t fsyncs_before = p.wal_fsyncs();
  start = BenchClock::now();
  if (!Fill(*core, p, o.entries, o.entries + o.sync_records, 100, true, clock)) return 1;
  secs = Since(start);
  std::printf("RESULT wal_sync_batch100_records_per_s %.0f records/s\n", o.sync_records / secs);
  std::printf("# fsync latency ~%.2f ms\n", 1000 * secs / (p.wal_fsyncs() - fsyncs_before));

  start = BenchClock::now();
  p.RequestSnapshot();
  if (!PumpUntil(p, [&] { return p.snapshots_completed() == 1 && !p.snapshot_in_progress(); })) {
    return std::fprintf(stderr, "snapshot did not complete\n"), 1;
  }
  std::printf("RESULT snapshot_write_s %.3f s\n", Since(start));

  uint64_t from = o.entries + o.sync_records;
  if (!Fill(*core, p, from, from + o.log_entries, 1000, false, clock)) return 1;
  Status closed = p.Close();
  if (!closed.ok()) return std::fprintf(stderr, "close: %s\n", closed.ToString().c_str()), 1;
  expected = core->entry_count();
  std::printf("# data dir %s: %.1f MiB (snapshot + %llu log records after it)\n", o.dir.c_str(),
              DirBytes(o.dir) / 1048576.0, (unsigned long long)o.log_entries);
  return 0;
}

int Recover(const Options& o, const PersistenceConfig& config, uint64_t expected) {
  ManualClock clock;
  auto core = NewCore(expected + 1);
  auto start = BenchClock::now();
  auto opened = Persistence::Open(config, *core, clock);
  double secs = Since(start);
  if (!opened) return std::fprintf(stderr, "recover: %s\n", opened.error().ToString().c_str()), 1;
  const auto& r = (*opened)->recovery();
  std::printf("# recovered %llu entries: snapshot %llu entries + %llu log records\n",
              (unsigned long long)core->entry_count(), (unsigned long long)r.snapshot_entries,
              (unsigned long long)r.records_replayed);
  if (core->entry_count() != expected) {
    std::fprintf(stderr, "recovered %llu entries, expected %llu\n",
                 (unsigned long long)core->entry_count(), (unsigned long long)expected);
    return 1;
  }
  std::printf("RESULT recovery_s %.3f s\n", secs);
  std::printf("RESULT recovery_entries_per_s %.0f entries/s\n", expected / secs);
  (void)o;
  return (*opened)->Close().ok() ? 0 : 1;
}

int RunRecovery(int argc, char** argv) {
  CLI::App app{"Recovery time of a data dir with --entries u64->u64 entries (snapshot + log)"};
  Options o;
  app.add_option("--entries", o.entries, "entries in the snapshot");
  app.add_option("--log-entries", o.log_entries, "inserts logged after the snapshot (entries/20)");
  app.add_option("--sync-records", o.sync_records, "records written in fsync'd batches of 100");
  app.add_option("--dir", o.dir, "data dir to create (default: a fresh temp dir, removed)");
  app.add_flag("--keep", o.keep, "keep the data dir");
  app.add_option("--commit-interval-ms", o.commit_interval_ms, "group commit interval");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  if (o.log_entries == 0) o.log_entries = o.entries / 20;
  if (o.dir.empty()) {
    std::string tmpl = (std::filesystem::temp_directory_path() / "bh-recovery-XXXXXX").string();
    if (::mkdtemp(tmpl.data()) == nullptr) return std::perror("mkdtemp"), 1;
    o.dir = tmpl;
  } else if (std::filesystem::exists(o.dir) && !std::filesystem::is_empty(o.dir)) {
    std::fprintf(stderr, "--dir %s is not empty\n", o.dir.c_str());
    return 2;
  }
  PersistenceConfig config;
  config.data_dir = o.dir;
  config.snapshot_interval = ~0ull;  // only the snapshot this benchmark asks for
  config.commit_interval = std::chrono::milliseconds(o.commit_interval_ms);
  uint64_t expected = 0;
  int rc = Build(o, config, expected);
  if (rc == 0) rc = Recover(o, config, expected);
  if (!o.keep) std::filesystem::remove_all(o.dir);
  return rc;
}

const Registrar kRecovery("recovery", "persistence: WAL append rate, snapshot write, recovery time",
                          RunRecovery);

}  // namespace
}  // namespace blockhub::bench
