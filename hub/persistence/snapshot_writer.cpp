#include "hub/persistence/snapshot_writer.h"

#include <fcntl.h>
#include <spdlog/spdlog.h>

#include "hub/persistence/log_format.h"

namespace blockhub::persistence {

SnapshotWriter::SnapshotWriter(const DataDir& dir, uint32_t retention, const Notifier& notifier)
    : dir_(dir), retention_(retention), notifier_(notifier), thread_([this] { Run(); }) {}

SnapshotWriter::~SnapshotWriter() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_one();
  thread_.join();
  Discard();
}

void SnapshotWriter::Post(Msg msg) {
  if (msg.kind == Kind::kChunk) pending_.fetch_add(1, std::memory_order_acq_rel);
  {
    std::lock_guard lock(mu_);
    queue_.push_back(std::move(msg));
  }
  cv_.notify_one();
}

void SnapshotWriter::Begin(uint64_t base_seq) { Post(Msg{Kind::kBegin, base_seq, {}}); }
void SnapshotWriter::AddChunk(std::string chunk) { Post(Msg{Kind::kChunk, 0, std::move(chunk)}); }
void SnapshotWriter::End(uint64_t total_entries) { Post(Msg{Kind::kEnd, total_entries, {}}); }
void SnapshotWriter::Abort() { Post(Msg{Kind::kAbort, 0, {}}); }

void SnapshotWriter::Run() {
  std::unique_lock lock(mu_);
  while (true) {
    cv_.wait(lock, [&] { return stop_ || !queue_.empty(); });
    if (queue_.empty()) return;  // stop_: an unfinished snapshot is abandoned by the destructor
    Msg msg = std::move(queue_.front());
    queue_.pop_front();
    lock.unlock();
    if (Status s = Handle(msg); !s.ok()) {
      spdlog::error("snapshot at seq {} failed (the log still holds everything): {}", base_,
                    s.ToString());
      Discard();
      broken_ = true;
    }
    if (msg.kind == Kind::kChunk) pending_.fetch_sub(1, std::memory_order_acq_rel);
    if (msg.kind == Kind::kEnd || msg.kind == Kind::kAbort) {
      if (msg.kind == Kind::kAbort) Discard();
      finished_.fetch_add(1, std::memory_order_acq_rel);
    }
    notifier_.Signal();
    lock.lock();
  }
}

Status SnapshotWriter::Handle(Msg& msg) {
  switch (msg.kind) {
    case Kind::kBegin: {
      broken_ = false;
      base_ = msg.value;
      tmp_path_ = dir_.TempSnapshotPath(base_);
      auto fd = OpenFile(tmp_path_, O_WRONLY | O_CREAT | O_TRUNC);
      if (!fd) return fd.error();
      file_ = std::move(*fd);
      return WriteAll(file_.get(), EncodeSnapshotHeader(base_), tmp_path_);
    }
    case Kind::kChunk:
      if (broken_) return Status::Ok();
      return WriteAll(file_.get(), msg.bytes, tmp_path_);
    case Kind::kEnd: {
      if (broken_) return Status::Ok();
      if (Status s = WriteAll(file_.get(), EncodeSnapshotFooter(msg.value), tmp_path_); !s.ok()) {
        return s;
      }
      if (Status s = SyncFile(file_.get(), tmp_path_); !s.ok()) return s;
      file_.Reset();
      if (Status s = RenameFile(tmp_path_, dir_.SnapshotPath(base_)); !s.ok()) return s;
      tmp_path_.clear();
      if (Status s = SyncDir(dir_.path()); !s.ok()) return s;
      spdlog::info("snapshot at seq {} written: {} entries", base_, msg.value);
      last_base_.store(base_, std::memory_order_release);
      completed_.fetch_add(1, std::memory_order_acq_rel);
      return Prune(dir_, retention_);
    }
    case Kind::kAbort:
      return Status::Ok();
  }
  return Status::Ok();
}

void SnapshotWriter::Discard() {
  file_.Reset();
  if (!tmp_path_.empty()) (void)RemoveFile(tmp_path_);
  tmp_path_.clear();
}

Status SnapshotWriter::Prune(const DataDir& dir, uint32_t retention) {
  auto listing = dir.List();
  if (!listing) return listing.error();
  const auto& snaps = listing->snapshots;
  if (snaps.size() < retention || snaps.empty()) return Status::Ok();
  size_t first_kept = snaps.size() - retention;
  for (size_t i = 0; i < first_kept; ++i) {
    if (Status s = RemoveFile(dir.SnapshotPath(snaps[i])); !s.ok()) return s;
  }
  // A segment is needed unless the next one starts at or before oldest_base + 1 (then every
  // record in it has seq <= oldest_base). The newest segment is never removed.
  uint64_t oldest_base = snaps[first_kept];
  const auto& segs = listing->segments;
  size_t removed = 0;
  for (size_t i = 0; i + 1 < segs.size() && segs[i + 1] <= oldest_base + 1; ++i) {
    if (Status s = RemoveFile(dir.SegmentPath(segs[i])); !s.ok()) return s;
    ++removed;
  }
  if (first_kept > 0 || removed > 0) {
    spdlog::debug("pruned {} snapshot(s) and {} log segment(s) before seq {}", first_kept, removed,
                  oldest_base);
  }
  return Status::Ok();
}

}  // namespace blockhub::persistence
