// Helpers shared by the integration tests: frame builders (through the codec), reply decoding, and
// a bounded "retry until" for the asynchronous registration channel. Test-only; single-threaded.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "codec/codec.h"
#include "codec/message.h"
#include "tests/support/raw_sockets.h"

namespace blockhub::testing {

std::string U64Key(uint64_t v);

// Encodes a request (no request id). Aborts the test binary if the codec refuses (a test bug).
std::string EncodeV1(Body body);
std::string EncodeV2(uint64_t client_id, Body body);

// Decodes a reply frame's message (the bytes after the request id). The returned message borrows
// from `reply`, which must outlive it.
Result<Message> DecodeReply(const RawReply& reply);

// Sends `message` and returns the decoded reply (borrowing from `*holder`).
Result<Message> Ask(RawDealer& dealer, uint32_t request_id, std::string_view message,
                    RawReply* holder);

// Calls `attempt` until it returns true or `timeout` passes; true if it succeeded. For waiting on
// registrations (PUSH is asynchronous): each attempt is a full round trip, never a sleep.
bool RetryUntil(const std::function<bool()>& attempt,
                std::chrono::milliseconds timeout = std::chrono::milliseconds(5000));

// The value of one Stats counter (v2 Stats round trip), or UINT64_MAX if it is missing.
uint64_t StatValue(RawDealer& dealer, std::string_view name);

// Entries as (key, value) pairs, for readable comparisons.
std::vector<std::pair<std::string, std::string>> EntryPairs(const Message& match_response);

}  // namespace blockhub::testing
