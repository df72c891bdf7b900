// SnapshotWriter: the thread that writes snapshots. The loop walks the catalog in bounded chunks
// (HubCore::VisitEntries) and hands each encoded chunk over by message; this thread writes
// snap-<base>.snap.tmp, and on End appends the footer, fsyncs, renames it into place, fsyncs the
// directory, then prunes: keeps the newest `retention` snapshots and deletes log segments whose
// records all precede the oldest snapshot kept.
//
// It is a thread of its own (not the WAL writer) so that writing and fsyncing a large snapshot
// never delays the log's group commits, which RegisterSync replies wait on.
//
// Threading: Begin/AddChunk/End/Abort and the counters are called by the owner (loop) thread;
// the work happens on the internal thread, which signals the Notifier when it consumed a chunk or
// finished a snapshot. A failed snapshot is logged and abandoned (its temp file removed); the log
// still holds everything, so serving goes on.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "common/status.h"
#include "hub/persistence/data_dir.h"
#include "hub/persistence/posix_file.h"

namespace blockhub::persistence {

class SnapshotWriter {
 public:
  SnapshotWriter(const DataDir& dir, uint32_t retention, const Notifier& notifier);
  ~SnapshotWriter();  // abandons an unfinished snapshot
  SnapshotWriter(const SnapshotWriter&) = delete;
  SnapshotWriter& operator=(const SnapshotWriter&) = delete;

  void Begin(uint64_t base_seq);
  void AddChunk(std::string chunk);
  void End(uint64_t total_entries);
  void Abort();

  // Chunks handed over and not yet written (the loop's back-pressure).
  uint64_t pending_chunks() const { return pending_.load(std::memory_order_acquire); }
  // Snapshots ended or aborted so far (completed or failed).
  uint64_t finished() const { return finished_.load(std::memory_order_acquire); }
  uint64_t completed() const { return completed_.load(std::memory_order_acquire); }
  uint64_t last_base() const { return last_base_.load(std::memory_order_acquire); }

  // Prunes snapshots beyond `retention` and the segments no kept snapshot needs. Also called
  // once at start-up (by the owner, before serving).
  static Status Prune(const DataDir& dir, uint32_t retention);

 private:
  enum class Kind : uint8_t { kBegin, kChunk, kEnd, kAbort };
  struct Msg {
    Kind kind;
    uint64_t value = 0;  // base seq (Begin) or total entries (End)
    std::string bytes;
  };
  void Post(Msg msg);
  void Run();
  Status Handle(Msg& msg);
  void Discard();

  const DataDir& dir_;
  const uint32_t retention_;
  const Notifier& notifier_;

  // Thread state.
  UniqueFd file_;
  std::string tmp_path_;
  uint64_t base_ = 0;
  bool broken_ = false;  // the current snapshot failed; skip its remaining messages

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Msg> queue_;  // guarded by mu_
  bool stop_ = false;      // guarded by mu_

  std::atomic<uint64_t> pending_{0};
  std::atomic<uint64_t> finished_{0};
  std::atomic<uint64_t> completed_{0};
  std::atomic<uint64_t> last_base_{0};
  std::thread thread_;
};

}  // namespace blockhub::persistence
