#include "hub/persistence/persistence_config.h"

namespace blockhub::persistence {

Status ValidatePersistenceConfig(const PersistenceConfig& c) {
  if (c.data_dir.empty()) return InvalidArgumentError("persistence needs a data dir");
  if (c.snapshot_interval == 0) return InvalidArgumentError("snapshot interval must be >= 1");
  if (c.snapshot_retention == 0) return InvalidArgumentError("snapshot retention must be >= 1");
  if (c.commit_interval.count() < 0 || c.commit_interval.count() > 10'000) {
    return InvalidArgumentError("commit interval must be 0..10000 ms");
  }
  if (c.segment_bytes < 4096) return InvalidArgumentError("segment size must be >= 4096 bytes");
  if (c.snapshot_chunk_entries == 0) return InvalidArgumentError("snapshot chunk must be >= 1");
  return Status::Ok();
}

}  // namespace blockhub::persistence
