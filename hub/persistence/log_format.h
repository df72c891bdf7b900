// The on-disk byte layouts of the persistence layer (hub/persistence/FORMAT.md is the prose
// version): write-ahead-log segment headers and records, snapshot headers, chunks and footers.
// Pure functions over byte buffers: no I/O, no allocation beyond the caller's output string.
// Every length read from disk is checked against the bytes present before it is used.
//
//   segment  := seg_header record*
//   seg_header (24) := "BHWAL001" | first_seq u64 | xxh3 u64 (of the first 16 bytes)
//   record   := checksum u64 | payload_len u32 | type u8 | seq u64 | payload
//               checksum = XXH3-64 of everything after itself (len, type, seq, payload)
//   insert payload := lp16 key | lp16 value | lp16 metadata;  erase payload := lp16 key
//
//   snapshot := snap_header chunk* footer
//   snap_header (32) := "BHSNAP01" | version u32 (=1) | reserved u32 | base_seq u64 | xxh3 u64
//   chunk    := checksum u64 | payload_len u32 | count u32 | payload (count x insert payload)
//   footer   := a chunk with count = 0xFFFFFFFF and payload = total_entries u64; then EOF
//
// Thread-safe (stateless).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "codec/message.h"
#include "common/status.h"

namespace blockhub::persistence {

inline constexpr size_t kSegmentHeaderBytes = 24;
inline constexpr size_t kRecordHeaderBytes = 21;
inline constexpr uint32_t kMaxRecordPayload = 3 * (2 + 65535);
inline constexpr size_t kSnapshotHeaderBytes = 32;
inline constexpr size_t kChunkHeaderBytes = 16;
inline constexpr uint32_t kFooterMark = 0xFFFFFFFFu;
inline constexpr uint32_t kMaxChunkPayload = 64u << 20;

enum class RecordType : uint8_t { kInsert = 1, kErase = 2 };

struct WalRecord {
  uint64_t seq = 0;
  RecordType type = RecordType::kInsert;
  Entry entry;  // borrows from the parsed buffer; erase records carry only the key
};

// Appends one record to `out`. Keys/values/metadata longer than 65535 bytes are a programmer
// error (the codec's limits keep them far below).
void AppendInsertRecord(std::string& out, uint64_t seq, const Entry& entry);
void AppendEraseRecord(std::string& out, uint64_t seq, std::string_view key);

enum class ParseOutcome : uint8_t {
  kOk,          // a valid record of `size` bytes
  kIncomplete,  // the bytes end inside the record (a torn write at the tail)
  kCorrupt,     // checksum mismatch or impossible fields; `size` is the declared size if plausible
};
struct ParsedRecord {
  ParseOutcome outcome = ParseOutcome::kCorrupt;
  WalRecord record;
  size_t size = 0;  // 0 when no plausible size is known
  const char* reason = "";
};
// Parses the record at the start of `data`.
ParsedRecord ParseRecord(std::string_view data);

std::string EncodeSegmentHeader(uint64_t first_seq);
// The first_seq of a valid header, or Corrupt.
Result<uint64_t> ParseSegmentHeader(std::string_view data);

std::string EncodeSnapshotHeader(uint64_t base_seq);

// Builds snapshot chunks: Add entries, then Take() the finished chunk bytes (and start anew).
class SnapshotChunkBuilder {
 public:
  SnapshotChunkBuilder() { Reset(); }
  void Add(const Entry& entry);
  uint32_t count() const { return count_; }
  size_t bytes() const { return buf_.size(); }
  // Seals the chunk (checksum, lengths) and moves its bytes out.
  std::string Take();

 private:
  void Reset();
  std::string buf_;
  uint32_t count_ = 0;
};

std::string EncodeSnapshotFooter(uint64_t total_entries);

struct SnapshotInfo {
  uint64_t base_seq = 0;
  uint64_t entries = 0;
};
// Checks a whole snapshot file image (header, every chunk checksum, footer, totals, nothing after
// the footer) without visiting entries. Corrupt status says what and at which offset.
Result<SnapshotInfo> ValidateSnapshot(std::string_view data);
// Visits the entries of an image that passed ValidateSnapshot.
void ForEachSnapshotEntry(std::string_view data, const std::function<void(const Entry&)>& fn);

}  // namespace blockhub::persistence
