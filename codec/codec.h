// The wire codec: Message <-> bytes, for both protocol versions (PROTOCOL.md, codec/FORMAT.md).
//
// Pure: no I/O, no ZeroMQ, no logging. Decoding is strict and distrusts every length: each count
// and length is checked against the bytes that remain and against DecodeLimits BEFORE anything is
// allocated for it. Decoded messages borrow from the input bytes (see message.h).
//
// All functions are thread-safe (no shared state).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "codec/key_format.h"
#include "codec/message.h"
#include "common/status.h"

namespace blockhub {

// The hub's limits; a frame exceeding any of them is rejected (too_large / bad_key).
struct DecodeLimits {
  KeyFormat key_format = KeyFormat::kBytes;
  uint32_t max_batch_keys = 65536;
  uint32_t max_key_bytes = 64;
  uint32_t max_value_bytes = 4096;
  uint32_t max_metadata_bytes = 4096;
  // Worker membership (requests only): an Announce name, and the key and value bytes of an
  // Announce's metadata pairs or of a filter's terms (each total), are at most this many bytes;
  // a Multicast payload at most max_multicast_bytes (both <= 65535: lp16 fields).
  uint32_t max_member_metadata_bytes = 4096;
  uint32_t max_multicast_bytes = 65535;
};

// Which socket a frame arrived on: the query ROUTER accepts query requests (types 2,3,6,8 in v1;
// plus 11,13,15,17,19,21,23,25 in v2), the registration PULL accepts Register only.
enum class Channel : uint8_t { kQuery, kRegistration };

// Appends the encoding of `msg` (header + body, no request id) to `out`. Returns InvalidArgument
// if the message cannot be expressed in its version (a v2-only type in v1, a field longer than
// lp16 allows, more elements than u32 counts); `out` is then left as it was.
Status Encode(const Message& msg, std::string& out);

// Decodes a request that arrived on `channel`. Errors carry the wire code to answer with
// (unsupported_version, unknown_type, wrong_channel, malformed, too_large, bad_key).
Result<Message> DecodeRequest(std::string_view bytes, const DecodeLimits& limits, Channel channel);

// Decodes a response (client side). Keys are not checked against a key format; counts and lengths
// are checked against the remaining bytes and `limits`.
Result<Message> DecodeResponse(std::string_view bytes, const DecodeLimits& limits);

// ---- query-channel framing: request_id:u32 ‖ message ----
inline constexpr size_t kRequestIdBytes = 4;

// Appends request_id (LE) then the encoded message.
Status EncodeQueryFrame(uint32_t request_id, const Message& msg, std::string& out);

// The version an error reply to `message_bytes` (the frame after the request id) must use:
// v2 iff the first byte is 2, else v1 (PROTOCOL.md §5: unknown versions and empty messages get v1).
ProtocolVersion ReplyVersionFor(std::string_view message_bytes);

// Builds the ErrorResponse for a failed decode/handle, in `version`, with `epoch` (v2).
Message MakeErrorResponse(ProtocolVersion version, uint64_t epoch, const Status& error);

}  // namespace blockhub
