#include "tools/cli/cli_decode.h"

#include <fmt/format.h>

#include "codec/codec.h"
#include "common/bytes.h"

namespace blockhub::cli {
namespace {

Result<Message> DecodeBare(std::string_view bytes) {
  if (bytes.size() < 2) return MalformedError("a message needs at least 2 bytes (version, type)");
  DecodeLimits limits;  // accept anything the wire can carry; keys are shown, not validated
  limits.key_format = KeyFormat::kBytes;
  limits.max_batch_keys = UINT32_MAX;
  limits.max_key_bytes = 0xffff;
  limits.max_value_bytes = 0xffff;
  limits.max_metadata_bytes = 0xffff;
  const auto type = static_cast<MessageType>(static_cast<uint8_t>(bytes[1]));
  if (IsRequestType(type)) {
    Channel channel = type == MessageType::kRegister ? Channel::kRegistration : Channel::kQuery;
    return DecodeRequest(bytes, limits, channel);
  }
  return DecodeResponse(bytes, limits);
}

}  // namespace

Result<DecodedFrame> DecodeFrame(std::string_view bytes) {
  Result<Message> bare = DecodeBare(bytes);
  if (bare) return DecodedFrame{std::nullopt, std::move(*bare)};
  if (bytes.size() >= kRequestIdBytes + 2) {
    Result<Message> framed = DecodeBare(bytes.substr(kRequestIdBytes));
    if (framed) return DecodedFrame{LoadU32(bytes.data()), std::move(*framed)};
    return MalformedError(fmt::format("not a message ({}) nor a request id + message ({})",
                                      bare.error().ToString(), framed.error().ToString()));
  }
  return bare.error();
}

}  // namespace blockhub::cli
