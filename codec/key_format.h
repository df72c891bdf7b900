// KeyFormat: how the hub interprets block keys (PROTOCOL.md §6), plus validation, parsing from
// text (CLI) and rendering to text (tools, logs).
//
// Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/status.h"

namespace blockhub {

// Wire values are those of HelloResponse.key_format.
enum class KeyFormat : uint8_t {
  kBytes = 0,       // 1 .. max_key_bytes, opaque
  kU64 = 1,         // 8 bytes, u64 LE
  kKey128 = 2,      // 16 bytes, u128 LE
  kComposite = 3,   // 16 bytes: worker_id u64, sequence_hash u64
  kPositional = 4,  // 20 bytes: worker_id u64, sequence_hash u64, position u32
};

std::string_view KeyFormatName(KeyFormat f);  // "bytes", "u64", "key128", "composite", "positional"
Result<KeyFormat> ParseKeyFormat(std::string_view name);
// Fixed length of the format, or 0 for kBytes (variable).
size_t KeyFormatLength(KeyFormat f);

// Checks one key against the format: empty, longer than max_key_bytes (bytes format only), or the
// wrong fixed length -> BadKey.
Status ValidateKey(KeyFormat f, std::string_view key, uint32_t max_key_bytes);

// Text <-> key bytes, for the CLI and tools:
//   u64: decimal or 0x-hex; key128: 32 hex digits or 0x-hex (big-endian text, stored LE);
//   composite: W:H; positional: W:H:P (each part decimal or 0x-hex); bytes: hex.
Result<std::string> ParseKeyText(KeyFormat f, std::string_view text);
std::string FormatKey(KeyFormat f, std::string_view key);

// The positional/composite key layout, for the eviction policies and printers.
struct PositionalKey {
  uint64_t worker_id = 0;
  uint64_t sequence_hash = 0;
  uint32_t position = 0;
};
std::string EncodePositionalKey(const PositionalKey& k);                   // 20 bytes
std::optional<PositionalKey> DecodePositionalKey(std::string_view bytes);  // needs exactly 20

}  // namespace blockhub
