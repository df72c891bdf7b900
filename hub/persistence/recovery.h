// Recovery: rebuilds the catalog from a data dir at start-up — the newest valid snapshot (older
// ones when it is corrupt), then the log records after its base sequence — and repairs the log so
// the writer can append after it. The rules (FORMAT.md "Recovery"):
//   - a snapshot that fails validation is renamed *.corrupt and the next older one is tried;
//   - replay is idempotent (Restore = insert-if-absent, RestoreErase = erase-if-present) and
//     requires consecutive sequence numbers after the base;
//   - a torn tail (the newest segment ends inside a record, or its last record is damaged and
//     nothing valid follows) is truncated away, logged with the bytes dropped and the offset;
//   - any other damage (a bad record with valid records after it, a damaged older segment, a
//     sequence gap) stops replay there with an error line; the unreplayed bytes are moved to
//     *.corrupt files for inspection, so the log stays appendable.
// Leases are not persisted. Runs on the owner thread before the hub serves.
#pragma once

#include <cstdint>
#include <string>

#include "common/clock.h"
#include "common/status.h"
#include "hub/core/hub_core.h"
#include "hub/persistence/data_dir.h"

namespace blockhub::persistence {

struct RecoveryReport {
  uint64_t snapshot_base = 0;       // base seq of the snapshot loaded; 0 = none
  uint64_t snapshot_entries = 0;    // entries in it
  uint64_t corrupt_snapshots = 0;   // skipped (renamed *.corrupt)
  uint64_t records_replayed = 0;    // log records applied (seq > snapshot_base)
  uint64_t last_seq = 0;            // max(snapshot_base, last record replayed)
  uint64_t torn_bytes_dropped = 0;  // truncated from the newest segment's tail
  bool stopped_at_corruption = false;
  std::string corruption;  // what stopped replay, with file and offset
  double seconds = 0;
};

Result<RecoveryReport> Recover(const DataDir& dir, HubCore& core, TimePoint now);

}  // namespace blockhub::persistence
