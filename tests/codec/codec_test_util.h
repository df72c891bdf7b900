// Helpers shared by the codec tests: hex literals, key storage for borrowed views, and a sample
// of every valid message of both protocol versions (for round-trip and truncation loops).
#pragma once

#include <deque>
#include <string>
#include <string_view>
#include <vector>

#include "codec/codec.h"

namespace blockhub::testing {

// "01 02 0a" -> bytes; spaces and newlines are ignored. Aborts the test on bad hex.
std::string Hex(std::string_view spaced);

// Owns the bytes that test messages borrow. Views stay valid for the store's lifetime.
class ByteStore {
 public:
  std::string_view U64(uint64_t v);
  std::string_view Str(std::string s);

 private:
  std::deque<std::string> items_;
};

// One valid frame and where it is decoded.
struct Sample {
  std::string name;
  Message msg;
  bool request = true;
  Channel channel = Channel::kQuery;
};

// Every message type in v2 (and every v1 type), with u64 keys, values and some metadata.
// Views point into `store`.
std::vector<Sample> AllSamples(ByteStore& store);

// Limits that accept every sample (u64 keys).
DecodeLimits SampleLimits();

// Decodes `bytes` the way `s` says (request on its channel, or response).
Result<Message> DecodeLike(const Sample& s, std::string_view bytes, const DecodeLimits& limits);

}  // namespace blockhub::testing
