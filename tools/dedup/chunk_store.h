// ChunkStore: the content-addressed directory store of blockhub-dedup. Owner: tools/dedup.
// Thread-safe: every method may be called from any thread (the creation log is mutex-guarded).
//
// Layout under the store root:
//   chunks/<h0h1>/<32 hex digits>   one file per chunk, named by its key, 256 fan-out folders
//   tmp/<hex>.<pid>.<n>             uploads in progress (never read as chunks)
//   log/uploads.<pid>.<n>           one line "<hex> <size> <outcome>" per chunk this process was
//                                   asked to store (Put, PutBatch)
// Put writes the data to a temporary file, fsyncs it, link(2)s it to its final name and fsyncs
// the folder (PutBatch does the same for many chunks with one syncfs per step): the final name
// appears atomically with complete, durable content, so a crash never leaves a partial chunk under
// a final name. Every request to store a chunk gets one upload-log line with its outcome:
//   created   this call's link(2) made the chunk file
//   present   the chunk file was already there before anything was written
//   raced     the data was written to a temporary, but another writer's link(2) won (EEXIST)
// link(2) alone guarantees a chunk file is never created twice; the log tells whether writers
// were asked to store the same chunk more than once: with working coordination each chunk has
// exactly one line, "created" (ReadUploadLog). RemoveStaleTemps deletes temporaries of processes
// that no longer run.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace blockhub::dedup {

// What the upload logs of a store say about one chunk: how many requests to store it ended how.
struct UploadCounts {
  uint64_t created = 0;
  uint64_t present = 0;
  uint64_t raced = 0;
  bool operator==(const UploadCounts&) const = default;
};

class ChunkStore {
 public:
  // Opens (creating the folders when `create`) the store at `root`.
  static Result<std::unique_ptr<ChunkStore>> Open(const std::filesystem::path& root, bool create);
  ~ChunkStore();
  ChunkStore(const ChunkStore&) = delete;
  ChunkStore& operator=(const ChunkStore&) = delete;

  // "chunks/ab/ab…" relative to the root (also the value registered with the hub).
  static std::string Location(std::string_view key);
  std::filesystem::path PathOf(std::string_view key) const { return root_ / Location(key); }

  // Stores `data` under `key` unless present. true = this call created the chunk file.
  Result<bool> Put(std::string_view key, std::span<const uint8_t> data);
  // Stores several chunks with two durability barriers for the whole batch instead of one fsync
  // per chunk: every chunk is written to its temporary name, syncfs(2) on the store's file system
  // makes their data durable, each is link(2)ed to its final name, and a second syncfs makes the
  // names durable. When it returns, every chunk of the batch is durable under its final name (so
  // it may be registered: other workers will skip it). created[i] = this call created chunk i.
  Result<std::vector<bool>> PutBatch(std::span<const std::string> keys,
                                     std::span<const std::span<const uint8_t>> data);
  bool Exists(std::string_view key) const;
  // The chunk's bytes; NotFound-like IoError naming the path when absent.
  Result<std::string> Read(std::string_view key) const;
  // Deletes tmp/ files whose writer process is gone; returns how many.
  size_t RemoveStaleTemps();
  // Every upload-log line of the store at `root` (all processes), per chunk key in hex.
  static Result<std::map<std::string, UploadCounts>> ReadUploadLog(
      const std::filesystem::path& root);

  const std::filesystem::path& root() const { return root_; }

 private:
  explicit ChunkStore(std::filesystem::path root) : root_(std::move(root)) {}
  enum class Outcome { kCreated, kPresent, kRaced };
  Status LogUpload(std::string_view hex, size_t size, Outcome outcome);

  std::filesystem::path root_;
  std::mutex mu_;
  int log_fd_ = -1;
  std::string log_name_;
  uint64_t tmp_counter_ = 0;
};

}  // namespace blockhub::dedup
