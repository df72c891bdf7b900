// ChunkStore: the content-addressed directory store of blockhub-dedup. Owner: tools/dedup.
// Thread-safe: every method may be called from any thread (the creation log is mutex-guarded).
//
// Layout under the store root:
//   chunks/<h0h1>/<32 hex digits>   one file per chunk, named by its key, 256 fan-out folders
//   tmp/<hex>.<pid>.<n>             uploads in progress (never read as chunks)
//   log/created.<pid>.<n>           one line "<hex> <size>" per chunk file this process created
// Put writes the data to a temporary file, fsyncs it, link(2)s it to its final name and fsyncs
// the folder (PutBatch does the same for many chunks with one syncfs per step): the final name
// appears atomically with complete, durable content, so a crash never leaves a partial chunk under
// a final name. link fails with EEXIST when the chunk is already there: Put then reports "not
// created" and the creation log does not get a line, so the logs tell how often each chunk file
// was created (exactly once when deduplication works). RemoveStaleTemps deletes temporaries of
// processes that no longer run.
#pragma once

#include <cstdint>
#include <filesystem>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace blockhub::dedup {

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

  const std::filesystem::path& root() const { return root_; }

 private:
  explicit ChunkStore(std::filesystem::path root) : root_(std::move(root)) {}
  Status LogCreation(std::string_view hex, size_t size);

  std::filesystem::path root_;
  std::mutex mu_;
  int log_fd_ = -1;
  std::string log_name_;
  uint64_t tmp_counter_ = 0;
};

}  // namespace blockhub::dedup
