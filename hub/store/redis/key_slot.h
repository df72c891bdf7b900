// KeySlot: the Redis Cluster hash slot of a key — CRC16 (XMODEM) of the key, or of its hash tag
// (the bytes between the first '{' and the next '}', when that is non-empty), modulo 16384.
// Pure functions, thread-safe. Part of the Redis cluster client (hub/store/redis).
#pragma once

#include <cstdint>
#include <string_view>

namespace blockhub::redis {

inline constexpr uint16_t kClusterSlots = 16384;

// CRC16-CCITT (XMODEM: polynomial 0x1021, initial value 0), as Redis Cluster uses it.
uint16_t Crc16(std::string_view bytes);
// The part of `key` that is hashed: its hash tag if it has a non-empty one, else the whole key.
std::string_view HashTagOf(std::string_view key);
// The slot of `key` in [0, 16384).
uint16_t KeySlot(std::string_view key);

}  // namespace blockhub::redis
