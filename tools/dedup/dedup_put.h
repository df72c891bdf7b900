// RunPut: the `blockhub-dedup put` pipeline. Owner: tools/dedup.
//
// Walks the PATH arguments (sorted, symlinks not followed), then `jobs` worker threads take files:
// each maps its file, chunks it (Chunker), hashes every chunk (the key) and the whole file, and
// resolves the chunks against the hub in batches of `batch_keys`. The CanOffload of a batch is sent
// asynchronously and answered while the worker chunks the next batch. Per key:
//   Granted        upload to the ChunkStore (all Granted chunks of a batch together, ChunkStore::
//                  PutBatch: two syncfs barriers per batch), then RegisterSync(key -> location); a
//                  failed upload releases the lease (Release) and fails the run.
//   AlreadyStored  done (the chunk file is checked, and written if this store lacks it).
//   Leased         another worker is uploading it: ask again after a short back-off (up to
//                  wait_timeout) until AlreadyStored, or Granted once that worker's lease expired.
//   Rejected register (lease lost meanwhile): asked again like Leased.
// Each chunk is resolved by the first thread of the process that meets it; every other reference
// to it in the process (any thread) is not asked again: the threads share one lease owner, so the
// hub would grant a key to two of them at once. Progress goes to stderr: a bar on a
// terminal, a line every 2 s otherwise. Thread-safe internally; one call per process at a time.
#pragma once

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include "client/client.h"
#include "common/status.h"
#include "tools/dedup/chunk_hash.h"
#include "tools/dedup/chunker.h"

namespace blockhub::dedup {

struct PutOptions {
  std::filesystem::path store;
  std::filesystem::path manifest;  // empty: not written
  std::vector<std::string> paths;
  HashKind hash = HashKind::kXxh3;
  ChunkerParams chunker;
  int jobs = 2;
  size_t batch_keys = 256;
  std::chrono::milliseconds wait_timeout{600'000};
  bool progress = true;
};

struct PutSummary {
  uint64_t files = 0;
  uint64_t bytes_in = 0;
  uint64_t chunks = 0;        // chunk references (with repeats)
  uint64_t chunks_new = 0;    // chunk files this process created
  uint64_t bytes_new = 0;     // their bytes
  uint64_t chunks_dedup = 0;  // references not uploaded by this process
  uint64_t leased_waits = 0;  // keys asked again because another worker held the lease
  double seconds = 0;
};

Result<PutSummary> RunPut(const PutOptions& options, Client& client);

}  // namespace blockhub::dedup
