// Persistence end to end on a real temp dir: changes made through HubCore are logged, snapshotted
// while serving, and recovered into a fresh core after Close or after damage to the files.
#include "hub/persistence/persistence.h"

#include <doctest/doctest.h>

#include <fstream>
#include <random>

#include "hub/persistence/log_format.h"
#include "tests/persistence/persistence_test_util.h"

namespace blockhub::persistence {
namespace {

using namespace testing;  // NOLINT

ManualClock clock_;

std::unique_ptr<Persistence> OpenOk(const PersistenceConfig& config, HubCore& core) {
  auto p = Persistence::Open(config, core, clock_);
  REQUIRE_MESSAGE(p.has_value(), p.status().ToString());
  return std::move(*p);
}

// Recovers `config.data_dir` into a fresh core and returns both.
struct Reopened {
  std::unique_ptr<HubCore> core;
  std::unique_ptr<Persistence> p;
};
Reopened Reopen(const PersistenceConfig& config, uint64_t capacity = 1'000'000) {
  Reopened r;
  r.core = MakeCore(capacity);
  r.p = OpenOk(config, *r.core);
  return r;
}

bool SnapshotNow(Persistence& p) {
  uint64_t want = p.snapshots_completed() + 1;
  p.RequestSnapshot();
  return PumpUntil(p, [&] { return p.snapshots_completed() >= want && !p.snapshot_in_progress(); });
}

std::vector<uint64_t> Segments(const std::string& dir_path) {
  std::vector<uint64_t> out;
  for (const auto& f : std::filesystem::directory_iterator(dir_path)) {
    std::string n = f.path().filename().string();
    if (n.rfind("wal-", 0) == 0 && n.size() == 28) out.push_back(std::stoull(n.substr(4, 20)));
  }
  std::sort(out.begin(), out.end());
  return out;
}

// Offsets of the records in a segment file.
std::vector<size_t> RecordOffsets(const std::string& bytes) {
  std::vector<size_t> out;
  size_t off = kSegmentHeaderBytes;
  while (off < bytes.size()) {
    ParsedRecord p = ParseRecord(std::string_view(bytes).substr(off));
    if (p.outcome != ParseOutcome::kOk) break;
    out.push_back(off);
    off += p.size;
  }
  return out;
}

TEST_CASE("an empty data dir recovers to an empty catalog and starts logging at seq 1") {
  TempDir tmp;
  auto core = MakeCore();
  auto p = OpenOk(TestConfig(tmp.path()), *core);
  CHECK(p->recovery().snapshot_base == 0);
  CHECK(p->recovery().records_replayed == 0);
  CHECK(core->entry_count() == 0);
  RegisterRange(*core, 0, 3, clock_.Now());
  CHECK(p->last_appended_seq() == 3);
  REQUIRE(WaitDurable(*p));
  CHECK(p->durable_seq() == 3);
  CHECK(p->health().ok());
}

TEST_CASE("recovery = newest snapshot + the log after it") {
  TempDir tmp;
  auto config = TestConfig(tmp.path());
  Content expected;
  {
    auto core = MakeCore();
    auto p = OpenOk(config, *core);
    RegisterRange(*core, 0, 100, clock_.Now());
    REQUIRE(SnapshotNow(*p));
    RegisterRange(*core, 100, 150, clock_.Now());
    CHECK(RemoveKeys(*core, {3, 120, 149}, clock_.Now()) == 3);
    expected = ContentOf(*core);
    REQUIRE(p->Close().ok());
  }
  auto r = Reopen(config);
  CHECK(r.p->recovery().snapshot_base == 100);
  CHECK(r.p->recovery().snapshot_entries == 100);
  CHECK(r.p->recovery().records_replayed == 53);
  CHECK(r.p->recovery().last_seq == 153);
  CHECK(ContentOf(*r.core) == expected);
  CHECK(expected.size() == 147);
  // Logging continues after the recovered sequence.
  RegisterRange(*r.core, 500, 501, clock_.Now());
  CHECK(r.p->last_appended_seq() == 154);
}

TEST_CASE("erases by Remove and by eviction survive recovery") {
  TempDir tmp;
  auto config = TestConfig(tmp.path());
  Content expected;
  {
    auto core = MakeCore(/*capacity=*/50, EvictionKind::kLru);
    auto p = OpenOk(config, *core);
    RegisterRange(*core, 0, 40, clock_.Now());
    REQUIRE(SnapshotNow(*p));
    RegisterRange(*core, 40, 80, clock_.Now());  // evicts 30
    CHECK(core->counters().entries_evicted == 30);
    CHECK(RemoveKeys(*core, {79, 78}, clock_.Now()) == 2);
    expected = ContentOf(*core);
    CHECK(expected.size() == 48);
    REQUIRE(p->Close().ok());
  }
  auto r = Reopen(config, 50);
  CHECK(ContentOf(*r.core) == expected);
}

TEST_CASE("a torn last record is dropped, logged, truncated away, and the rest recovered") {
  TempDir tmp;
  auto config = TestConfig(tmp.path());
  Content expected;
  {
    auto core = MakeCore();
    auto p = OpenOk(config, *core);
    RegisterRange(*core, 0, 19, clock_.Now());
    expected = ContentOf(*core);
    RegisterRange(*core, 19, 20, clock_.Now());
    REQUIRE(p->Close().ok());
  }
  std::string seg = tmp.Sub("wal-00000000000000000001.log");
  auto size = std::filesystem::file_size(seg);
  std::filesystem::resize_file(seg, size - 3);  // the last write reached the disk only in part
  LogCapture log;
  auto r = Reopen(config);
  CHECK(ContentOf(*r.core) == expected);
  CHECK(r.p->recovery().last_seq == 19);
  CHECK_FALSE(r.p->recovery().stopped_at_corruption);
  std::string last_record;
  AppendInsertRecord(last_record, 20, Entry{Key(19), "v19", "m"});
  CHECK(r.p->recovery().torn_bytes_dropped == last_record.size() - 3);
  CHECK(std::filesystem::file_size(seg) == size - last_record.size());
  CHECK(log.Contains("torn tail at offset " + std::to_string(size - last_record.size())));
  CHECK(log.Contains("dropped " + std::to_string(last_record.size() - 3) + " bytes"));
}

TEST_CASE("garbage after the last record (a torn group commit) is dropped") {
  TempDir tmp;
  auto config = TestConfig(tmp.path());
  {
    auto core = MakeCore();
    auto p = OpenOk(config, *core);
    RegisterRange(*core, 0, 10, clock_.Now());
    REQUIRE(p->Close().ok());
  }
  std::ofstream(tmp.Sub("wal-00000000000000000001.log"), std::ios::app) << std::string(300, '\0');
  LogCapture log;
  auto r = Reopen(config);
  CHECK(r.core->entry_count() == 10);
  CHECK(r.p->recovery().torn_bytes_dropped == 300);
  CHECK(log.Contains("torn tail"));
}

TEST_CASE("a corrupt record in the middle stops replay there, says so, and the log stays usable") {
  TempDir tmp;
  auto config = TestConfig(tmp.path());
  {
    auto core = MakeCore();
    auto p = OpenOk(config, *core);
    RegisterRange(*core, 0, 10, clock_.Now());  // seqs 1..10
    REQUIRE(p->Close().ok());
  }
  std::string seg = tmp.Sub("wal-00000000000000000001.log");
  std::string bytes = *ReadWholeFile(seg);
  auto offsets = RecordOffsets(bytes);
  REQUIRE(offsets.size() == 10);
  size_t bad = offsets[4];  // seq 5
  bytes[bad + kRecordHeaderBytes + 3] ^= 0x5a;
  std::ofstream(seg, std::ios::binary | std::ios::trunc) << bytes;

  Content expected;
  {
    LogCapture log;
    auto r = Reopen(config);
    CHECK(r.core->entry_count() == 4);
    for (uint64_t i = 0; i < 4; ++i) CHECK(ContentOf(*r.core).count(Key(i)) == 1);
    CHECK(r.p->recovery().stopped_at_corruption);
    CHECK(r.p->recovery().last_seq == 4);
    CHECK(log.Contains("corrupt in the middle"));
    CHECK(log.Contains("offset " + std::to_string(bad) + ": record checksum mismatch"));
    CHECK(log.Contains("replay stopped after seq 4"));
    CHECK(std::filesystem::file_size(seg + ".corrupt") == bytes.size() - bad);
    CHECK(std::filesystem::file_size(seg) == bad);
    RegisterRange(*r.core, 100, 103, clock_.Now());  // seqs 5..7 in a new segment
    expected = ContentOf(*r.core);
    REQUIRE(r.p->Close().ok());
  }
  LogCapture log;
  auto r = Reopen(config);
  CHECK(ContentOf(*r.core) == expected);
  CHECK_FALSE(r.p->recovery().stopped_at_corruption);
  CHECK_FALSE(log.Contains("corrupt"));
}

TEST_CASE("a second hub on the same data dir refuses to start") {
  TempDir tmp;
  auto core1 = MakeCore();
  auto p1 = OpenOk(TestConfig(tmp.path()), *core1);
  auto core2 = MakeCore();
  auto p2 = Persistence::Open(TestConfig(tmp.path()), *core2, clock_);
  REQUIRE_FALSE(p2.has_value());
  CHECK(p2.error().code() == StatusCode::kUnavailable);
  CHECK(p2.error().message().find(tmp.path()) != std::string::npos);
  CHECK(p2.error().message().find("pid") != std::string::npos);
  REQUIRE(p1->Close().ok());
}

TEST_CASE("a snapshot taken while the catalog changes recovers to the live content") {
  TempDir tmp;
  auto config = TestConfig(tmp.path());
  config.snapshot_chunk_entries = 16;
  Content expected;
  std::mt19937_64 rng(42);
  {
    auto core = MakeCore();
    auto p = OpenOk(config, *core);
    RegisterRange(*core, 0, 600, clock_.Now());
    uint64_t next = 600;
    p->RequestSnapshot();
    int steps = 0;
    bool done = PumpUntil(*p, [&] {
      // Between two walk chunks: insert new keys, erase old and new ones.
      RegisterRange(*core, next, next + 3, clock_.Now());
      next += 3;
      RemoveKeys(*core, {rng() % next, rng() % next}, clock_.Now());
      ++steps;
      return p->snapshots_completed() == 1 && !p->snapshot_in_progress();
    });
    REQUIRE(done);
    CHECK(steps > 20);  // the walk really was interleaved with changes
    RegisterRange(*core, next, next + 10, clock_.Now());
    expected = ContentOf(*core);
    REQUIRE(p->Close().ok());
  }
  auto r = Reopen(config);
  CHECK(r.p->recovery().snapshot_base >= 600);
  CHECK(r.p->recovery().snapshot_entries > 0);
  CHECK(ContentOf(*r.core) == expected);
}

TEST_CASE("a corrupt newest snapshot falls back to the older one plus the log") {
  TempDir tmp;
  auto config = TestConfig(tmp.path());
  Content expected;
  uint64_t older_base = 0;
  {
    auto core = MakeCore();
    auto p = OpenOk(config, *core);
    RegisterRange(*core, 0, 50, clock_.Now());
    REQUIRE(SnapshotNow(*p));
    older_base = p->last_appended_seq();
    RegisterRange(*core, 50, 90, clock_.Now());
    RemoveKeys(*core, {1, 60}, clock_.Now());
    REQUIRE(SnapshotNow(*p));
    RegisterRange(*core, 90, 95, clock_.Now());
    expected = ContentOf(*core);
    REQUIRE(p->Close().ok());
  }
  std::string newest = tmp.Sub("snap-00000000000000000092.snap");
  std::string bytes = *ReadWholeFile(newest);
  bytes[bytes.size() / 2] ^= 1;
  std::ofstream(newest, std::ios::binary | std::ios::trunc) << bytes;
  LogCapture log;
  auto r = Reopen(config);
  CHECK(r.p->recovery().corrupt_snapshots == 1);
  CHECK(r.p->recovery().snapshot_base == older_base);
  CHECK(ContentOf(*r.core) == expected);
  CHECK(log.Contains("snapshot " + newest + " is corrupt"));
  CHECK(std::filesystem::exists(newest + ".corrupt"));
}

TEST_CASE("retention keeps the newest snapshots and prunes the log segments before them") {
  TempDir tmp;
  auto config = TestConfig(tmp.path());
  config.snapshot_retention = 2;
  config.segment_bytes = 4096;  // ~100 records per segment
  Content expected;
  std::vector<uint64_t> bases;
  {
    auto core = MakeCore();
    auto p = OpenOk(config, *core);
    for (uint64_t round = 0; round < 5; ++round) {
      RegisterRange(*core, round * 300, round * 300 + 300, clock_.Now());
      RemoveKeys(*core, {round * 300}, clock_.Now());
      REQUIRE(WaitDurable(*p));  // hand over in several batches so segments roll
      bases.push_back(p->last_appended_seq());
      REQUIRE(SnapshotNow(*p));
    }
    RegisterRange(*core, 5000, 5010, clock_.Now());
    expected = ContentOf(*core);
    REQUIRE(p->Close().ok());
  }
  auto snaps = std::vector<uint64_t>{};
  for (const auto& f : std::filesystem::directory_iterator(tmp.path())) {
    std::string n = f.path().filename().string();
    if (n.rfind("snap-", 0) == 0) snaps.push_back(std::stoull(n.substr(5, 20)));
  }
  std::sort(snaps.begin(), snaps.end());
  CHECK(snaps == std::vector<uint64_t>{bases[3], bases[4]});
  auto segs = Segments(tmp.path());
  REQUIRE(segs.size() >= 2);
  CHECK(segs[0] <= bases[3] + 1);  // the oldest kept snapshot's log is still there ...
  CHECK(segs[1] > bases[3] + 1);   // ... and nothing older than needed
  auto r = Reopen(config);
  CHECK(ContentOf(*r.core) == expected);
}

TEST_CASE("group commit: many hand-overs share few fsyncs, unsynced changes become durable") {
  TempDir tmp;
  auto config = TestConfig(tmp.path());
  config.commit_interval = std::chrono::milliseconds(50);
  auto core = MakeCore();
  auto p = OpenOk(config, *core);
  for (uint64_t i = 0; i < 200; ++i) {
    RegisterRange(*core, i * 10, i * 10 + 10, clock_.Now());
    p->Pump();  // non-urgent hand-over: waits for company up to the commit interval
  }
  CHECK(p->last_appended_seq() == 2000);
  // Fire-and-forget changes are durable within the commit interval without anyone asking.
  REQUIRE(PumpUntil(*p, [&] { return p->durable_seq() == 2000; }));
  CHECK(p->wal_fsyncs() < 20);
  CHECK(p->durable_seq() <= p->last_appended_seq());
}

}  // namespace
}  // namespace blockhub::persistence

namespace blockhub::persistence {
namespace {

using namespace testing;  // NOLINT

TEST_CASE("a sync point is fsync'd without waiting out the commit interval") {
  TempDir tmp;
  auto config = TestConfig(tmp.path());
  config.commit_interval = std::chrono::seconds(10);
  ManualClock clock;
  auto core = MakeCore();
  auto opened = Persistence::Open(config, *core, clock);
  REQUIRE(opened.has_value());
  Persistence& p = **opened;
  SUBCASE("sync point before the hand-over") { RegisterRange(*core, 0, 5, clock.Now()); }
  SUBCASE("sync point after a non-urgent hand-over") {
    RegisterRange(*core, 0, 5, clock.Now());
    p.Pump();
  }
  uint64_t seq = p.SyncPoint();
  CHECK(seq == 5);
  CHECK(PumpUntil(
      p, [&] { return p.durable_seq() >= seq; }, std::chrono::seconds(5)));
}

}  // namespace
}  // namespace blockhub::persistence
