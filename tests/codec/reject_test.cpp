// Strict decoding: truncations, trailing bytes, headers, channels, key lengths and limits are each
// rejected with the error code PROTOCOL.md §5 assigns (and the check order of codec/FORMAT.md).
#include <doctest/doctest.h>

#include <string>

#include "codec/codec.h"
#include "common/bytes.h"
#include "tests/codec/codec_test_util.h"

namespace blockhub {
namespace {

using testing::ByteStore;
using testing::Hex;

StatusCode CodeOf(const Result<Message>& r) {
  return r.has_value() ? StatusCode::kOk : r.error().code();
}

StatusCode Req(std::string_view bytes, const DecodeLimits& l = testing::SampleLimits(),
               Channel ch = Channel::kQuery) {
  return CodeOf(DecodeRequest(bytes, l, ch));
}

StatusCode Resp(std::string_view bytes, const DecodeLimits& l = testing::SampleLimits()) {
  return CodeOf(DecodeResponse(bytes, l));
}

std::string EncodeOrDie(const Message& m) {
  std::string out;
  REQUIRE(Encode(m, out).ok());
  return out;
}

TEST_CASE("every truncation of every valid message is rejected as malformed") {
  ByteStore st;
  size_t checked = 0;
  for (const auto& s : testing::AllSamples(st)) {
    std::string bytes = EncodeOrDie(s.msg);
    REQUIRE(testing::DecodeLike(s, bytes, testing::SampleLimits()).has_value());
    for (size_t len = 0; len < bytes.size(); ++len) {
      CAPTURE(s.name);
      CAPTURE(len);
      auto r =
          testing::DecodeLike(s, std::string_view(bytes).substr(0, len), testing::SampleLimits());
      CHECK(CodeOf(r) == StatusCode::kMalformed);
      ++checked;
    }
  }
  CHECK(checked > 500);
}

TEST_CASE("trailing bytes after any valid message are malformed") {
  ByteStore st;
  for (const auto& s : testing::AllSamples(st)) {
    CAPTURE(s.name);
    std::string bytes = EncodeOrDie(s.msg) + std::string(1, '\0');
    CHECK(CodeOf(testing::DecodeLike(s, bytes, testing::SampleLimits())) == StatusCode::kMalformed);
  }
}

TEST_CASE("a count of 0xFFFFFFFF in a short frame") {
  std::string frame = Hex("01 02 ff ff ff ff 08 00 01 00 00 00 00 00 00 00");
  CHECK(Req(frame) == StatusCode::kTooLarge);  // above max_batch_keys: checked first
  DecodeLimits unlimited = testing::SampleLimits();
  unlimited.max_batch_keys = 0xFFFFFFFF;
  CHECK(Req(frame, unlimited) == StatusCode::kMalformed);  // cannot fit in the bytes left
  std::string reg = Hex("01 01 ff ff ff ff");
  CHECK(Req(reg, unlimited, Channel::kRegistration) == StatusCode::kMalformed);
  CHECK(Resp(Hex("01 04 ff ff ff ff 00"), unlimited) == StatusCode::kMalformed);
  CHECK(Resp(Hex("02 14 00 00 00 00 00 00 00 00 ff ff ff ff")) == StatusCode::kMalformed);
  // The count check uses the minimum element size: 3 keys need at least 6 bytes.
  CHECK(Req(Hex("01 08 03 00 00 00 00 00 00 00"), unlimited) == StatusCode::kMalformed);
}

TEST_CASE("empty message and unknown versions") {
  CHECK(Req("") == StatusCode::kMalformed);
  CHECK(Resp("") == StatusCode::kMalformed);
  for (int v : {0, 3, 0x7f, 0xff}) {
    CAPTURE(v);
    std::string frame = std::string(1, static_cast<char>(v)) + Hex("02 00 00 00 00");
    CHECK(Req(frame) == StatusCode::kUnsupportedVersion);
    CHECK(Req(frame.substr(0, 1)) == StatusCode::kUnsupportedVersion);
    CHECK(Resp(frame) == StatusCode::kUnsupportedVersion);
  }
  CHECK(Req(Hex("01")) == StatusCode::kMalformed);  // a version and no type
}

TEST_CASE("unknown types, including v2-only types in v1") {
  for (Channel ch : {Channel::kQuery, Channel::kRegistration}) {
    for (int t : {0, 11, 12, 13, 17, 19, 20, 21, 23, 25, 26, 27, 40, 41, 0xff}) {
      CAPTURE(t);
      std::string frame = Hex("01") + std::string(1, static_cast<char>(t)) + Hex("00 00 00 00");
      CHECK(Req(frame, testing::SampleLimits(), ch) == StatusCode::kUnknownType);
      CHECK(Resp(frame) == StatusCode::kUnknownType);
    }
    for (int t : {0, 27, 39, 40, 41, 0x80}) {
      std::string frame = Hex("02") + std::string(1, static_cast<char>(t));
      CHECK(Req(frame, testing::SampleLimits(), ch) == StatusCode::kUnknownType);
    }
  }
}

TEST_CASE("types on the wrong channel") {
  ByteStore st;
  for (const auto& s : testing::AllSamples(st)) {
    CAPTURE(s.name);
    std::string bytes = EncodeOrDie(s.msg);
    MessageType t = TypeOf(s.msg.body);
    bool is_register = t == MessageType::kRegister;
    if (!s.request) {
      CHECK(Req(bytes) == StatusCode::kWrongChannel);
      CHECK(Req(bytes, testing::SampleLimits(), Channel::kRegistration) ==
            StatusCode::kWrongChannel);
    } else {
      CHECK(Resp(bytes) == StatusCode::kWrongChannel);
      Channel other = is_register ? Channel::kQuery : Channel::kRegistration;
      CHECK(Req(bytes, testing::SampleLimits(), other) == StatusCode::kWrongChannel);
    }
  }
  // The channel is judged from the header alone: a truncated v2 header does not matter.
  CHECK(Req(Hex("02 05")) == StatusCode::kWrongChannel);
  CHECK(Req(Hex("02 01 00"), testing::SampleLimits(), Channel::kQuery) ==
        StatusCode::kWrongChannel);
}

TEST_CASE("v2 Match mode must be 0 or 1") {
  CHECK(Req(Hex("02 03 00 00 00 00 00 00 00 00 01 00 00 00 00")) == StatusCode::kOk);
  CHECK(Req(Hex("02 03 00 00 00 00 00 00 00 00 02 00 00 00 00")) == StatusCode::kMalformed);
  CHECK(Req(Hex("02 03 00 00 00 00 00 00 00 00 ff 00 00 00 00")) == StatusCode::kMalformed);
}

// A v1 CanOffload with one key of `len` bytes.
std::string OneKey(size_t len) {
  std::string f = Hex("01 02 01 00 00 00");
  f.push_back(static_cast<char>(len & 0xff));
  f.push_back(static_cast<char>(len >> 8));
  return f + std::string(len, 'k');
}

TEST_CASE("keys of the wrong length for the key format are bad_key") {
  struct Case {
    KeyFormat format;
    size_t length;
  };
  for (Case c : {Case{KeyFormat::kU64, 8}, Case{KeyFormat::kKey128, 16},
                 Case{KeyFormat::kComposite, 16}, Case{KeyFormat::kPositional, 20}}) {
    CAPTURE(KeyFormatName(c.format));
    DecodeLimits l;
    l.key_format = c.format;
    CHECK(Req(OneKey(c.length), l) == StatusCode::kOk);
    for (size_t bad : {size_t{0}, size_t{1}, c.length - 1, c.length + 1, size_t{64}}) {
      CAPTURE(bad);
      CHECK(Req(OneKey(bad), l) == StatusCode::kBadKey);
      // Judged from the length field, before the bytes: a frame that stops there is still bad_key.
      CHECK(Req(OneKey(bad).substr(0, 8), l) == StatusCode::kBadKey);
    }
  }
  DecodeLimits bytes_format;  // kBytes, max_key_bytes 64
  CHECK(Req(OneKey(1), bytes_format) == StatusCode::kOk);
  CHECK(Req(OneKey(64), bytes_format) == StatusCode::kOk);
  CHECK(Req(OneKey(0), bytes_format) == StatusCode::kBadKey);
  CHECK(Req(OneKey(65), bytes_format) == StatusCode::kBadKey);
  CHECK(Req(OneKey(65).substr(0, 8), bytes_format) == StatusCode::kBadKey);
  // max_key_bytes bounds the bytes format only: a fixed format takes exactly its length even when
  // max_key_bytes is smaller (PROTOCOL.md §6; the hub core and --max-key-bytes agree).
  DecodeLimits tight;
  tight.key_format = KeyFormat::kPositional;
  tight.max_key_bytes = 16;
  CHECK(Req(OneKey(20), tight) == StatusCode::kOk);
  CHECK(Req(OneKey(16), tight) == StatusCode::kBadKey);
  CHECK(Req(OneKey(21).substr(0, 8), tight) == StatusCode::kBadKey);
  // Responses do not judge keys.
  CHECK(Resp(Hex("01 05 01 00 00 00 01 00 6b 00 00 00 00")) == StatusCode::kOk);
}

TEST_CASE("Register entries: keys validated like query keys, values and metadata limited") {
  DecodeLimits l = testing::SampleLimits();
  l.max_value_bytes = 8;
  l.max_metadata_bytes = 4;
  Channel reg = Channel::kRegistration;
  std::string key = Hex("08 00 01 00 00 00 00 00 00 00");
  std::string head = Hex("01 01 01 00 00 00");
  CHECK(Req(head + key + Hex("02 00 aa bb 04 00 01 02 03 04"), l, reg) == StatusCode::kOk);
  CHECK(Req(head + Hex("07 00 01 02 03 04 05 06 07 00 00 00 00"), l, reg) == StatusCode::kBadKey);
  CHECK(Req(head + Hex("00 00 00 00 00 00"), l, reg) == StatusCode::kBadKey);
  // Over-limit value / metadata: too_large from the length field, bytes present or not.
  CHECK(Req(head + key + Hex("09 00") + std::string(9, 'v') + Hex("00 00"), l, reg) ==
        StatusCode::kTooLarge);
  CHECK(Req(head + key + Hex("ff ff"), l, reg) == StatusCode::kTooLarge);
  CHECK(Req(head + key + Hex("00 00 05 00") + std::string(5, 'm'), l, reg) ==
        StatusCode::kTooLarge);
  CHECK(Req(head + key + Hex("00 00 05 00"), l, reg) == StatusCode::kTooLarge);
  // Same limits on v2 RegisterSync (query channel).
  std::string sync = Hex("02 0b 00 00 00 00 00 00 00 00 01 00 00 00");
  CHECK(Req(sync + key + Hex("09 00"), l) == StatusCode::kTooLarge);
  CHECK(Req(sync + key + Hex("00 00 00 00"), l) == StatusCode::kOk);
}

TEST_CASE("counts above max_batch_keys are too_large before the bytes are checked") {
  DecodeLimits l = testing::SampleLimits();
  l.max_batch_keys = 2;
  std::string two = Hex("01 06 02 00 00 00") + Hex("08 00 01 00 00 00 00 00 00 00") +
                    Hex("08 00 02 00 00 00 00 00 00 00");
  CHECK(Req(two, l) == StatusCode::kOk);
  CHECK(Req(Hex("01 06 03 00 00 00"), l) == StatusCode::kTooLarge);
  CHECK(Req(Hex("01 01 03 00 00 00"), l, Channel::kRegistration) == StatusCode::kTooLarge);
  CHECK(Req(Hex("02 0d 00 00 00 00 00 00 00 00 03 00 00 00"), l) == StatusCode::kTooLarge);
  CHECK(Resp(Hex("01 04 03 00 00 00 00 00 00"), l) == StatusCode::kTooLarge);
}

TEST_CASE("response fields out of range are malformed") {
  CHECK(Resp(Hex("01 04 01 00 00 00 03")) == StatusCode::kMalformed);  // status 3
  CHECK(Resp(Hex("02 0c 00 00 00 00 00 00 00 00 01 00 00 00 ff")) == StatusCode::kMalformed);
  CHECK(Resp(Hex("02 0a 00 00 00 00 00 00 00 00 00 00 00 00")) ==
        StatusCode::kMalformed);  // code 0
  CHECK(Resp(Hex("02 0a 00 00 00 00 00 00 00 00 0b 00 00 00")) == StatusCode::kMalformed);  // 11
  CHECK(Resp(Hex("02 0a 00 00 00 00 00 00 00 00 0a 00 00 00")) == StatusCode::kOk);         // 10
  CHECK(Resp(Hex("02 0a 00 00 00 00 00 00 00 00 09 00 00 00")) == StatusCode::kOk);
  CHECK(Resp(Hex("02 12 00 00 00 00 00 00 00 00 00 00 00 00 05 00 00 00 00 "
                 "00 00 00 00 00 00 00 00 00 00")) == StatusCode::kMalformed);  // key_format 5
}

}  // namespace
}  // namespace blockhub
