// Fuzz entry for the decoder (libFuzzer's LLVMFuzzerTestOneInput; also driven by the corpus
// replay test). Each input is decoded as a request on both channels under several key formats
// and limits, and as a response. Every success must re-encode to exactly the input bytes and
// decode again to the same message; every failure must carry a wire error code and yield an
// ErrorResponse that encodes. A violated property aborts (a finding).
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "codec/codec.h"

namespace blockhub {
namespace {

[[noreturn]] void Finding(const char* what, const Status& s = Status::Ok()) {
  std::fprintf(stderr, "decode_fuzz finding: %s %s\n", what, s.ToString().c_str());
  std::abort();
}

DecodeLimits Limits(KeyFormat f, uint32_t batch, uint32_t key, uint32_t value, uint32_t meta) {
  DecodeLimits l;
  l.key_format = f;
  l.max_batch_keys = batch;
  l.max_key_bytes = key;
  l.max_value_bytes = value;
  l.max_metadata_bytes = meta;
  return l;
}

const DecodeLimits kLimits[] = {
    DecodeLimits{},                                  // bytes keys, defaults
    Limits(KeyFormat::kU64, 65536, 64, 4096, 4096),  // Dynamo's common setting
    Limits(KeyFormat::kPositional, 65536, 64, 4096, 4096),
    Limits(KeyFormat::kKey128, 4, 16, 16, 8),                       // tiny limits
    Limits(KeyFormat::kBytes, 0xFFFFFFFF, 0xFFFF, 0xFFFF, 0xFFFF),  // no limits at all
};

void CheckSuccess(const Message& msg, std::string_view input, const DecodeLimits& limits,
                  bool request, Channel channel) {
  std::string out;
  Status s = Encode(msg, out);
  if (!s.ok()) Finding("a decoded message does not encode", s);
  if (out != input) Finding("re-encoding differs from the input");
  auto again = request ? DecodeRequest(out, limits, channel) : DecodeResponse(out, limits);
  if (!again) Finding("re-encoded bytes do not decode", again.error());
  if (!(*again == msg)) Finding("decode(encode(m)) != m");
}

void CheckFailure(const Status& error, std::string_view input) {
  if (!IsWireCode(error.code()) || error.code() == StatusCode::kInternal) {
    Finding("decode failed with a non-protocol code", error);
  }
  std::string out;
  Status s = Encode(MakeErrorResponse(ReplyVersionFor(input), 42, error), out);
  if (!s.ok()) Finding("the ErrorResponse does not encode", s);
}

}  // namespace
}  // namespace blockhub

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace blockhub;
  std::string_view input(reinterpret_cast<const char*>(data), size);
  for (const DecodeLimits& limits : kLimits) {
    for (Channel ch : {Channel::kQuery, Channel::kRegistration}) {
      auto r = DecodeRequest(input, limits, ch);
      if (r) {
        CheckSuccess(*r, input, limits, true, ch);
      } else {
        CheckFailure(r.error(), input);
      }
    }
    auto resp = DecodeResponse(input, limits);
    if (resp) {
      CheckSuccess(*resp, input, limits, false, Channel::kQuery);
    } else {
      CheckFailure(resp.error(), input);
    }
  }
  return 0;
}
