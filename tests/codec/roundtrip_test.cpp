// Version 2 (and 1) round trips for every message type, with the v2 header checked byte by byte,
// plus a few hand-computed v2 frames that pin the v2 layouts independently of the encoder.
#include <doctest/doctest.h>

#include <set>

#include "codec/codec.h"
#include "common/bytes.h"
#include "tests/codec/codec_test_util.h"

namespace blockhub {
namespace {

using testing::ByteStore;
using testing::Hex;

TEST_CASE("every message type round-trips in v2 with its header, and every v1 type") {
  ByteStore st;
  auto samples = testing::AllSamples(st);
  std::set<MessageType> v2_types, v1_types;
  for (const auto& s : samples) {
    CAPTURE(s.name);
    std::string bytes;
    Status enc = Encode(s.msg, bytes);
    REQUIRE_MESSAGE(enc.ok(), enc.ToString());
    MessageType type = TypeOf(s.msg.body);
    REQUIRE(bytes.size() >= 2);
    CHECK(static_cast<uint8_t>(bytes[0]) == static_cast<uint8_t>(s.msg.version));
    CHECK(static_cast<uint8_t>(bytes[1]) == static_cast<uint8_t>(type));
    if (s.msg.version == ProtocolVersion::kV2) {
      REQUIRE(bytes.size() >= 10);
      uint64_t header = LoadU64(bytes.data() + 2);
      CHECK(header == (IsRequestType(type) ? s.msg.client_id : s.msg.epoch));
      v2_types.insert(type);
    } else {
      v1_types.insert(type);
    }
    auto decoded = testing::DecodeLike(s, bytes, testing::SampleLimits());
    REQUIRE_MESSAGE(decoded.has_value(), decoded.error().ToString());
    CHECK(*decoded == s.msg);
    // Re-encoding the decoded message gives the same bytes.
    std::string again;
    REQUIRE(Encode(*decoded, again).ok());
    CHECK(again == bytes);
  }
  CHECK(v2_types.size() == 26);
  CHECK(v1_types.size() == 10);
}

Message V2Req(uint64_t client_id, Body b) {
  return Message{ProtocolVersion::kV2, client_id, 0, std::move(b)};
}
Message V2Resp(uint64_t epoch, Body b) {
  return Message{ProtocolVersion::kV2, 0, epoch, std::move(b)};
}

void CheckBytes(const Message& m, std::string_view hex, bool request) {
  std::string out;
  REQUIRE(Encode(m, out).ok());
  CHECK(ToHex(out) == ToHex(Hex(hex)));
  DecodeLimits limits;
  limits.key_format = KeyFormat::kU64;
  auto d = request ? DecodeRequest(out, limits, Channel::kQuery) : DecodeResponse(out, limits);
  REQUIRE_MESSAGE(d.has_value(), d.error().ToString());
  CHECK(*d == m);
}

TEST_CASE("hand-computed v2 frames") {
  ByteStore st;
  CheckBytes(V2Req(5, Match{MatchMode::kLeadingRun, {st.U64(1)}}),
             "02 03 05 00 00 00 00 00 00 00 01 01 00 00 00 08 00 01 00 00 00 00 00 00 00", true);
  CheckBytes(V2Req(0x0102030405060708ull, Stats{}), "02 13 08 07 06 05 04 03 02 01", true);
  CheckBytes(V2Req(1, Hello{st.Str("w"), st.Str("")}),
             "02 11 01 00 00 00 00 00 00 00 01 00 77 00 00", true);
  CheckBytes(V2Resp(1, ErrorResponse{StatusCode::kMalformed, "bad"}),
             "02 0a 01 00 00 00 00 00 00 00 03 00 03 00 62 61 64", false);
  CheckBytes(V2Resp(1, ErrorResponse{StatusCode::kPermissionDenied, "role"}),
             "02 0a 01 00 00 00 00 00 00 00 0a 00 04 00 72 6f 6c 65", false);
  CheckBytes(V2Resp(0, CanOffloadResponse{1000, {OffloadStatus::kLeased}}),
             "02 04 00 00 00 00 00 00 00 00 e8 03 00 00 01 00 00 00 02", false);
  CheckBytes(V2Resp(2, HelloResponse{1000, 4, 16, 0x100, "v"}),
             "02 12 02 00 00 00 00 00 00 00 e8 03 00 00 04 10 00 00 00 00 01 00 00 00 00 00 00 "
             "01 00 76",
             false);
  CheckBytes(V2Resp(3, StatsResponse{{{"n", 9}}}),
             "02 14 03 00 00 00 00 00 00 00 01 00 00 00 01 00 6e 09 00 00 00 00 00 00 00", false);
}

TEST_CASE("ReplyVersionFor and MakeErrorResponse") {
  CHECK(ReplyVersionFor("") == ProtocolVersion::kV1);
  CHECK(ReplyVersionFor(Hex("01 02")) == ProtocolVersion::kV1);
  CHECK(ReplyVersionFor(Hex("02")) == ProtocolVersion::kV2);
  CHECK(ReplyVersionFor(Hex("07 02")) == ProtocolVersion::kV1);

  Message v1 = MakeErrorResponse(ProtocolVersion::kV1, 99, MalformedError("truncated count"));
  CHECK(v1.version == ProtocolVersion::kV1);
  CHECK(v1.epoch == 0);
  std::string out;
  REQUIRE(Encode(v1, out).ok());
  CHECK(ToHex(out) == ToHex(Hex("01 0a 1a 00") + "malformed: truncated count"));

  Message v2 = MakeErrorResponse(ProtocolVersion::kV2, 99, BadKeyError("empty key"));
  CHECK(v2.epoch == 99);
  CHECK(std::get<ErrorResponse>(v2.body) == ErrorResponse{StatusCode::kBadKey, "empty key"});
  // A local code never reaches the wire.
  Message local = MakeErrorResponse(ProtocolVersion::kV2, 1, TimeoutError("slow"));
  CHECK(std::get<ErrorResponse>(local.body).code == StatusCode::kInternal);
  out.clear();
  CHECK(Encode(local, out).ok());
  // Long texts are cut to fit a frame, on a UTF-8 boundary.
  std::string long_text;
  for (int i = 0; i < 2000; ++i) long_text += "\xc3\xa9";  // é
  Message cut = MakeErrorResponse(ProtocolVersion::kV2, 1, InternalError(long_text));
  const std::string& text = std::get<ErrorResponse>(cut.body).message;
  CHECK(text.size() <= 1024);
  CHECK(text.size() % 2 == 0);
}

TEST_CASE("Encode refuses what the version cannot express and leaves the buffer alone") {
  ByteStore st;
  std::string out = "keep";
  Message v1_sync{ProtocolVersion::kV1, 0, 0, RegisterSync{}};
  CHECK(Encode(v1_sync, out).code() == StatusCode::kInvalidArgument);
  Message v1_mode{ProtocolVersion::kV1, 0, 0, Match{MatchMode::kLeadingRun, {}}};
  CHECK(Encode(v1_mode, out).code() == StatusCode::kInvalidArgument);
  std::string huge(70000, 'x');
  Message big{ProtocolVersion::kV2, 0, 0, Hello{huge, ""}};
  CHECK(Encode(big, out).code() == StatusCode::kInvalidArgument);
  Message bad_code{ProtocolVersion::kV2, 0, 0, ErrorResponse{StatusCode::kTimeout, "x"}};
  CHECK(Encode(bad_code, out).code() == StatusCode::kInvalidArgument);
  Message bad_status{ProtocolVersion::kV2, 0, 0,
                     CanOffloadResponse{0, {static_cast<OffloadStatus>(3)}}};
  CHECK(Encode(bad_status, out).code() == StatusCode::kInvalidArgument);
  CHECK(EncodeQueryFrame(7, v1_sync, out).code() == StatusCode::kInvalidArgument);
  CHECK(out == "keep");
}

}  // namespace
}  // namespace blockhub
