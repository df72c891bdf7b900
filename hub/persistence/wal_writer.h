// WalWriter: the write-ahead log's writer thread. The hub's loop thread hands it batches of
// already-encoded records (log_format.h) by message; the thread appends them to the current
// segment, group-commits with one fdatasync for everything pending, publishes the durable
// sequence number and signals the loop's Notifier. Segments roll over past `segment_bytes`.
//
// Group commit: a non-urgent batch waits at most `commit_interval` (from the moment the oldest
// pending batch was handed over) for company before the fsync; an urgent batch (someone waits on
// its durability) is fsync'd as soon as the thread is free. Batches that arrive while an fsync is
// running all share the next one.
//
// Failures are sticky: after a failed write or fsync nothing is published again (the page cache
// state is unknown, so retrying could acknowledge lost data); status() reports it.
//
// Threading: Submit/durable_seq/status may be called from the owner (loop) thread while the
// writer runs; Stop() from the owner. Move-less; owned through unique_ptr.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "common/status.h"
#include "hub/metrics/histogram.h"
#include "hub/persistence/data_dir.h"
#include "hub/persistence/posix_file.h"

namespace blockhub::persistence {

class WalWriter {
 public:
  struct Options {
    std::chrono::milliseconds commit_interval{2};
    uint64_t segment_bytes = 64ull << 20;
  };
  // Creates segment wal-<next_seq>.log (overwriting an empty one of that name) and starts the
  // thread. `notifier` must outlive the writer.
  static Result<std::unique_ptr<WalWriter>> Start(const DataDir& dir, uint64_t next_seq,
                                                  Options options, const Notifier& notifier);
  struct PassKey {
    explicit PassKey() = default;
  };
  WalWriter(PassKey, const DataDir& dir, Options options, const Notifier& notifier)
      : dir_(dir), options_(options), notifier_(notifier) {}  // use Start()
  ~WalWriter();
  WalWriter(const WalWriter&) = delete;
  WalWriter& operator=(const WalWriter&) = delete;

  // Hands over records first_seq..last_seq (contiguous, in order). Returns a cleared buffer to
  // reuse for the next batch (keeps allocations out of the loop's steady state).
  std::string Submit(std::string records, uint64_t first_seq, uint64_t last_seq, bool urgent);

  // Marks what is already queued urgent (a SyncPoint arrived after its hand-over).
  void Expedite();

  uint64_t durable_seq() const { return durable_seq_.load(std::memory_order_acquire); }
  Status status() const;
  uint64_t fsyncs() const { return fsyncs_.load(std::memory_order_relaxed); }
  // A copy of the group-commit fsync latency histogram (Dynamo buckets; for the metrics endpoint).
  Histogram fsync_latency() const;

  // Writes and fsyncs everything handed over, then joins the thread. Returns status().
  Status Stop();

 private:
  struct Batch {
    std::string bytes;
    uint64_t first_seq = 0;
    uint64_t last_seq = 0;
  };
  Status OpenSegment(uint64_t first_seq);
  void Run();
  Status WriteAndSync(std::vector<Batch>& batches);

  const DataDir& dir_;
  const Options options_;
  const Notifier& notifier_;

  // Writer-thread state.
  UniqueFd segment_;
  std::string segment_path_;
  uint64_t segment_size_ = 0;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Batch> queue_;                        // guarded by mu_
  std::vector<std::string> spare_;                  // guarded by mu_
  bool urgent_ = false;                             // guarded by mu_
  bool stop_ = false;                               // guarded by mu_
  size_t queued_bytes_ = 0;                         // guarded by mu_
  std::chrono::steady_clock::time_point oldest_{};  // guarded by mu_
  Status status_;                                   // guarded by mu_

  mutable std::mutex stats_mu_;  // the writer thread updates, the loop copies
  Histogram fsync_latency_;      // guarded by stats_mu_

  std::atomic<uint64_t> durable_seq_{0};
  std::atomic<uint64_t> fsyncs_{0};
  std::thread thread_;
};

}  // namespace blockhub::persistence
