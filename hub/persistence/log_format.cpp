#include "hub/persistence/log_format.h"

#include <xxhash.h>

#include <cassert>

#include "common/bytes.h"

namespace blockhub::persistence {
namespace {

constexpr std::string_view kSegmentMagic = "BHWAL001";
constexpr std::string_view kSnapshotMagic = "BHSNAP01";
constexpr uint32_t kSnapshotVersion = 1;

uint64_t Hash(std::string_view b) { return XXH3_64bits(b.data(), b.size()); }

Status CorruptError(std::string m) { return {StatusCode::kCorrupt, std::move(m)}; }

void AppendEntryPayload(ByteWriter& w, const Entry& e) {
  assert(e.key.size() <= 65535 && e.value.size() <= 65535 && e.metadata.size() <= 65535);
  w.Lp16(e.key);
  w.Lp16(e.value);
  w.Lp16(e.metadata);
}

bool ReadLp16(ByteReader& r, std::string_view& out) {
  uint16_t n = 0;
  return r.U16(n) && r.Raw(n, out);
}

bool ReadEntryPayload(ByteReader& r, Entry& e) {
  return ReadLp16(r, e.key) && ReadLp16(r, e.value) && ReadLp16(r, e.metadata);
}

// Writes the record header around a payload appended by `body`, then the checksum.
template <typename Body>
void AppendRecord(std::string& out, uint64_t seq, RecordType type, Body&& body) {
  size_t start = out.size();
  ByteWriter w(out);
  w.U64(0);  // checksum, patched below
  w.U32(0);  // payload length, patched below
  w.U8(static_cast<uint8_t>(type));
  w.U64(seq);
  body(w);
  auto payload_len = static_cast<uint32_t>(out.size() - start - kRecordHeaderBytes);
  StoreU32(out.data() + start + 8, payload_len);
  StoreU64(out.data() + start, Hash(std::string_view(out).substr(start + 8)));
}

}  // namespace

void AppendInsertRecord(std::string& out, uint64_t seq, const Entry& entry) {
  AppendRecord(out, seq, RecordType::kInsert, [&](ByteWriter& w) { AppendEntryPayload(w, entry); });
}

void AppendEraseRecord(std::string& out, uint64_t seq, std::string_view key) {
  AppendRecord(out, seq, RecordType::kErase, [&](ByteWriter& w) { w.Lp16(key); });
}

ParsedRecord ParseRecord(std::string_view data) {
  ParsedRecord p;
  if (data.size() < kRecordHeaderBytes) {
    p.outcome = ParseOutcome::kIncomplete;
    p.reason = "record header cut short";
    return p;
  }
  uint32_t len = LoadU32(data.data() + 8);
  if (len > kMaxRecordPayload) {
    p.reason = "record length out of range";
    return p;
  }
  p.size = kRecordHeaderBytes + len;
  if (data.size() < p.size) {
    p.outcome = ParseOutcome::kIncomplete;
    p.reason = "record extends past the end of the file";
    return p;
  }
  if (Hash(data.substr(8, p.size - 8)) != LoadU64(data.data())) {
    p.reason = "record checksum mismatch";
    return p;
  }
  auto type = static_cast<uint8_t>(data[12]);
  p.record.seq = LoadU64(data.data() + 13);
  ByteReader r(data.substr(kRecordHeaderBytes, len));
  bool ok = false;
  if (type == static_cast<uint8_t>(RecordType::kInsert)) {
    p.record.type = RecordType::kInsert;
    ok = ReadEntryPayload(r, p.record.entry) && r.empty();
  } else if (type == static_cast<uint8_t>(RecordType::kErase)) {
    p.record.type = RecordType::kErase;
    ok = ReadLp16(r, p.record.entry.key) && r.empty();
  }
  if (!ok) {
    p.reason = "record payload malformed";
    return p;
  }
  p.outcome = ParseOutcome::kOk;
  return p;
}

std::string EncodeSegmentHeader(uint64_t first_seq) {
  std::string out;
  ByteWriter w(out);
  w.Raw(kSegmentMagic);
  w.U64(first_seq);
  w.U64(Hash(out));
  return out;
}

Result<uint64_t> ParseSegmentHeader(std::string_view data) {
  if (data.size() < kSegmentHeaderBytes) return CorruptError("segment header cut short");
  if (data.substr(0, 8) != kSegmentMagic) return CorruptError("bad segment magic");
  if (Hash(data.substr(0, 16)) != LoadU64(data.data() + 16)) {
    return CorruptError("segment header checksum mismatch");
  }
  return LoadU64(data.data() + 8);
}

std::string EncodeSnapshotHeader(uint64_t base_seq) {
  std::string out;
  ByteWriter w(out);
  w.Raw(kSnapshotMagic);
  w.U32(kSnapshotVersion);
  w.U32(0);
  w.U64(base_seq);
  w.U64(Hash(out));
  return out;
}

void SnapshotChunkBuilder::Reset() {
  buf_.clear();
  buf_.append(kChunkHeaderBytes, '\0');
  count_ = 0;
}

void SnapshotChunkBuilder::Add(const Entry& entry) {
  ByteWriter w(buf_);
  AppendEntryPayload(w, entry);
  ++count_;
}

namespace {
void SealChunk(std::string& buf, uint32_t count) {
  StoreU32(buf.data() + 8, static_cast<uint32_t>(buf.size() - kChunkHeaderBytes));
  StoreU32(buf.data() + 12, count);
  StoreU64(buf.data(), Hash(std::string_view(buf).substr(8)));
}
}  // namespace

std::string SnapshotChunkBuilder::Take() {
  SealChunk(buf_, count_);
  std::string out = std::move(buf_);
  buf_ = std::string();
  buf_.reserve(out.capacity());
  Reset();
  return out;
}

std::string EncodeSnapshotFooter(uint64_t total_entries) {
  std::string out(kChunkHeaderBytes, '\0');
  ByteWriter w(out);
  w.U64(total_entries);
  SealChunk(out, kFooterMark);
  return out;
}

Result<SnapshotInfo> ValidateSnapshot(std::string_view data) {
  if (data.size() < kSnapshotHeaderBytes) return CorruptError("snapshot header cut short");
  if (data.substr(0, 8) != kSnapshotMagic) return CorruptError("bad snapshot magic");
  if (Hash(data.substr(0, 24)) != LoadU64(data.data() + 24)) {
    return CorruptError("snapshot header checksum mismatch");
  }
  if (LoadU32(data.data() + 8) != kSnapshotVersion) {
    return CorruptError("unsupported snapshot version");
  }
  SnapshotInfo info{LoadU64(data.data() + 16), 0};
  size_t off = kSnapshotHeaderBytes;
  while (true) {
    auto where = " at offset " + std::to_string(off);
    if (data.size() - off < kChunkHeaderBytes) return CorruptError("snapshot cut short" + where);
    uint32_t len = LoadU32(data.data() + off + 8);
    uint32_t count = LoadU32(data.data() + off + 12);
    if (len > kMaxChunkPayload || data.size() - off - kChunkHeaderBytes < len) {
      return CorruptError("snapshot chunk length out of range" + where);
    }
    if (Hash(data.substr(off + 8, kChunkHeaderBytes - 8 + len)) != LoadU64(data.data() + off)) {
      return CorruptError("snapshot chunk checksum mismatch" + where);
    }
    size_t next = off + kChunkHeaderBytes + len;
    if (count == kFooterMark) {
      if (len != 8 || LoadU64(data.data() + off + kChunkHeaderBytes) != info.entries) {
        return CorruptError("snapshot footer does not match its chunks" + where);
      }
      if (next != data.size()) return CorruptError("bytes after the snapshot footer" + where);
      return info;
    }
    ByteReader r(data.substr(off + kChunkHeaderBytes, len));
    Entry e;
    for (uint32_t i = 0; i < count; ++i) {
      if (!ReadEntryPayload(r, e)) return CorruptError("snapshot chunk malformed" + where);
    }
    if (!r.empty()) return CorruptError("snapshot chunk has trailing bytes" + where);
    info.entries += count;
    off = next;
  }
}

void ForEachSnapshotEntry(std::string_view data, const std::function<void(const Entry&)>& fn) {
  size_t off = kSnapshotHeaderBytes;
  while (off + kChunkHeaderBytes <= data.size()) {
    uint32_t len = LoadU32(data.data() + off + 8);
    uint32_t count = LoadU32(data.data() + off + 12);
    if (count == kFooterMark) return;
    ByteReader r(data.substr(off + kChunkHeaderBytes, len));
    Entry e;
    for (uint32_t i = 0; i < count && ReadEntryPayload(r, e); ++i) fn(e);
    off += kChunkHeaderBytes + len;
  }
}

}  // namespace blockhub::persistence
