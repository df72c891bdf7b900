// blockhub-bench core   — HubCore throughput, single thread, in-process, at a large and a small
//                         catalog (and their ratio): CanOffload and Match keys/s (50% of the
//                         queried keys stored), Register keys/s of the keys CanOffload granted
//                         (into the catalog with room, and into the full catalog, each evicting
//                         one), and the fill rate (registering the catalog from empty); plus the
//                         worst single Tick while a million leases expire at once.
// blockhub-bench memory — resident bytes per catalog entry: u64 -> u64 (lru) and positional keys
//                         -> 22-byte RemoteKey values; each measured in a forked child so one
//                         measurement's freed heap cannot hide the next one's growth.
// Requests are decoded-style Message structs (string_views into a key buffer built beforehand),
// handed to HubCore::Handle / Apply exactly as the server does after decoding.
#include <sys/wait.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include "hub/core/hub_core.h"
#include "hub/store/memory_catalog_store.h"
#include "tools/bench/bench_command.h"

namespace blockhub::bench {
namespace {

using SteadyTime = std::chrono::steady_clock;

double Seconds(SteadyTime::time_point a, SteadyTime::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

// Distinct, well-spread u64 keys: stored keys are Mix(2i), never-stored ones Mix(2i + 1).
uint64_t Mix(uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

// A buffer of 8-byte keys and views into it.
struct KeyBuffer {
  std::string bytes;
  std::string_view At(size_t i) const { return std::string_view(bytes).substr(i * 8, 8); }
  void Add(uint64_t k) { bytes.append(reinterpret_cast<const char*>(&k), 8); }
};

HubConfig BenchConfig(uint64_t entries, EvictionKind eviction = EvictionKind::kLru) {
  HubConfig c;
  c.limits.key_format = KeyFormat::kU64;
  c.eviction = eviction;
  c.capacity = entries;
  c.max_leases = 0xFFFF'FFFE;  // the bench measures lookups, not the lease bound
  c.lease_ttl = std::chrono::milliseconds(30'000);
  return c;
}

struct Figures {
  double fill_kps = 0, register_kps = 0, evicting_register_kps = 0, offload_kps = 0, match_kps = 0;
  double first_offload_kps = 0;
};

// The requests of one throughput run, built before any clock starts: `queries` keys alternating
// a random stored key and a never-stored one, as CanOffload and as Match batches of `batch`, and
// the never-stored ones (what CanOffload grants) as Register batches, as their uploader sends them.
// A first CanOffload stream of the same shape (other keys) meets an empty lease table; its leases
// are then released, so the measured stream meets a lease table at its high-water mark.
struct Workload {
  KeyBuffer stored, query, first_query;
  std::string value = std::string(8, 'v');
  std::vector<Message> first_offloads, first_releases, offloads, matches;
  std::vector<Register> registers;

  Workload(uint64_t entries, uint64_t queries, uint32_t batch) {
    stored.bytes.reserve(entries * 8);
    for (uint64_t i = 0; i < entries; ++i) stored.Add(Mix(2 * i));
    query.bytes.reserve(queries * 8);
    first_query.bytes.reserve(queries * 8);
    for (uint64_t i = 0; i < queries; ++i) {
      query.Add(i % 2 == 0 ? Mix(2 * (Mix(i) % entries)) : Mix(2 * (entries + i) + 1));
      first_query.Add(i % 2 == 0 ? Mix(2 * (Mix(queries + i) % entries))
                                 : Mix(2 * (entries + queries + i) + 1));
    }
    for (uint64_t i = 0; i < queries; i += batch) {
      KeyList keys, first_keys, first_granted;
      for (uint64_t j = i; j < std::min<uint64_t>(i + batch, queries); ++j) {
        keys.push_back(query.At(j));
        first_keys.push_back(first_query.At(j));
        if (j % 2 == 1) first_granted.push_back(first_query.At(j));
      }
      offloads.push_back(Message{ProtocolVersion::kV2, 7, 0, CanOffload{keys}});
      matches.push_back(Message{ProtocolVersion::kV2, 7, 0, Match{MatchMode::kAll, keys}});
      first_offloads.push_back(Message{ProtocolVersion::kV2, 7, 0, CanOffload{first_keys}});
      first_releases.push_back(Message{ProtocolVersion::kV2, 7, 0, Release{first_granted}});
    }
    for (uint64_t i = 1; i < queries; i += 2) {
      if (registers.empty() || registers.back().entries.size() == batch) registers.emplace_back();
      registers.back().entries.push_back(Entry{query.At(i), value, {}});
    }
  }
  uint64_t granted() const { return query.bytes.size() / 16; }
};

constexpr OwnerId kFiller = 1, kWorker = 7;

// Registers every stored key, in batches of `batch`; returns keys/s.
double Fill(HubCore& core, const Workload& w, uint32_t batch, TimePoint now) {
  const uint64_t entries = w.stored.bytes.size() / 8;
  Register reg;
  const auto t0 = SteadyTime::now();
  for (uint64_t i = 0; i < entries; i += batch) {
    const size_t n = std::min<uint64_t>(batch, entries - i);
    reg.entries.resize(n);
    for (size_t j = 0; j < n; ++j) reg.entries[j] = Entry{w.stored.At(i + j), w.value, {}};
    core.Apply(kFiller, reg, now);
  }
  return static_cast<double>(entries) / Seconds(t0, SteadyTime::now());
}

// Runs every message through Handle; returns keys/s.
double Queries(HubCore& core, const std::vector<Message>& messages, uint64_t keys, TimePoint now) {
  size_t sink = 0;
  const auto t0 = SteadyTime::now();
  for (const Message& m : messages) sink += core.Handle(kWorker, m, now).body.index();
  const double s = Seconds(t0, SteadyTime::now());
  if (sink == 0) std::printf("# (unreachable)\n");
  return static_cast<double>(keys) / s;
}

// Registers the granted keys; returns keys/s. Exits if the catalog did not end at `expected`.
double RegisterGranted(HubCore& core, const Workload& w, TimePoint now, uint64_t expected) {
  const auto t0 = SteadyTime::now();
  for (const Register& r : w.registers) core.Apply(kWorker, r, now);
  const double s = Seconds(t0, SteadyTime::now());
  if (core.entry_count() != expected) {
    std::fprintf(stderr, "core: %llu entries after registering the granted keys, expected %llu\n",
                 static_cast<unsigned long long>(core.entry_count()),
                 static_cast<unsigned long long>(expected));
    std::exit(1);
  }
  return static_cast<double>(w.granted()) / s;
}

// Two catalogs of `entries` keys, single thread, through HubCore::Handle/Apply:
//  1. capacity = entries (full): the fill rate; a first CanOffload stream into the empty lease
//     table (keys/s: the table grows as it goes), its leases released; then CanOffload and Match
//     keys/s (50% stored); then Register of the granted keys, each evicting one entry (with
//     --eviction none, which would reject them, this one has room like 2.);
//  2. capacity with room for the granted keys: fill, CanOffload (untimed), then Register keys/s of
//     the granted keys (each one found absent, its lease released, the entry added).
Figures RunThroughput(uint64_t entries, uint64_t queries, uint32_t batch, EvictionKind eviction) {
  const Workload w(entries, queries, batch);
  const TimePoint now(std::chrono::seconds(1));
  const uint64_t room = entries + w.granted();
  Figures f;
  {
    const uint64_t capacity = eviction == EvictionKind::kNone ? room : entries;
    HubCore core(BenchConfig(capacity, eviction), MakeMemoryCatalogStore());
    f.fill_kps = Fill(core, w, batch, now);
    f.first_offload_kps = Queries(core, w.first_offloads, queries, now);
    Queries(core, w.first_releases, queries / 2, now);
    if (core.active_leases() != 0) {
      std::fprintf(stderr, "core: %llu leases left after releasing the first stream's\n",
                   static_cast<unsigned long long>(core.active_leases()));
      std::exit(1);
    }
    f.offload_kps = Queries(core, w.offloads, queries, now);
    f.match_kps = Queries(core, w.matches, queries, now);
    f.evicting_register_kps = RegisterGranted(core, w, now, capacity == room ? room : entries);
  }
  HubCore core(BenchConfig(room, eviction), MakeMemoryCatalogStore());
  Fill(core, w, batch, now);
  Queries(core, w.offloads, queries, now);
  f.register_kps = RegisterGranted(core, w, now, room);
  return f;
}

// Grants `leases` leases at t0, then sweeps them all at t0 + TTL with Tick(now, max_work),
// reporting the longest single Tick.
void RunExpiry(uint64_t leases, size_t max_work) {
  HubConfig cfg = BenchConfig(1000);
  cfg.lease_ttl = std::chrono::milliseconds(1000);
  HubCore core(cfg, MakeMemoryCatalogStore());
  KeyBuffer keys;
  for (uint64_t i = 0; i < leases; ++i) keys.Add(Mix(i));
  const TimePoint t0(std::chrono::seconds(1));
  for (uint64_t i = 0; i < leases; i += 100) {
    CanOffload req;
    for (uint64_t j = i; j < std::min<uint64_t>(i + 100, leases); ++j)
      req.keys.push_back(keys.At(j));
    core.Handle(1, Message{ProtocolVersion::kV2, 1, 0, std::move(req)}, t0);
  }
  const TimePoint later = t0 + std::chrono::milliseconds(1000);
  double max_ms = 0, total_ms = 0;
  size_t ticks = 0, expired = 0;
  while (core.active_leases() > 0) {
    auto a = SteadyTime::now();
    expired += core.Tick(later, max_work);
    const double ms = Seconds(a, SteadyTime::now()) * 1e3;
    max_ms = std::max(max_ms, ms);
    total_ms += ms;
    ++ticks;
  }
  std::printf("RESULT core.lease_expiry.leases %zu leases\n", expired);
  std::printf("RESULT core.lease_expiry.ticks %zu ticks\n", ticks);
  std::printf("RESULT core.lease_expiry.max_tick_ms %.3f ms\n", max_ms);
  std::printf("RESULT core.lease_expiry.total_ms %.1f ms\n", total_ms);
}

void PrintThroughput(const char* label, const Figures& f) {
  std::printf("RESULT core.%s.fill_keys_per_s %.0f keys/s\n", label, f.fill_kps);
  std::printf("RESULT core.%s.register_keys_per_s %.0f keys/s\n", label, f.register_kps);
  std::printf("RESULT core.%s.register_evicting_keys_per_s %.0f keys/s\n", label,
              f.evicting_register_kps);
  std::printf("RESULT core.%s.can_offload_keys_per_s %.0f keys/s\n", label, f.offload_kps);
  std::printf("RESULT core.%s.can_offload_growing_leases_keys_per_s %.0f keys/s\n", label,
              f.first_offload_kps);
  std::printf("RESULT core.%s.match_keys_per_s %.0f keys/s\n", label, f.match_kps);
}

int RunCore(int argc, char** argv) {
  CLI::App app{"HubCore throughput (single thread, in-process) and lease-expiry Tick cost"};
  uint64_t entries = 10'000'000, small = 100'000, queries = 4'000'000, leases = 1'000'000;
  uint32_t batch = 100;
  size_t max_work = 4096;
  std::string eviction_name = "lru";
  app.add_option("--entries", entries, "catalog size of the large run (u64 keys)");
  app.add_option("--small-entries", small, "catalog size of the small run (for the ratio)");
  app.add_option("--queries", queries, "keys queried per operation (50% stored)");
  app.add_option("--batch", batch, "keys per request")->check(CLI::Range(1, 65536));
  app.add_option("--leases", leases, "leases expiring at once for the Tick measurement");
  app.add_option("--max-work", max_work, "Tick(now, max_work) budget");
  app.add_option("--eviction", eviction_name, "eviction policy of both catalogs (none, lru, tail)")
      ->capture_default_str();
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  const Result<EvictionKind> eviction = ParseEvictionKind(eviction_name);
  if (!eviction.has_value() || *eviction == EvictionKind::kPositional) {
    std::fprintf(stderr, "core: --eviction must be none, lru or tail (u64 keys)\n");
    return 2;
  }
  std::printf(
      "# large catalog: %llu entries; small: %llu; %llu query keys; batch %u; eviction %s\n",
      static_cast<unsigned long long>(entries), static_cast<unsigned long long>(small),
      static_cast<unsigned long long>(queries), batch, eviction_name.c_str());
  // First, on a fresh heap: after the throughput runs free their gigabytes, glibc returns that
  // memory to the system (heap trim) inside whichever later free() comes first, here a Tick
  // (~6 ms measured) — that is the allocator's bookkeeping of earlier runs, not the cost of Tick.
  RunExpiry(leases, max_work);
  const Figures big = RunThroughput(entries, queries, batch, *eviction);
  PrintThroughput("large", big);
  const Figures little = RunThroughput(small, queries, batch, *eviction);
  PrintThroughput("small", little);
  std::printf("RESULT core.ratio.register %.2f large/small\n",
              big.register_kps / little.register_kps);
  std::printf("RESULT core.ratio.can_offload %.2f large/small\n",
              big.offload_kps / little.offload_kps);
  std::printf("RESULT core.ratio.match %.2f large/small\n", big.match_kps / little.match_kps);
  std::printf("RESULT core.ratio.can_offload_growing_leases %.2f large/small\n",
              big.first_offload_kps / little.first_offload_kps);
  std::printf("RESULT core.ratio.register_evicting %.2f large/small\n",
              big.evicting_register_kps / little.evicting_register_kps);
  return 0;
}

uint64_t ResidentBytes() {
  std::ifstream statm("/proc/self/statm");
  uint64_t size = 0, resident = 0;
  statm >> size >> resident;
  return resident * static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
}

// RemoteKey Object{bucket "b", key = 16 hex digits of the sequence hash}: 22 bytes.
std::string RemoteKeyValue(uint64_t hash) {
  char hex[17];
  std::snprintf(hex, sizeof(hex), "%016llx", static_cast<unsigned long long>(hash));
  std::string v(
      "\x00\x01\x00"
      "b"
      "\x10\x00",
      6);
  v.append(hex, 16);
  return v;
}

// Fills a fresh core with `entries` entries and prints resident bytes per entry. Keys and values
// are generated per batch, so only the core's memory grows.
void MeasureMemory(const char* label, bool positional, uint64_t entries) {
  HubConfig cfg = BenchConfig(entries);
  if (positional) cfg.limits.key_format = KeyFormat::kPositional;
  const uint64_t before = ResidentBytes();
  HubCore core(cfg, MakeMemoryCatalogStore());
  const TimePoint now(std::chrono::seconds(1));
  std::vector<std::string> keys(1000), values(1000);
  Register reg;
  for (uint64_t i = 0; i < entries; i += 1000) {
    const size_t n = std::min<uint64_t>(1000, entries - i);
    reg.entries.resize(n);
    for (size_t j = 0; j < n; ++j) {
      const uint64_t h = Mix(i + j);
      if (positional) {
        keys[j] = EncodePositionalKey(
            PositionalKey{(i + j) % 8, h, static_cast<uint32_t>((i + j) % 512)});
        values[j] = RemoteKeyValue(h);
      } else {
        keys[j].assign(reinterpret_cast<const char*>(&h), 8);
        values[j].assign(reinterpret_cast<const char*>(&i), 8);
      }
      reg.entries[j] = Entry{keys[j], values[j], {}};
    }
    core.Apply(1, reg, now);
  }
  const uint64_t after = ResidentBytes();
  std::printf("RESULT memory.%s.entries %llu entries\n", label,
              static_cast<unsigned long long>(core.entry_count()));
  std::printf("RESULT memory.%s.bytes_per_entry %.1f bytes\n", label,
              static_cast<double>(after - before) / static_cast<double>(entries));
  std::fflush(stdout);
}

int RunMemory(int argc, char** argv) {
  CLI::App app{"Resident bytes per catalog entry (each kind measured in its own child process)"};
  uint64_t entries = 10'000'000;
  app.add_option("--entries", entries, "entries per measurement");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  struct Kind {
    const char* label;
    bool positional;
  };
  for (Kind k : {Kind{"u64_u64_lru", false}, Kind{"positional_remotekey_lru", true}}) {
    std::fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
      MeasureMemory(k.label, k.positional, entries);
      _exit(0);
    }
    int status = 0;
    if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
        WEXITSTATUS(status) != 0) {
      std::fprintf(stderr, "memory: measurement %s failed\n", k.label);
      return 1;
    }
  }
  return 0;
}

Registrar core_registrar("core",
                         "HubCore keys/s (CanOffload, Register, Match) and lease-expiry Tick",
                         RunCore);
Registrar memory_registrar("memory", "resident bytes per catalog entry (u64->u64, positional)",
                           RunMemory);

}  // namespace
}  // namespace blockhub::bench
