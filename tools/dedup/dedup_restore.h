// RunGet / RunVerify / RunStats: the reading side of blockhub-dedup (no hub needed).
// Owner: tools/dedup. Single-threaded.
//   get     restores every entry of a manifest under `to` (PATH -> to/PATH): each chunk is read
//           from the store and its hash checked against its key, the whole file's hash checked;
//           a file is written to a temporary name and renamed when verified. A missing or corrupt
//           chunk is an error naming the file and the offset.
//   verify  the same checks without writing anything.
//   stats   referenced bytes and chunks (of the manifests given), stored chunk files and bytes,
//           the dedup ratio (referenced bytes / stored bytes), and the store's upload log: how
//           many requests to store a chunk created it, found it present or lost a race (the
//           last two are chunks workers were asked to store more than once).
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "common/status.h"
#include "tools/dedup/manifest.h"

namespace blockhub::dedup {

struct StoreStats {
  uint64_t referenced_bytes = 0;
  uint64_t referenced_chunks = 0;  // with repeats
  uint64_t unique_chunks = 0;      // distinct keys referenced
  uint64_t stored_chunks = 0;      // chunk files in the store
  uint64_t stored_bytes = 0;
  uint64_t temp_files = 0;       // unfinished uploads under tmp/
  uint64_t uploads_created = 0;  // upload-log lines (ChunkStore::ReadUploadLog), all processes
  uint64_t uploads_present = 0;
  uint64_t uploads_raced = 0;
  double dedup_ratio = 0;  // referenced_bytes / stored_bytes
};

Status RunGet(const std::filesystem::path& store, const std::filesystem::path& manifest,
              const std::filesystem::path& to);
Status RunVerify(const std::filesystem::path& store, const std::filesystem::path& manifest);
Result<StoreStats> RunStats(const std::filesystem::path& store,
                            const std::vector<std::filesystem::path>& manifests);

}  // namespace blockhub::dedup
