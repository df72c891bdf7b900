// PersistenceConfig: the persistence layer's settings (a plain value type). main.cpp fills it from
// --data-dir, --snapshot-interval, --snapshot-retention, --commit-interval-ms and their
// DYN_REGISTRY_PERSISTENCE_* variables; an empty data_dir means persistence is off.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "common/status.h"

namespace blockhub::persistence {

struct PersistenceConfig {
  std::string data_dir;  // created if missing; locked while a hub uses it
  // A snapshot starts once this many catalog changes (inserts + erases) were logged since the
  // previous one started AND at least half the catalog's size (see FORMAT.md "When snapshots run").
  uint64_t snapshot_interval = 10'000;
  uint32_t snapshot_retention = 3;  // snapshots kept (>= 1); older ones and their log are pruned
  // Fire-and-forget changes are fsync'd at most this long after the loop hands them over;
  // SyncPoint() callers do not wait for it. 0 = fsync as soon as anything is pending.
  std::chrono::milliseconds commit_interval{2};
  uint64_t segment_bytes = 64ull << 20;    // a new log segment starts past this size
  uint32_t snapshot_chunk_entries = 4096;  // entries walked per Pump() (bounds loop stalls)
};

Status ValidatePersistenceConfig(const PersistenceConfig& config);

}  // namespace blockhub::persistence
