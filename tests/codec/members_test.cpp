// Worker membership on the wire (codec/FORMAT.md "Members"): the hand-computed bytes of Announce,
// Enumerate, Multicast and their responses, the PUB-channel MulticastMessage, and the strict
// rejection of hostile frames (huge counts, empty keys, sizes over the limits, bad flags).
#include <doctest/doctest.h>

#include <string>

#include "codec/codec.h"
#include "codec/events.h"
#include "common/bytes.h"
#include "tests/codec/codec_test_util.h"

namespace blockhub {
namespace {

using testing::ByteStore;
using testing::Hex;

constexpr const char* kClient5 = "05 00 00 00 00 00 00 00";
constexpr const char* kEpoch1 = "01 00 00 00 00 00 00 00";

Message V2Req(uint64_t client_id, Body b) {
  return Message{ProtocolVersion::kV2, client_id, 0, std::move(b)};
}
Message V2Resp(uint64_t epoch, Body b) {
  return Message{ProtocolVersion::kV2, 0, epoch, std::move(b)};
}

void CheckBytes(const Message& m, const std::string& hex, bool request) {
  std::string out;
  REQUIRE(Encode(m, out).ok());
  CHECK(ToHex(out) == ToHex(Hex(hex)));
  auto d = request ? DecodeRequest(out, DecodeLimits{}, Channel::kQuery)
                   : DecodeResponse(out, DecodeLimits{});
  REQUIRE_MESSAGE(d.has_value(), d.error().ToString());
  CHECK(*d == m);
}

StatusCode Req(std::string_view bytes, const DecodeLimits& l = DecodeLimits{}) {
  auto r = DecodeRequest(bytes, l, Channel::kQuery);
  return r.has_value() ? StatusCode::kOk : r.error().code();
}
StatusCode Resp(std::string_view bytes) {
  auto r = DecodeResponse(bytes, DecodeLimits{});
  return r.has_value() ? StatusCode::kOk : r.error().code();
}

std::string H(const std::string& hex) { return Hex(hex); }

TEST_CASE("members: hand-computed bytes of every membership type") {
  ByteStore st;
  const std::string c5 = kClient5, e1 = kEpoch1;
  CheckBytes(V2Req(5, Announce{st.Str("w"), 1000, {{st.Str("k"), st.Str("v")}}}),
             "02 15 " + c5 + " 01 00 77 e8 03 00 00 01 00 00 00 01 00 6b 01 00 76", true);
  // Withdraw: ttl 0, no name, no metadata.
  CheckBytes(V2Req(5, Announce{{}, 0, {}}), "02 15 " + c5 + " 00 00 00 00 00 00 00 00 00 00",
             true);
  CheckBytes(V2Resp(1, AnnounceResponse{5, 1000, false}),
             "02 16 " + e1 + " 05 00 00 00 00 00 00 00 e8 03 00 00 00", false);
  CheckBytes(V2Resp(1, AnnounceResponse{5, 0, true}),
             "02 16 " + e1 + " 05 00 00 00 00 00 00 00 00 00 00 00 01", false);
  CheckBytes(V2Req(5, Enumerate{{{st.Str("k"), st.Str("v")}, {st.Str("p"), std::nullopt}}}),
             "02 17 " + c5 + " 02 00 00 00 01 00 6b 01 01 00 76 01 00 70 00", true);
  CheckBytes(V2Req(5, Enumerate{{}}), "02 17 " + c5 + " 00 00 00 00", true);
  CheckBytes(V2Resp(1, EnumerateResponse{0x10,
                                         {MemberInfo{5, 6, st.Str("w"),
                                                     {{st.Str("k"), st.Str("v")}}, 1, 2, 1000}}}),
             "02 18 " + e1 + " 10 00 00 00 00 00 00 00 01 00 00 00" +
                 " 05 00 00 00 00 00 00 00 06 00 00 00 00 00 00 00 01 00 77" +
                 " 01 00 00 00 01 00 6b 01 00 76" +
                 " 01 00 00 00 00 00 00 00 02 00 00 00 00 00 00 00 e8 03 00 00",
             false);
  CheckBytes(V2Req(5, Multicast{{{st.Str("k"), std::nullopt}}, st.Str("hi")}),
             "02 19 " + c5 + " 01 00 00 00 01 00 6b 00 02 00 68 69", true);
  CheckBytes(V2Resp(1, MulticastResponse{2}), "02 1a " + e1 + " 02 00 00 00 00 00 00 00", false);
}

TEST_CASE("members: the new types are v2 only and requests only on the query channel") {
  const std::string c5 = kClient5;
  // In v1 they do not exist.
  for (int t = 21; t <= 26; ++t) {
    CAPTURE(t);
    std::string frame = H("01") + std::string(1, static_cast<char>(t)) + H("00 00 00 00");
    CHECK(Req(frame) == StatusCode::kUnknownType);
  }
  const std::string announce = H("02 15 " + c5 + " 00 00 00 00 00 00 00 00 00 00");
  CHECK(Req(announce) == StatusCode::kOk);
  CHECK(Resp(announce) == StatusCode::kWrongChannel);
  CHECK(DecodeRequest(announce, DecodeLimits{}, Channel::kRegistration).error().code() ==
        StatusCode::kWrongChannel);
  CHECK(Req(H("02 16 " + c5 + " 05 00 00 00 00 00 00 00 00 00 00 00 00")) ==
        StatusCode::kWrongChannel);
  CHECK(Req(H("02 1a " + c5 + " 00 00 00 00 00 00 00 00")) == StatusCode::kWrongChannel);
}

TEST_CASE("members: hostile counts are too_large or malformed before anything is reserved") {
  const std::string c5 = kClient5;
  const std::string announce_head = "02 15 " + c5 + " 00 00 e8 03 00 00 ";
  // A metadata count above the byte limit can never fit (every key is at least one byte).
  CHECK(Req(H(announce_head + "ff ff ff ff")) == StatusCode::kTooLarge);
  CHECK(Req(H(announce_head + "01 10 00 00")) == StatusCode::kTooLarge);  // 4097 > 4096
  // Within the limit but more than the frame can hold: 1000 pairs in 5 bytes.
  CHECK(Req(H(announce_head + "e8 03 00 00 01 00 6b 00 00")) == StatusCode::kMalformed);
  // Filters likewise.
  CHECK(Req(H("02 17 " + c5 + " ff ff ff ff")) == StatusCode::kTooLarge);
  CHECK(Req(H("02 17 " + c5 + " 10 00 00 00 01 00 6b 00")) == StatusCode::kMalformed);
  CHECK(Req(H("02 19 " + c5 + " ff ff ff ff 00 00")) == StatusCode::kTooLarge);
  // Responses: only the frame bounds the member count.
  const std::string e1 = kEpoch1;
  CHECK(Resp(H("02 18 " + e1 + " 00 00 00 00 00 00 00 00 ff ff ff ff")) ==
        StatusCode::kMalformed);
  CHECK(Resp(H("02 18 " + e1 + " 00 00 00 00 00 00 00 00 00 00 00 00")) == StatusCode::kOk);
}

TEST_CASE("members: keys, sizes and flags") {
  const std::string c5 = kClient5;
  const std::string announce_head = "02 15 " + c5 + " 00 00 e8 03 00 00 ";
  // An empty metadata key or filter key is malformed.
  CHECK(Req(H(announce_head + "01 00 00 00 00 00 01 00 76")) == StatusCode::kMalformed);
  CHECK(Req(H("02 17 " + c5 + " 01 00 00 00 00 00 00")) == StatusCode::kMalformed);
  // An empty value is fine.
  CHECK(Req(H(announce_head + "01 00 00 00 01 00 6b 00 00")) == StatusCode::kOk);
  // has_value other than 0/1.
  CHECK(Req(H("02 17 " + c5 + " 01 00 00 00 01 00 6b 02")) == StatusCode::kMalformed);
  CHECK(Req(H("02 17 " + c5 + " 01 00 00 00 01 00 6b 01 00 00")) == StatusCode::kOk);

  DecodeLimits l;
  l.max_member_metadata_bytes = 4;
  // Keys and values add up: "ab"="cd" is 4 bytes (fits), "ab"="cde" is 5 (too large), judged
  // from the length field before the bytes are there.
  CHECK(Req(H(announce_head + "01 00 00 00 02 00 61 62 02 00 63 64"), l) == StatusCode::kOk);
  CHECK(Req(H(announce_head + "01 00 00 00 02 00 61 62 03 00"), l) == StatusCode::kTooLarge);
  CHECK(Req(H(announce_head + "02 00 00 00 02 00 61 62 02 00 63 64 01 00"), l) ==
        StatusCode::kTooLarge);
  // The name is bounded by the same limit on its own.
  CHECK(Req(H("02 15 " + c5 + " 04 00 61 62 63 64 00 00 00 00 00 00 00 00"), l) ==
        StatusCode::kOk);
  CHECK(Req(H("02 15 " + c5 + " 05 00"), l) == StatusCode::kTooLarge);
  // Filter terms likewise.
  CHECK(Req(H("02 17 " + c5 + " 02 00 00 00 02 00 61 62 00 02 00 63 64 00"), l) ==
        StatusCode::kOk);
  CHECK(Req(H("02 17 " + c5 + " 01 00 00 00 02 00 61 62 01 03 00"), l) == StatusCode::kTooLarge);

  // The multicast payload: at most max_multicast_bytes, judged before its bytes.
  l.max_multicast_bytes = 2;
  CHECK(Req(H("02 19 " + c5 + " 00 00 00 00 02 00 68 69"), l) == StatusCode::kOk);
  CHECK(Req(H("02 19 " + c5 + " 00 00 00 00 03 00"), l) == StatusCode::kTooLarge);
  CHECK(Req(H("02 19 " + c5 + " 00 00 00 00 02 00 68")) == StatusCode::kMalformed);

  // AnnounceResponse.existed is 0 or 1.
  const std::string e1 = kEpoch1;
  CHECK(Resp(H("02 16 " + e1 + " 05 00 00 00 00 00 00 00 00 00 00 00 02")) ==
        StatusCode::kMalformed);
}

TEST_CASE("members: Encode refuses empty keys and leaves the buffer alone") {
  ByteStore st;
  std::string out = "keep";
  Message a = V2Req(1, Announce{st.Str("w"), 1, {{st.Str(""), st.Str("v")}}});
  CHECK(Encode(a, out).code() == StatusCode::kInvalidArgument);
  Message e = V2Req(1, Enumerate{{{st.Str(""), std::nullopt}}});
  CHECK(Encode(e, out).code() == StatusCode::kInvalidArgument);
  Message big = V2Req(1, Multicast{{}, st.Str(std::string(70000, 'x'))});
  CHECK(Encode(big, out).code() == StatusCode::kInvalidArgument);
  CHECK(out == "keep");
}

TEST_CASE("members: MulticastMessage bytes, topic and strict decoding") {
  CHECK(MemberTopic(5) == "member.0000000000000005");
  CHECK(MemberTopic(0xDEADBEEF00112233ull) == "member.deadbeef00112233");
  std::string out = "old";
  REQUIRE(EncodeMulticastMessage(MulticastMessage{1, 5, 7, "hi"}, out).ok());
  const std::string want = H(std::string("02 29 ") + kEpoch1 + " 05 00 00 00 00 00 00 00" +
                             " 07 00 00 00 00 00 00 00 02 00 68 69");
  CHECK(ToHex(out) == ToHex(want));
  auto m = DecodeMulticastMessage(out);
  REQUIRE(m.has_value());
  CHECK(m->epoch == 1);
  CHECK(m->member_id == 5);
  CHECK(m->sender == 7);
  CHECK(m->payload == "hi");
  for (size_t n = 0; n < want.size(); ++n) {
    CAPTURE(n);
    CHECK_FALSE(DecodeMulticastMessage(std::string_view(want).substr(0, n)).has_value());
  }
  CHECK_FALSE(DecodeMulticastMessage(want + "x").has_value());
  std::string wrong_type = want;
  wrong_type[1] = 40;
  CHECK_FALSE(DecodeMulticastMessage(wrong_type).has_value());
  std::string wrong_version = want;
  wrong_version[0] = 1;
  CHECK_FALSE(DecodeMulticastMessage(wrong_version).has_value());
  std::string huge(70000, 'x');
  CHECK(EncodeMulticastMessage(MulticastMessage{1, 5, 7, huge}, out).code() ==
        StatusCode::kInvalidArgument);
  // An EventBatch is not a MulticastMessage, nor the other way round.
  CHECK_FALSE(DecodeEventBatch(want).has_value());
}

}  // namespace
}  // namespace blockhub
