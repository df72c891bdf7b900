// Persistence: the hub's durability layer — write-ahead log with group commit, snapshots taken
// while serving, recovery at start-up — behind one object the server's loop drives.
//
//   auto p = Persistence::Open(config, core, clock);   // lock dir, recover into core, start
//   threads loop: poll(sockets + p->notify_fd(), timeout = p->PollTimeoutMs() or the server's own)
//         if notify_fd readable: p->DrainNotify(); check p->health(); release held replies
//         handle messages (the core calls p's OnInsert/OnErase as it changes the catalog);
//         RegisterSync: handle it, then hold its reply until durable_seq() >= p->SyncPoint()
//         p->Pump();  // once per iteration, after handling: hands the batch to the writer,
//                     // walks one snapshot chunk
//   shutdown: p->Close();
//
// Ownership: owns the DataDir (and its lock), the WAL writer thread and the snapshot thread. Holds
// a reference to the core (must outlive it) and is the core's CatalogListener from Open until
// Close. Threading: every method is for the loop thread only (the core's owner), except that
// notify_fd() may be polled there as usual; the threads talk to the loop only by message and the
// eventfd.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "common/clock.h"
#include "common/status.h"
#include "hub/core/hub_core.h"
#include "hub/metrics/metrics_snapshot.h"
#include "hub/persistence/data_dir.h"
#include "hub/persistence/log_format.h"
#include "hub/persistence/persistence_config.h"
#include "hub/persistence/posix_file.h"
#include "hub/persistence/recovery.h"
#include "hub/persistence/snapshot_writer.h"
#include "hub/persistence/wal_writer.h"

namespace blockhub::persistence {

class Persistence final : public CatalogListener {
 public:
  // Validates the config, opens and locks the data dir, recovers its content into `core` (which
  // should be empty), prunes, starts the writer threads and installs itself as core's listener.
  // Errors: unusable or locked dir, unreadable files (a corrupt log is NOT an error: see
  // recovery.h).
  static Result<std::unique_ptr<Persistence>> Open(const PersistenceConfig& config, HubCore& core,
                                                   const Clock& clock);
  ~Persistence() override;  // Close() if not done

  // CatalogListener: append one record to the in-memory batch (no syscalls).
  void OnInsert(const Entry& entry) override;
  void OnErase(std::string_view key, EraseReason reason) override;

  // The sequence number covering every change made so far; also asks the writer to fsync the
  // batch holding it without waiting for the commit interval. A RegisterSync reply may be sent
  // once durable_seq() >= this value (even if the request stored nothing new: its AlreadyStored
  // entries may come from a fire-and-forget registration not yet durable).
  uint64_t SyncPoint();
  // Once per loop iteration, after handling messages: hands the batch to the writer, starts a
  // snapshot when due, walks one chunk of a snapshot in progress, finishes it when possible.
  void Pump();
  // 0 when Pump() has snapshot work it can do right away; -1 (wait for notify_fd) otherwise.
  int PollTimeoutMs() const;

  int notify_fd() const { return notifier_.fd(); }
  void DrainNotify() const { notifier_.Drain(); }
  uint64_t durable_seq() const { return wal_->durable_seq(); }
  uint64_t last_appended_seq() const { return last_seq_; }
  // Not ok once the log failed to write or fsync: stop acknowledging (the error says why).
  Status health() const { return wal_->status(); }
  const RecoveryReport& recovery() const { return recovery_; }

  // Starts a snapshot at the next Pump() regardless of the interval (tests, benchmarks, admin).
  void RequestSnapshot() { snapshot_requested_ = true; }
  bool snapshot_in_progress() const { return snap_state_ != SnapState::kIdle; }
  uint64_t snapshots_completed() const { return snapshots_->completed(); }
  uint64_t wal_fsyncs() const { return wal_->fsyncs(); }

  // Values for the metrics endpoint: the log's size on disk, snapshots completed since start, the
  // newest snapshot file's age (mtime; also one left by a previous run) and the fsync latency
  // histogram. Lists the directory and stat()s its files: for scrapes and the periodic summary,
  // not for the request path.
  PersistenceStats Stats() const;

  // Flushes and fsyncs everything appended, abandons an unfinished snapshot, stops the threads,
  // detaches from the core. Returns health(). Idempotent.
  Status Close();

  struct PassKey {
    explicit PassKey() = default;
  };
  Persistence(PassKey, const PersistenceConfig& config, HubCore& core, DataDir dir,
              Notifier notifier);  // use Open()

 private:
  enum class SnapState : uint8_t { kIdle, kWalking, kAwaitDurable, kFinishing };
  void SubmitBatch();
  void AdvanceSnapshot();
  bool SnapshotDue() const;

  const PersistenceConfig config_;
  HubCore& core_;
  DataDir dir_;
  Notifier notifier_;
  RecoveryReport recovery_;
  std::unique_ptr<WalWriter> wal_;
  std::unique_ptr<SnapshotWriter> snapshots_;
  bool closed_ = false;

  // The batch being filled by OnInsert/OnErase: records first_seq_..last_seq_.
  std::string batch_;
  uint64_t batch_first_seq_ = 0;
  uint64_t last_seq_ = 0;
  bool urgent_ = false;

  // Snapshot scheduling and the incremental walk.
  SnapState snap_state_ = SnapState::kIdle;
  bool snapshot_requested_ = false;
  uint64_t changes_since_snapshot_ = 0;
  uint64_t snap_base_ = 0;
  uint64_t snap_cursor_ = 0;
  uint64_t snap_entries_ = 0;
  uint64_t snap_finished_target_ = 0;
  SnapshotChunkBuilder chunk_;
};

}  // namespace blockhub::persistence
