// DataDir: the persistence layer's directory — creation, the exclusive lock that keeps a second
// hub out, file naming, and listing. Names (FORMAT.md): wal-<first_seq, 20 digits>.log,
// snap-<base_seq, 20 digits>.snap, snap-*.snap.tmp (unfinished), *.corrupt (quarantined, ignored),
// LOCK (flock'd, holds the owner's pid).
//
// Move-only; the lock is held for the DataDir's lifetime. Naming/listing calls are thread-safe
// (no mutable state).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/status.h"
#include "hub/persistence/posix_file.h"

namespace blockhub::persistence {

class DataDir {
 public:
  // Creates `path` (and parents) if missing, checks it is a writable directory and takes the lock
  // (flock LOCK_EX|LOCK_NB). Errors name the directory and, when locked, the holder's pid.
  static Result<DataDir> Open(const std::string& path);

  const std::string& path() const { return path_; }
  std::string SegmentPath(uint64_t first_seq) const;
  std::string SnapshotPath(uint64_t base_seq) const;
  std::string TempSnapshotPath(uint64_t base_seq) const;

  struct Listing {
    std::vector<uint64_t> segments;       // first seqs, ascending
    std::vector<uint64_t> snapshots;      // base seqs, ascending
    std::vector<std::string> temp_files;  // leftover snap-*.tmp (full paths)
  };
  Result<Listing> List() const;

 private:
  DataDir(std::string path, UniqueFd lock) : path_(std::move(path)), lock_(std::move(lock)) {}
  std::string path_;
  UniqueFd lock_;
};

}  // namespace blockhub::persistence
