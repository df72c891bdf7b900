// Chunk and file hashes of blockhub-dedup: 128-bit digests used as hub keys (key128) and as the
// content address of chunks. Owner: tools/dedup. Free functions and a move-only streaming hasher
// (one per thread).
//   xxh3   XXH3-128 (libxxhash): fast, not collision resistant — for trusted data.
//   sha256 SHA-256 (OpenSSL libcrypto) truncated to its first 16 bytes — for untrusted data,
//          where someone could craft colliding chunks.
// Digests are 16 raw bytes; Hex() gives 32 lowercase hex digits (the byte order as stored).
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "common/status.h"

namespace blockhub::dedup {

enum class HashKind { kXxh3, kSha256 };

Result<HashKind> ParseHashKind(std::string_view name);  // "xxh3" | "sha256"
std::string_view HashKindName(HashKind k);

// 16-byte digest of `data`.
std::string Hash128(HashKind kind, std::span<const uint8_t> data);
std::string Hex(std::string_view bytes);
// 32 hex digits -> 16 bytes; false on bad input.
bool FromHex32(std::string_view hex, std::string& out);

class StreamHasher {
 public:
  explicit StreamHasher(HashKind kind);
  ~StreamHasher();
  StreamHasher(StreamHasher&&) noexcept;
  StreamHasher& operator=(StreamHasher&&) noexcept;
  void Update(std::span<const uint8_t> data);
  std::string Finish();  // 16-byte digest; the hasher must not be used afterwards

 private:
  struct State;
  std::unique_ptr<State> s_;
};

}  // namespace blockhub::dedup
