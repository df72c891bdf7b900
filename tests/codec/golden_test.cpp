// Golden frames: every frame of PROTOCOL.md §7 encodes to exactly those bytes and decodes back.
#include <doctest/doctest.h>

#include "codec/codec.h"
#include "codec/printers.h"
#include "common/bytes.h"
#include "tests/codec/codec_test_util.h"

namespace blockhub {
namespace {

using testing::ByteStore;
using testing::Hex;

Message V1(Body b) { return Message{ProtocolVersion::kV1, 0, 0, std::move(b)}; }

DecodeLimits U64Limits() {
  DecodeLimits l;
  l.key_format = KeyFormat::kU64;
  return l;
}

std::string Encoded(const Message& m) {
  std::string out;
  Status s = Encode(m, out);
  REQUIRE_MESSAGE(s.ok(), s.ToString());
  return out;
}

// Encode(msg) == golden, and decoding golden (as request on `channel`, or response) == msg.
void CheckGolden(const Message& msg, std::string_view golden_hex, bool request,
                 Channel channel = Channel::kQuery) {
  std::string golden = Hex(golden_hex);
  CHECK(ToHex(Encoded(msg)) == ToHex(golden));
  auto decoded =
      request ? DecodeRequest(golden, U64Limits(), channel) : DecodeResponse(golden, U64Limits());
  REQUIRE_MESSAGE(decoded.has_value(), decoded.error().ToString());
  CHECK(*decoded == msg);
}

TEST_CASE("golden v1 requests") {
  ByteStore st;
  CheckGolden(V1(CanOffload{{st.U64(1), st.U64(3)}}),
              "01 02 02 00 00 00 08 00 01 00 00 00 00 00 00 00 08 00 03 00 00 00 00 00 00 00",
              true);
  CheckGolden(V1(Match{MatchMode::kAll, {st.U64(1), st.U64(2)}}),
              "01 03 02 00 00 00 08 00 01 00 00 00 00 00 00 00 08 00 02 00 00 00 00 00 00 00",
              true);
  CheckGolden(V1(Remove{{st.U64(7)}}), "01 06 01 00 00 00 08 00 07 00 00 00 00 00 00 00", true);
  CheckGolden(V1(Touch{{}}), "01 08 00 00 00 00", true);
  CheckGolden(V1(Register{{{st.U64(1), st.U64(100), {}}}}),
              "01 01 01 00 00 00 08 00 01 00 00 00 00 00 00 00 08 00 64 00 00 00 00 00 00 00 00 00",
              true, Channel::kRegistration);
}

TEST_CASE("golden v1 responses") {
  ByteStore st;
  using OS = OffloadStatus;
  CheckGolden(V1(CanOffloadResponse{0, {OS::kAlreadyStored, OS::kGranted}}),
              "01 04 02 00 00 00 01 00", false);
  CheckGolden(V1(CanOffloadResponse{0, {OS::kGranted, OS::kAlreadyStored, OS::kLeased}}),
              "01 04 03 00 00 00 00 01 02", false);
  CheckGolden(V1(MatchResponse{{{st.U64(1), st.U64(100), {}}, {st.U64(2), st.U64(200), {}}}}),
              "01 05 02 00 00 00 08 00 01 00 00 00 00 00 00 00 08 00 64 00 00 00 00 00 00 00 00 00"
              "08 00 02 00 00 00 00 00 00 00 08 00 c8 00 00 00 00 00 00 00 00 00",
              false);
  CheckGolden(V1(RemoveResponse{2}), "01 07 02 00 00 00 00 00 00 00", false);
  CheckGolden(V1(TouchResponse{3}), "01 09 03 00 00 00 00 00 00 00", false);
  // v1 carries no code: the decoded ErrorResponse has the struct's default code.
  CheckGolden(V1(ErrorResponse{StatusCode::kInternal, "bad"}), "01 0a 03 00 62 61 64", false);
}

TEST_CASE("golden query frame and its reply") {
  ByteStore st;
  std::string frame;
  REQUIRE(EncodeQueryFrame(1, V1(CanOffload{{st.U64(1), st.U64(3)}}), frame).ok());
  CHECK(ToHex(frame) ==
        ToHex(Hex("01 00 00 00 01 02 02 00 00 00 08 00 01 00 00 00 00 00 00 00 08 00 03 00 00 00 "
                  "00 00 00 00")));
  auto req =
      DecodeRequest(std::string_view(frame).substr(kRequestIdBytes), U64Limits(), Channel::kQuery);
  REQUIRE(req.has_value());
  CHECK(std::get<CanOffload>(req->body).keys.size() == 2);

  std::string reply;
  using OS = OffloadStatus;
  REQUIRE(EncodeQueryFrame(1, V1(CanOffloadResponse{0, {OS::kAlreadyStored, OS::kGranted}}), reply)
              .ok());
  CHECK(ToHex(reply) == ToHex(Hex("01 00 00 00 01 04 02 00 00 00 01 00")));
}

TEST_CASE("golden Dynamo layouts") {
  std::string pk = Hex("00 00 00 00 00 00 00 00 ef be ad de 00 00 00 00 05 00 00 00");
  CHECK(ToHex(EncodePositionalKey({0, 0xDEADBEEF, 5})) == ToHex(pk));
  auto decoded = DecodePositionalKey(pk);
  REQUIRE(decoded.has_value());
  CHECK(decoded->worker_id == 0);
  CHECK(decoded->sequence_hash == 0xDEADBEEF);
  CHECK(decoded->position == 5);

  CHECK(ToHex(EncodeRemoteKey({"b", "00000000deadbeef"})) ==
        ToHex(Hex("00 01 00 62 10 00 30 30 30 30 30 30 30 30 64 65 61 64 62 65 65 66")));
}

TEST_CASE("encoding appends to a reused buffer") {
  ByteStore st;
  std::string out = "prefix";
  REQUIRE(Encode(V1(Touch{{}}), out).ok());
  CHECK(ToHex(out) == ToHex("prefix" + Hex("01 08 00 00 00 00")));
  out.clear();
  size_t cap = out.capacity();
  REQUIRE(Encode(V1(Touch{{}}), out).ok());
  CHECK(out.capacity() == cap);  // clear() kept the capacity and Encode did not need more
}

}  // namespace
}  // namespace blockhub
