// Manifest: what one `blockhub-dedup put` stored — the file tree and, per file, its chunk keys
// in order — as a line-oriented text file. Owner: tools/dedup. Plain value types;
// thread-compatible.
//
// Format (UTF-8 text, one record a line, fields separated by one space; PATH and TARGET are
// percent-encoded: bytes <= 0x20, 0x7f and '%' become %XX):
//   blockhub-dedup-manifest 1
//   hash xxh3|sha256
//   chunk-avg N
//   dir MODE PATH                           MODE = 4 octal digits (permission bits)
//   symlink PATH TARGET                     the link itself, never followed
//   file MODE SIZE FILEHASH NCHUNKS PATH    FILEHASH = 32 hex digits over the whole content
//   c KEY LEN                               NCHUNKS lines after their file: key = 32 hex digits
//   end
// PATH is relative (what put was given, with leading "/" and "../" parts removed); get restores it
// under --to DIR. Only regular files, directories and symbolic links are recorded (put skips
// devices, sockets and FIFOs with a warning). Owners and times are not recorded.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "tools/dedup/chunk_hash.h"

namespace blockhub::dedup {

struct ChunkRef {
  std::string key;  // 16 bytes
  uint32_t length = 0;
  friend bool operator==(const ChunkRef&, const ChunkRef&) = default;
};

struct ManifestEntry {
  enum class Type { kFile, kDir, kSymlink };
  Type type = Type::kFile;
  std::string path;    // relative, '/'-separated
  uint32_t mode = 0;   // permission bits (07777)
  uint64_t size = 0;   // files
  std::string hash;    // files: 16 bytes
  std::string target;  // symlinks
  std::vector<ChunkRef> chunks;
  friend bool operator==(const ManifestEntry&, const ManifestEntry&) = default;
};

struct Manifest {
  HashKind hash = HashKind::kXxh3;
  uint64_t chunk_avg = 0;
  std::vector<ManifestEntry> entries;
  friend bool operator==(const Manifest&, const Manifest&) = default;
};

std::string EncodePath(std::string_view raw);
Result<std::string> DecodePath(std::string_view enc);

std::string FormatManifest(const Manifest& m);
Result<Manifest> ParseManifest(std::string_view text);
// Written to a temporary name in the same folder, fsynced, renamed.
Status WriteManifestFile(const std::filesystem::path& path, const Manifest& m);
Result<Manifest> ReadManifestFile(const std::filesystem::path& path);

// The relative path under which `arg` (a put argument or a path below one) is recorded:
// lexically normalized, leading "/" and ".." parts removed. Empty when nothing is left.
std::string RecordedPath(const std::filesystem::path& arg);

}  // namespace blockhub::dedup
