#include "hub/persistence/recovery.h"

#include <fcntl.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <string_view>
#include <vector>

#include "hub/persistence/log_format.h"

namespace blockhub::persistence {
namespace {

Status LoadSnapshots(const DataDir& dir, const std::vector<uint64_t>& bases, HubCore& core,
                     TimePoint now, RecoveryReport& report) {
  for (auto it = bases.rbegin(); it != bases.rend(); ++it) {
    std::string path = dir.SnapshotPath(*it);
    auto data = ReadWholeFile(path);
    if (!data) return data.error();
    auto info = ValidateSnapshot(*data);
    if (info && info->base_seq != *it) info = Status(StatusCode::kCorrupt, "base seq mismatch");
    if (!info) {
      spdlog::error("snapshot {} is corrupt ({}); renamed to .corrupt, trying an older one", path,
                    info.error().message());
      ++report.corrupt_snapshots;
      if (Status s = RenameFile(path, path + ".corrupt"); !s.ok()) return s;
      continue;
    }
    ForEachSnapshotEntry(*data, [&](const Entry& e) { core.Restore(e, now); });
    report.snapshot_base = info->base_seq;
    report.snapshot_entries = info->entries;
    return Status::Ok();
  }
  return Status::Ok();
}

// Replays segment files in order; stops at the first damage (see recovery.h).
class LogReplayer {
 public:
  LogReplayer(const DataDir& dir, std::vector<uint64_t> segments, HubCore& core, TimePoint now,
              RecoveryReport& report)
      : dir_(dir), segs_(std::move(segments)), core_(core), now_(now), report_(report) {}

  Status Run() {
    last_ = report_.snapshot_base;
    for (size_t i = 0; i < segs_.size(); ++i) {
      // Every record of segment i precedes segment i+1's first seq; skip those all <= base.
      if (i + 1 < segs_.size() && segs_[i + 1] <= report_.snapshot_base + 1) continue;
      bool stop = false;
      if (Status s = ReplaySegment(i, stop); !s.ok()) return s;
      if (stop) break;
    }
    report_.last_seq = last_;
    return Status::Ok();
  }

 private:
  Status ReplaySegment(size_t i, bool& stop) {
    std::string path = dir_.SegmentPath(segs_[i]);
    bool newest = i + 1 == segs_.size();
    auto data = ReadWholeFile(path);
    if (!data) return data.error();
    std::string_view bytes = *data;
    auto first = ParseSegmentHeader(bytes);
    if (!first || *first != segs_[i]) {
      stop = true;
      bool records_follow =
          bytes.size() > kSegmentHeaderBytes &&
          ParseRecord(bytes.substr(kSegmentHeaderBytes)).outcome == ParseOutcome::kOk;
      if (newest && !records_follow) return DropTail(path, bytes, 0, "segment header damaged");
      return Quarantine(i, path, bytes, 0, first ? "header seq mismatch" : first.error().message());
    }
    if (segs_[i] > last_ + 1) {
      stop = true;
      return Quarantine(i, path, bytes, 0,
                        "log gap: expected seq " + std::to_string(last_ + 1) +
                            ", segment starts at " + std::to_string(segs_[i]));
    }
    size_t off = kSegmentHeaderBytes;
    while (off < bytes.size()) {
      ParsedRecord p = ParseRecord(bytes.substr(off));
      if (p.outcome != ParseOutcome::kOk) {
        stop = true;
        if (newest && !ValidRecordFollows(bytes, off, p))
          return DropTail(path, bytes, off, p.reason);
        return Quarantine(i, path, bytes, off, p.reason);
      }
      const WalRecord& r = p.record;
      if (r.seq > report_.snapshot_base) {
        if (r.seq != last_ + 1) {
          stop = true;
          return Quarantine(i, path, bytes, off,
                            "sequence gap: expected " + std::to_string(last_ + 1) + ", found " +
                                std::to_string(r.seq));
        }
        if (r.type == RecordType::kInsert) {
          core_.Restore(r.entry, now_);
        } else {
          core_.RestoreErase(r.entry.key);
        }
        last_ = r.seq;
        ++report_.records_replayed;
      }
      off += p.size;
    }
    return Status::Ok();
  }

