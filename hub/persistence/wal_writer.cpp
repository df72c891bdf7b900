#include "hub/persistence/wal_writer.h"

#include <fcntl.h>
#include <spdlog/spdlog.h>

#include "hub/persistence/log_format.h"

namespace blockhub::persistence {
namespace {
// Past this many queued bytes the writer stops waiting for the commit interval.
constexpr size_t kGroupBytes = 4u << 20;
constexpr size_t kMaxSpareBuffers = 4;
}  // namespace

Result<std::unique_ptr<WalWriter>> WalWriter::Start(const DataDir& dir, uint64_t next_seq,
                                                    Options options, const Notifier& notifier) {
  auto w = std::make_unique<WalWriter>(PassKey(), dir, options, notifier);
  if (Status s = w->OpenSegment(next_seq); !s.ok()) return s;
  w->durable_seq_.store(next_seq - 1);
  w->thread_ = std::thread([p = w.get()] { p->Run(); });
  return w;
}

WalWriter::~WalWriter() { (void)Stop(); }

Status WalWriter::OpenSegment(uint64_t first_seq) {
  std::string path = dir_.SegmentPath(first_seq);
  auto fd = OpenFile(path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND);
  if (!fd) return fd.error();
  std::string header = EncodeSegmentHeader(first_seq);
  if (Status s = WriteAll(fd->get(), header, path); !s.ok()) return s;
  if (Status s = SyncFile(fd->get(), path); !s.ok()) return s;
  if (Status s = SyncDir(dir_.path()); !s.ok()) return s;  // the new name must survive a crash
  segment_ = std::move(*fd);
  segment_path_ = std::move(path);
  segment_size_ = header.size();
  return Status::Ok();
}

std::string WalWriter::Submit(std::string records, uint64_t first_seq, uint64_t last_seq,
                              bool urgent) {
  std::string spare;
  {
    std::lock_guard lock(mu_);
    if (queue_.empty()) oldest_ = std::chrono::steady_clock::now();
    queued_bytes_ += records.size();
    queue_.push_back(Batch{std::move(records), first_seq, last_seq});
    urgent_ = urgent_ || urgent;
    if (!spare_.empty()) {
      spare = std::move(spare_.back());
      spare_.pop_back();
    }
  }
  cv_.notify_one();
  return spare;
}

void WalWriter::Expedite() {
  {
    std::lock_guard lock(mu_);
    urgent_ = true;
  }
  cv_.notify_one();
}

Status WalWriter::status() const {
  std::lock_guard lock(mu_);
  return status_;
}

void WalWriter::Run() {
  std::unique_lock lock(mu_);
  std::vector<Batch> work;
  while (true) {
    cv_.wait(lock, [&] { return stop_ || !queue_.empty(); });
    if (queue_.empty()) break;  // stop_ and drained
    if (!urgent_ && !stop_ && options_.commit_interval.count() > 0) {
      cv_.wait_until(lock, oldest_ + options_.commit_interval,
                     [&] { return urgent_ || stop_ || queued_bytes_ >= kGroupBytes; });
    }
    work.swap(queue_);
    urgent_ = false;
    queued_bytes_ = 0;
    bool failed = !status_.ok();
    lock.unlock();
    Status s = failed ? Status::Ok() : WriteAndSync(work);
    lock.lock();
    if (!s.ok()) {
      spdlog::error("write-ahead log failed, no further changes are durable: {}", s.ToString());
      status_ = s;
    }
    for (auto& b : work) {
      if (spare_.size() < kMaxSpareBuffers) {
        b.bytes.clear();
        spare_.push_back(std::move(b.bytes));
      }
    }
    work.clear();
    notifier_.Signal();  // durable_seq advanced, or the status turned bad
  }
}

Histogram WalWriter::fsync_latency() const {
  std::lock_guard lock(stats_mu_);
  return fsync_latency_;
}

Status WalWriter::WriteAndSync(std::vector<Batch>& batches) {
  for (auto& b : batches) {
    if (segment_size_ >= options_.segment_bytes) {
      if (Status s = SyncFile(segment_.get(), segment_path_); !s.ok()) return s;
      if (Status s = OpenSegment(b.first_seq); !s.ok()) return s;
    }
    if (Status s = WriteAll(segment_.get(), b.bytes, segment_path_); !s.ok()) return s;
    segment_size_ += b.bytes.size();
  }
  const auto sync_start = std::chrono::steady_clock::now();
  if (Status s = SyncFile(segment_.get(), segment_path_); !s.ok()) return s;
  {
    std::lock_guard lock(stats_mu_);
    fsync_latency_.Observe(std::chrono::steady_clock::now() - sync_start);
  }
  fsyncs_.fetch_add(1, std::memory_order_relaxed);
  durable_seq_.store(batches.back().last_seq, std::memory_order_release);
  return Status::Ok();
}

Status WalWriter::Stop() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_one();
  if (thread_.joinable()) thread_.join();
  segment_.Reset();
  return status();
}

}  // namespace blockhub::persistence
