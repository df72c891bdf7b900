// `blockhub decode`: turns any frame of either protocol version back into a readable message.
//
// Framing rule: the bytes are first decoded as a bare message (as on the registration channel, or
// a query frame without its id). If that fails and at least 6 bytes were given, the first 4 bytes
// are taken as a request id (a query or reply frame as it travels on the query channel) and the
// rest is decoded. Requests are decoded with the query or registration channel's rules, responses
// as a client would; keys are printed per --key-format, values and metadata with Dynamo's layouts.
//
// Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "codec/key_format.h"
#include "codec/message.h"
#include "common/status.h"

namespace blockhub::cli {

struct DecodedFrame {
  std::optional<uint32_t> request_id;
  Message message;  // borrows from the bytes passed to DecodeFrame
};

// `bytes` must outlive the result.
Result<DecodedFrame> DecodeFrame(std::string_view bytes);

}  // namespace blockhub::cli