  // A damaged record followed by a valid one is corruption in the middle, not a torn write.
  static bool ValidRecordFollows(std::string_view bytes, size_t off, const ParsedRecord& p) {
    if (p.outcome != ParseOutcome::kCorrupt || p.size == 0) return false;
    size_t next = off + p.size;
    return next < bytes.size() && ParseRecord(bytes.substr(next)).outcome == ParseOutcome::kOk;
  }

  Status DropTail(const std::string& path, std::string_view bytes, size_t off,
                  std::string_view reason) {
    uint64_t dropped = bytes.size() - off;
    spdlog::warn(
        "log {}: torn tail at offset {} ({}): dropped {} bytes (1 incomplete record); "
        "recovered through seq {}",
        path, off, reason, dropped, last_);
    report_.torn_bytes_dropped += dropped;
    if (off == 0) return RemoveFile(path);
    return TruncateFile(path, off);
  }

  // Stops replay at `off` of segment i: moves the rest of it and all later segments aside.
  Status Quarantine(size_t i, const std::string& path, std::string_view bytes, size_t off,
                    const std::string& reason) {
    report_.stopped_at_corruption = true;
    report_.corruption = path + " offset " + std::to_string(off) + ": " + reason;
    spdlog::error(
        "log corrupt in the middle: {} at offset {}: {}; replay stopped after seq {}; "
        "{} unreplayed bytes of this segment and {} later segment(s) kept as *.corrupt",
        path, off, reason, last_, bytes.size() - off, segs_.size() - i - 1);
    if (off <= kSegmentHeaderBytes) {
      if (Status s = RenameFile(path, path + ".corrupt"); !s.ok()) return s;
    } else {
      auto out = OpenFile(path + ".corrupt", O_WRONLY | O_CREAT | O_TRUNC);
      if (!out) return out.error();
      if (Status s = WriteAll(out->get(), bytes.substr(off), path + ".corrupt"); !s.ok()) return s;
      if (Status s = SyncFile(out->get(), path + ".corrupt"); !s.ok()) return s;
      if (Status s = TruncateFile(path, off); !s.ok()) return s;
    }
    for (size_t j = i + 1; j < segs_.size(); ++j) {
      std::string later = dir_.SegmentPath(segs_[j]);
      if (Status s = RenameFile(later, later + ".corrupt"); !s.ok()) return s;
    }
    return SyncDir(dir_.path());
  }

  const DataDir& dir_;
  std::vector<uint64_t> segs_;
  HubCore& core_;
  TimePoint now_;
  RecoveryReport& report_;
  uint64_t last_ = 0;
};

}  // namespace

Result<RecoveryReport> Recover(const DataDir& dir, HubCore& core, TimePoint now) {
  auto start = std::chrono::steady_clock::now();
  RecoveryReport report;
  auto listing = dir.List();
  if (!listing) return listing.error();
  for (const auto& tmp : listing->temp_files) {
    if (Status s = RemoveFile(tmp); !s.ok()) return s;  // an unfinished snapshot
  }
  if (Status s = LoadSnapshots(dir, listing->snapshots, core, now, report); !s.ok()) return s;
  LogReplayer replayer(dir, listing->segments, core, now, report);
  if (Status s = replayer.Run(); !s.ok()) return s;
  report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  spdlog::info(
      "recovered {} entries from snapshot seq {} and {} log records (through seq {}) in "
      "{:.3f} s",
      report.snapshot_entries, report.snapshot_base, report.records_replayed, report.last_seq,
      report.seconds);
  return report;
}

}  // namespace blockhub::persistence
