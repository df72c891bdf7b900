// Human-readable rendering of messages and of Dynamo's value/metadata layouts (PROTOCOL.md §6),
// for the CLI's `decode`, tools and logs. Never used on the hot path.
//
// Pure functions; thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "codec/key_format.h"
#include "codec/message.h"

namespace blockhub {

// Values: 8 bytes -> "u64 N"; a valid StorageLocation -> "StorageLocation{backend=Disk,
// path=\"…\", size_bytes=N}"; a valid RemoteKey -> "RemoteKey::Object{bucket=\"b\",
// key=\"…\"}"; otherwise "hex:…". A layout is chosen only when the bytes parse exactly.
std::string RenderValue(std::string_view value);
// Metadata: empty -> "none"; 12 bytes -> TimestampMetadata{created_at=…, ttl_secs=…};
// 24 bytes -> PositionMetadata{position=…, parent_hash=…, sequence_length=…, created_at=…};
// otherwise "hex:…".
std::string RenderMetadata(std::string_view metadata);
// One message, multi-line, keys rendered per `key_format`.
std::string RenderMessage(const Message& msg, KeyFormat key_format);

// Dynamo layouts, for tests and tools that build values.
struct StorageLocation {
  uint8_t backend = 0;  // Object 0, Disk 1
  std::string path;
  uint64_t size_bytes = 0;
};
struct RemoteKey {  // variant 0 = Object
  std::string bucket;
  std::string key;  // 16 lowercase hex digits of the sequence hash
};
struct PositionMetadata {
  uint32_t position = 0;
  uint64_t parent_hash = 0;  // 0 = none
  uint32_t sequence_length = 0;
  uint64_t created_at = 0;
};
std::string EncodeStorageLocation(const StorageLocation& v);
std::string EncodeRemoteKey(const RemoteKey& v);
std::string EncodePositionMetadata(const PositionMetadata& v);
std::optional<PositionMetadata> DecodePositionMetadata(std::string_view bytes);

}  // namespace blockhub
