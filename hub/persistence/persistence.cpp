#include "hub/persistence/persistence.h"

#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <algorithm>
#include <chrono>

#include "hub/persistence/log_format.h"

namespace blockhub::persistence {
namespace {
// The loop hands a batch over early once it holds this much (bounds memory under bursts).
constexpr size_t kHandOffBytes = 1u << 20;
// Chunks written ahead of the snapshot thread before the walk pauses (bounds memory).
constexpr uint64_t kMaxPendingChunks = 8;
}  // namespace

Result<std::unique_ptr<Persistence>> Persistence::Open(const PersistenceConfig& config,
                                                       HubCore& core, const Clock& clock) {
  if (Status s = ValidatePersistenceConfig(config); !s.ok()) return s;
  auto dir = DataDir::Open(config.data_dir);
  if (!dir) return dir.error();
  auto notifier = Notifier::Create();
  if (!notifier) return notifier.error();
  auto p =
      std::make_unique<Persistence>(PassKey(), config, core, std::move(*dir), std::move(*notifier));
  auto report = Recover(p->dir_, core, clock.Now());
  if (!report) return report.error();
  p->recovery_ = *report;
  if (Status s = SnapshotWriter::Prune(p->dir_, config.snapshot_retention); !s.ok()) return s;
  p->last_seq_ = report->last_seq;
  p->batch_first_seq_ = p->last_seq_ + 1;
  WalWriter::Options options{config.commit_interval, config.segment_bytes};
  auto wal = WalWriter::Start(p->dir_, p->last_seq_ + 1, options, p->notifier_);
  if (!wal) return wal.error();
  p->wal_ = std::move(*wal);
  p->snapshots_ =
      std::make_unique<SnapshotWriter>(p->dir_, config.snapshot_retention, p->notifier_);
  // Changes replayed from the log count toward the next snapshot, so a long log gets folded.
  p->changes_since_snapshot_ = report->records_replayed;
  core.SetListener(p.get());
  return p;
}

Persistence::Persistence(PassKey, const PersistenceConfig& config, HubCore& core, DataDir dir,
                         Notifier notifier)
    : config_(config), core_(core), dir_(std::move(dir)), notifier_(std::move(notifier)) {}

Persistence::~Persistence() { (void)Close(); }

void Persistence::OnInsert(const Entry& entry) {
  AppendInsertRecord(batch_, ++last_seq_, entry);
  ++changes_since_snapshot_;
  if (batch_.size() >= kHandOffBytes) SubmitBatch();
}

void Persistence::OnErase(std::string_view key, EraseReason /*reason*/) {
  AppendEraseRecord(batch_, ++last_seq_, key);
  ++changes_since_snapshot_;
  if (batch_.size() >= kHandOffBytes) SubmitBatch();
}

uint64_t Persistence::SyncPoint() {
  urgent_ = true;
  return last_seq_;
}

void Persistence::SubmitBatch() {
  if (batch_.empty()) {
    // A sync point on changes handed over earlier, still waiting out the commit interval.
    if (urgent_ && durable_seq() < last_seq_) wal_->Expedite();
    urgent_ = false;
    return;
  }
  batch_ = wal_->Submit(std::move(batch_), batch_first_seq_, last_seq_, urgent_);
  batch_first_seq_ = last_seq_ + 1;
  urgent_ = false;
}

void Persistence::Pump() {
  if (closed_) return;
  SubmitBatch();
  AdvanceSnapshot();
}

bool Persistence::SnapshotDue() const {
  if (snapshot_requested_) return true;
  // Walking the catalog costs O(entries); waiting for entries/2 changes keeps snapshot writes
  // within 2 entry-writes per change, and the log to replay no larger than ~the snapshot.
  uint64_t threshold = std::max<uint64_t>(config_.snapshot_interval, core_.entry_count() / 2);
  return changes_since_snapshot_ >= threshold;
}

void Persistence::AdvanceSnapshot() {
  switch (snap_state_) {
    case SnapState::kIdle:
      if (!SnapshotDue()) return;
      snapshot_requested_ = false;
      changes_since_snapshot_ = 0;
      snap_base_ = last_seq_;  // every change <= base is in the catalog the walk starts from
      snap_cursor_ = 0;
      snap_entries_ = 0;
      snapshots_->Begin(snap_base_);
      snap_state_ = SnapState::kWalking;
      [[fallthrough]];
    case SnapState::kWalking: {
      if (snapshots_->pending_chunks() >= kMaxPendingChunks) return;
      snap_cursor_ = core_.VisitEntries(snap_cursor_, config_.snapshot_chunk_entries,
                                        [&](const Entry& e) { chunk_.Add(e); });
      snap_entries_ += chunk_.count();
      if (chunk_.count() > 0) snapshots_->AddChunk(chunk_.Take());
      if (snap_cursor_ != 0) return;
      snap_state_ = SnapState::kAwaitDurable;
      [[fallthrough]];
    }
    case SnapState::kAwaitDurable:
      // The snapshot may only replace log records that are durable themselves: otherwise a
      // crash could leave a snapshot whose base is past the end of the log (a gap for replay
      // from an older snapshot).
      if (durable_seq() < snap_base_) return;
      snap_finished_target_ = snapshots_->finished() + 1;
      snapshots_->End(snap_entries_);
      snap_state_ = SnapState::kFinishing;
      [[fallthrough]];
    case SnapState::kFinishing:
      if (snapshots_->finished() < snap_finished_target_) return;
      snap_state_ = SnapState::kIdle;
      return;
  }
}

int Persistence::PollTimeoutMs() const {
  if (closed_) return -1;
  bool walk_ready =
      snap_state_ == SnapState::kWalking && snapshots_->pending_chunks() < kMaxPendingChunks;
  bool start_ready = snap_state_ == SnapState::kIdle && SnapshotDue();
  return (walk_ready || start_ready || !batch_.empty()) ? 0 : -1;
}

PersistenceStats Persistence::Stats() const {
  PersistenceStats stats;
  stats.snapshots_written = snapshots_ ? snapshots_->completed() : 0;
  if (wal_) stats.fsync_latency = wal_->fsync_latency();
  auto listing = dir_.List();
  if (!listing) return stats;
  struct stat st {};
  for (uint64_t first : listing->segments) {
    if (stat(dir_.SegmentPath(first).c_str(), &st) == 0) stats.log_bytes += st.st_size;
  }
  if (!listing->snapshots.empty() &&
      stat(dir_.SnapshotPath(listing->snapshots.back()).c_str(), &st) == 0) {
    const auto mtime = std::chrono::system_clock::time_point(
        std::chrono::seconds(st.st_mtim.tv_sec) + std::chrono::nanoseconds(st.st_mtim.tv_nsec));
    const std::chrono::duration<double> age = std::chrono::system_clock::now() - mtime;
    stats.snapshot_age_seconds = std::max(0.0, age.count());
  }
  return stats;
}

Status Persistence::Close() {
  if (closed_ || !wal_) {
    closed_ = true;
    return wal_ ? wal_->status() : Status::Ok();
  }
  closed_ = true;
  core_.SetListener(nullptr);
  if (snap_state_ == SnapState::kWalking || snap_state_ == SnapState::kAwaitDurable) {
    snapshots_->Abort();
  }
  snapshots_.reset();  // joins; an unfinished snapshot's temp file is removed
  urgent_ = true;
  SubmitBatch();
  Status s = wal_->Stop();
  if (!s.ok()) spdlog::error("closing the write-ahead log: {}", s.ToString());
  return s;
}

}  // namespace blockhub::persistence
