// The on-disk layouts of hub/persistence/FORMAT.md: records, segment headers, snapshots.
#include "hub/persistence/log_format.h"

#include <doctest/doctest.h>

#include "common/bytes.h"

namespace blockhub::persistence {
namespace {

TEST_CASE("insert and erase records round-trip with their sequence numbers") {
  std::string buf;
  AppendInsertRecord(buf, 7, Entry{"key1", "value", "meta"});
  size_t first = buf.size();
  AppendEraseRecord(buf, 8, "key1");
  CHECK(first == kRecordHeaderBytes + 2 + 4 + 2 + 5 + 2 + 4);

  ParsedRecord a = ParseRecord(buf);
  REQUIRE(a.outcome == ParseOutcome::kOk);
  CHECK(a.size == first);
  CHECK(a.record.seq == 7);
  CHECK(a.record.type == RecordType::kInsert);
  CHECK(a.record.entry == Entry{"key1", "value", "meta"});

  ParsedRecord b = ParseRecord(std::string_view(buf).substr(first));
  REQUIRE(b.outcome == ParseOutcome::kOk);
  CHECK(b.record.seq == 8);
  CHECK(b.record.type == RecordType::kErase);
  CHECK(b.record.entry.key == "key1");
}

TEST_CASE("every truncation of a record is incomplete, never ok") {
  std::string buf;
  AppendInsertRecord(buf, 1, Entry{"k", "v", ""});
  for (size_t n = 0; n < buf.size(); ++n) {
    CAPTURE(n);
    CHECK(ParseRecord(std::string_view(buf).substr(0, n)).outcome == ParseOutcome::kIncomplete);
  }
}

TEST_CASE("every flipped byte of a record is detected") {
  std::string good;
  AppendInsertRecord(good, 3, Entry{"key", "value", "m"});
  for (size_t i = 0; i < good.size(); ++i) {
    std::string bad = good;
    bad[i] = static_cast<char>(bad[i] ^ 0x40);
    CAPTURE(i);
    CHECK(ParseRecord(bad).outcome != ParseOutcome::kOk);
  }
}

TEST_CASE("a corrupt record with a plausible length reports its size but an absurd length none") {
  std::string buf;
  AppendInsertRecord(buf, 3, Entry{"key", "value", ""});
  buf[kRecordHeaderBytes] ^= 1;  // payload byte
  ParsedRecord p = ParseRecord(buf);
  CHECK(p.outcome == ParseOutcome::kCorrupt);
  CHECK(p.size == buf.size());
  StoreU32(buf.data() + 8, kMaxRecordPayload + 1);
  p = ParseRecord(buf);
  CHECK(p.outcome == ParseOutcome::kCorrupt);
  CHECK(p.size == 0);
}

TEST_CASE("segment header round-trips and rejects damage") {
  std::string h = EncodeSegmentHeader(12345);
  CHECK(h.size() == kSegmentHeaderBytes);
  auto seq = ParseSegmentHeader(h);
  REQUIRE(seq.has_value());
  CHECK(*seq == 12345);
  h[9] ^= 1;
  CHECK(ParseSegmentHeader(h).error().code() == StatusCode::kCorrupt);
  CHECK(!ParseSegmentHeader(h.substr(0, 10)).has_value());
}

std::string BuildSnapshot(uint64_t base, int n, int per_chunk) {
  std::string out = EncodeSnapshotHeader(base);
  SnapshotChunkBuilder chunk;
  std::vector<std::string> keys;
  for (int i = 0; i < n; ++i) keys.push_back("key" + std::to_string(i));
  for (int i = 0; i < n; ++i) {
    chunk.Add(Entry{keys[i], "val", i % 2 ? "meta" : ""});
    if (static_cast<int>(chunk.count()) == per_chunk) out += chunk.Take();
  }
  if (chunk.count() > 0) out += chunk.Take();
  return out + EncodeSnapshotFooter(n);
}

TEST_CASE("a snapshot validates, reports its base and count, and yields every entry") {
  std::string snap = BuildSnapshot(99, 10, 3);
  auto info = ValidateSnapshot(snap);
  REQUIRE(info.has_value());
  CHECK(info->base_seq == 99);
  CHECK(info->entries == 10);
  std::vector<std::string> seen;
  ForEachSnapshotEntry(snap, [&](const Entry& e) {
    seen.emplace_back(e.key);
    CHECK(e.value == "val");
  });
  REQUIRE(seen.size() == 10);
  CHECK(seen[9] == "key9");

  std::string empty = EncodeSnapshotHeader(0) + EncodeSnapshotFooter(0);
  REQUIRE(ValidateSnapshot(empty).has_value());
  CHECK(ValidateSnapshot(empty)->entries == 0);
}

TEST_CASE("a damaged, truncated or extended snapshot is rejected") {
  std::string snap = BuildSnapshot(5, 20, 6);
  for (size_t i = 0; i < snap.size(); i += 7) {
    std::string bad = snap;
    bad[i] = static_cast<char>(bad[i] ^ 0x10);
    CAPTURE(i);
    CHECK(ValidateSnapshot(bad).error().code() == StatusCode::kCorrupt);
  }
  CHECK(!ValidateSnapshot(snap.substr(0, snap.size() - 1)).has_value());  // no complete footer
  CHECK(!ValidateSnapshot(snap + "x").has_value());
  // A snapshot without its footer (writer died before End) is never valid.
  std::string no_footer = snap.substr(0, snap.size() - kChunkHeaderBytes - 8);
  CHECK(!ValidateSnapshot(no_footer).has_value());
}

}  // namespace
}  // namespace blockhub::persistence
