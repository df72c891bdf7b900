// Hostile input against the real hub: every class of bad query frame gets an ErrorResponse with its
// request id, the right version and the right code; bad registration frames are dropped and
// counted; and the hub keeps answering correctly afterwards.
#include <doctest/doctest.h>

#include <random>

#include "tests/integration/integration_util.h"
#include "tests/support/hub_process.h"
#include "tests/support/raw_sockets.h"

namespace blockhub::testing {
namespace {

struct Case {
  std::string name;
  std::string message;  // after the request id
  ProtocolVersion version;
  StatusCode code;
};

std::string Lp16(std::string_view s) {
  std::string out{static_cast<char>(s.size() & 0xff), static_cast<char>(s.size() >> 8)};
  return out.append(s);
}

std::string U32(uint32_t v) { return U64Key(v).substr(0, 4); }

std::vector<Case> HostileCases() {
  const std::string k1 = U64Key(1);
  const std::string v1_offload = EncodeV1(CanOffload{{k1, U64Key(3)}});
  const std::string v2_offload = EncodeV2(42, CanOffload{{k1}});
  const std::string v2_match = EncodeV2(42, Match{MatchMode::kAll, {k1}});
  std::vector<Case> cases;
  using PV = ProtocolVersion;
  using SC = StatusCode;
  // Every truncation of a v1 and a v2 request (length 1: no type byte; then header/count/keys).
  for (size_t n = 1; n < v1_offload.size(); ++n) {
    cases.push_back(
        {"v1 truncated to " + std::to_string(n), v1_offload.substr(0, n), PV::kV1, SC::kMalformed});
  }
  for (size_t n = 2; n < v2_offload.size(); ++n) {
    cases.push_back(
        {"v2 truncated to " + std::to_string(n), v2_offload.substr(0, n), PV::kV2, SC::kMalformed});
  }
  cases.push_back({"v1 trailing byte", v1_offload + '\0', PV::kV1, SC::kMalformed});
  cases.push_back({"v2 trailing byte", v2_offload + '\x07', PV::kV2, SC::kMalformed});
  cases.push_back({"empty message (4-byte frame)", "", PV::kV1, SC::kMalformed});
  for (uint8_t version : {0, 3, 0x7f, 0xff}) {
    cases.push_back({"version " + std::to_string(version),
                     std::string{static_cast<char>(version)} + v1_offload.substr(1), PV::kV1,
                     SC::kUnsupportedVersion});
  }
  cases.push_back({"v1 type 0", FromHex("01 00"), PV::kV1, SC::kUnknownType});
  cases.push_back(
      {"v1 type 11 (v2-only)", FromHex("01 0b 00 00 00 00"), PV::kV1, SC::kUnknownType});
  cases.push_back({"v1 type 19 (v2-only)", FromHex("01 13"), PV::kV1, SC::kUnknownType});
  cases.push_back({"v2 type 27", FromHex("02 1b") + U64Key(1), PV::kV2, SC::kUnknownType});
  cases.push_back({"v2 type 40 (a PUB frame)", FromHex("02 28") + U64Key(1), PV::kV2,
                   SC::kUnknownType});
  cases.push_back(
      {"v1 Register on ROUTER", EncodeV1(Register{{{k1, "v", ""}}}), PV::kV1, SC::kWrongChannel});
  cases.push_back({"v2 Register on ROUTER", EncodeV2(1, Register{{{k1, "v", ""}}}), PV::kV2,
                   SC::kWrongChannel});
  cases.push_back(
      {"v1 response type", FromHex("01 07 02 00 00 00 00 00 00 00"), PV::kV1, SC::kWrongChannel});
  cases.push_back({"v2 response type", FromHex("02 0a") + U64Key(9), PV::kV2, SC::kWrongChannel});
  cases.push_back({"v1 count 0xffffffff", FromHex("01 02 ff ff ff ff"), PV::kV1, SC::kTooLarge});
  cases.push_back({"v2 count 0xffffffff", FromHex("02 06") + U64Key(1) + FromHex("ff ff ff ff"),
                   PV::kV2, SC::kTooLarge});
  cases.push_back(
      {"count beyond max-batch-keys", FromHex("01 03") + U32(1025), PV::kV1, SC::kTooLarge});
  cases.push_back({"count larger than the bytes", FromHex("01 03") + U32(1000) + Lp16(k1), PV::kV1,
                   SC::kMalformed});
  cases.push_back({"key length past the end", FromHex("01 02 01 00 00 00 08 00 01 02"), PV::kV1,
                   SC::kMalformed});
  cases.push_back(
      {"4-byte key under u64", FromHex("01 02") + U32(1) + Lp16("abcd"), PV::kV1, SC::kBadKey});
  cases.push_back({"empty key", FromHex("01 08") + U32(1) + Lp16(""), PV::kV1, SC::kBadKey});
  cases.push_back({"v2 Match mode 7", v2_match.substr(0, 10) + '\x07' + v2_match.substr(11),
                   PV::kV2, SC::kMalformed});
  cases.push_back(
      {"v2 RegisterSync value too large",
       FromHex("02 0b") + U64Key(5) + U32(1) + Lp16(k1) + Lp16(std::string(300, 'x')) + Lp16(""),
       PV::kV2, SC::kTooLarge});
  return cases;
}

void CheckError(const RawReply& reply, const Case& c) {
  auto decoded = DecodeReply(reply);
  REQUIRE_MESSAGE(decoded.has_value(), decoded.status().ToString());
  CHECK(decoded->version == c.version);
  const auto* error = std::get_if<ErrorResponse>(&decoded->body);
  REQUIRE_MESSAGE(error != nullptr, "not an ErrorResponse: " << ToHex(reply.frame));
  if (c.version == ProtocolVersion::kV2) {
    CHECK(error->code == c.code);
  } else {  // v1 carries no code: its text starts with the code's name
    CHECK_MESSAGE(error->message.starts_with(StatusCodeName(c.code)), error->message);
  }
}

// A hub whose small limits make the too_large cases cheap to express.
Result<HubProcess> StartSmallHub() {
  return HubProcess::Start(
      HubArgs({"--key-format", "u64", "--max-batch-keys", "1024", "--max-value-bytes", "256"}));
}

TEST_CASE("every hostile query frame gets an ErrorResponse with its id and the hub stays correct") {
  auto hub = StartSmallHub();
  REQUIRE_MESSAGE(hub.has_value(), hub.status().ToString());
  auto dealer = RawDealer::Connect(hub->query_endpoint());
  REQUIRE(dealer.has_value());
  const auto cases = HostileCases();
  uint32_t id = 0xAB000000;
  for (const Case& c : cases) {
    CAPTURE(c.name);
    auto reply = dealer->Request(++id, c.message);
    REQUIRE_MESSAGE(reply.has_value(), reply.status().ToString());
    CheckError(*reply, c);
  }
  // Every one of them was counted as a decode failure, and none had an effect.
  CHECK(StatValue(*dealer, "server_decode_failures") == cases.size());
  RawReply holder;
  auto match =
      Ask(*dealer, ++id, EncodeV2(1, Match{MatchMode::kAll, {U64Key(1), U64Key(5)}}), &holder);
  REQUIRE(match.has_value());
  CHECK(EntryPairs(*match).empty());
  // A valid request still works and is correct.
  auto stored = Ask(*dealer, ++id, EncodeV2(1, RegisterSync{{{U64Key(1), "one", "m"}}}), &holder);
  REQUIRE(stored.has_value());
  REQUIRE(std::holds_alternative<RegisterSyncResponse>(stored->body));
  CHECK(std::get<RegisterSyncResponse>(stored->body).statuses ==
        std::vector{RegisterStatus::kStored});
  match = Ask(*dealer, ++id, EncodeV1(Match{MatchMode::kAll, {U64Key(1)}}), &holder);
  REQUIRE(match.has_value());
  CHECK(EntryPairs(*match) == std::vector<std::pair<std::string, std::string>>{{U64Key(1), "one"}});
}

TEST_CASE("garbage frames are answered in v1 or v2 with their request id and never with silence") {
  auto hub = StartSmallHub();
  REQUIRE(hub.has_value());
  auto dealer = RawDealer::Connect(hub->query_endpoint());
  REQUIRE(dealer.has_value());
  std::mt19937_64 rng(20240611);
  for (uint32_t i = 0; i < 300; ++i) {
    std::string garbage(1 + rng() % 64, '\0');
    for (char& ch : garbage) ch = static_cast<char>(rng());
    if (i % 3 == 0) garbage[0] = static_cast<char>(1 + i % 2);  // a plausible version byte
    CAPTURE(ToHex(garbage));
    auto reply = dealer->Request(i, garbage);
    REQUIRE_MESSAGE(reply.has_value(), reply.status().ToString());
    auto decoded = DecodeReply(*reply);
    REQUIRE(decoded.has_value());
    CHECK(decoded->version == ReplyVersionFor(garbage));
  }
  CHECK(StatValue(*dealer, "server_query_frames") == 301);
}

TEST_CASE("a REQ-style empty delimiter is tolerated and frames without a request id are dropped") {
  auto hub = StartSmallHub();
  REQUIRE(hub.has_value());
  auto dealer = RawDealer::Connect(hub->query_endpoint());
  REQUIRE(dealer.has_value());
  REQUIRE(dealer->SendFrames({"", QueryFrame(7, EncodeV1(Touch{}))}).ok());
  auto reply = dealer->Receive();
  REQUIRE(reply.has_value());
  CHECK(ToHex(reply->frame) == ToHex(QueryFrame(7, FromHex("01 09 00 00 00 00 00 00 00 00"))));
  // Frames of 0..3 bytes have no id to answer with: no reply; the next request is answered.
  for (const char* shorty : {"", "\x01", "\x01\x02", "\x01\x02\x03"}) {
    REQUIRE(dealer->SendFrame(shorty).ok());
  }
  auto next = dealer->Request(8, EncodeV1(Touch{}));
  REQUIRE_MESSAGE(next.has_value(), next.status().ToString());
  CHECK(StatValue(*dealer, "server_short_frames_dropped") == 4);
}

TEST_CASE("bad registration frames are dropped and counted and each frame stands alone") {
  auto hub = StartSmallHub();
  REQUIRE(hub.has_value());
  auto push = RawPush::Connect(hub->register_endpoint());
  auto dealer = RawDealer::Connect(hub->query_endpoint());
  REQUIRE(push.has_value());
  REQUIRE(dealer.has_value());
  const std::vector<std::string> bad = {
      EncodeV1(CanOffload{{U64Key(1)}}),                              // wrong channel
      EncodeV2(3, RegisterSync{{{U64Key(2), "x", ""}}}),              // acknowledged type on PULL
      FromHex("01 01 02 00 00 00") + std::string(2, '\0'),            // truncated Register
      FromHex("09 01"),                                               // bad version
      EncodeV1(Register{{{U64Key(3), "ok", ""}, {"abc", "x", ""}}}),  // one bad key: dropped whole
      "",
  };
  for (const auto& frame : bad) REQUIRE(push->Send(frame).ok());
  // A multipart message: the good frames are applied even though a sibling is bad.
  REQUIRE(push->SendFrames({EncodeV1(Register{{{U64Key(10), "ten", ""}}}), "garbage",
                            EncodeV2(4, Register{{{U64Key(11), "eleven", ""}}})})
              .ok());
  const uint64_t expected_frames = bad.size() + 3;
  CHECK(
      RetryUntil([&] { return StatValue(*dealer, "server_register_frames") == expected_frames; }));
  CHECK(StatValue(*dealer, "server_register_frames_dropped") == bad.size() + 1);
  RawReply holder;
  auto match = Ask(*dealer, 1,
                   EncodeV1(Match{MatchMode::kAll, {U64Key(2), U64Key(3), U64Key(10), U64Key(11)}}),
                   &holder);
  REQUIRE(match.has_value());
  CHECK(EntryPairs(*match) == std::vector<std::pair<std::string, std::string>>{
                                  {U64Key(10), "ten"}, {U64Key(11), "eleven"}});
}

}  // namespace
}  // namespace blockhub::testing
