// Every v1 golden request frame of PROTOCOL.md §7, sent byte for byte on a raw DEALER to the real
// blockhubd, gets the exact golden reply bytes.
#include <doctest/doctest.h>

#include "tests/integration/integration_util.h"
#include "tests/support/hub_process.h"
#include "tests/support/raw_sockets.h"

namespace blockhub::testing {
namespace {

// PROTOCOL.md §7, verbatim.
const std::string kCanOffload13 =
    FromHex("01 02 02 00 00 00 08 00 01 00 00 00 00 00 00 00 08 00 03 00 00 00 00 00 00 00");
const std::string kMatch12 =
    FromHex("01 03 02 00 00 00 08 00 01 00 00 00 00 00 00 00 08 00 02 00 00 00 00 00 00 00");
const std::string kRemove7 = FromHex("01 06 01 00 00 00 08 00 07 00 00 00 00 00 00 00");
const std::string kTouchEmpty = FromHex("01 08 00 00 00 00");
const std::string kRegister1To100 =
    FromHex("01 01 01 00 00 00 08 00 01 00 00 00 00 00 00 00 08 00 64 00 00 00 00 00 00 00 00 00");
const std::string kCanOffloadReplyAsG = FromHex("01 04 02 00 00 00 01 00");
const std::string kCanOffloadReplyGAsL = FromHex("01 04 03 00 00 00 00 01 02");
const std::string kMatchReply = FromHex(
    "01 05 02 00 00 00 08 00 01 00 00 00 00 00 00 00 08 00 64 00 00 00 00 00 00 00 00 00"
    "08 00 02 00 00 00 00 00 00 00 08 00 c8 00 00 00 00 00 00 00 00 00");
const std::string kRemoveReply2 = FromHex("01 07 02 00 00 00 00 00 00 00");
const std::string kTouchReply3 = FromHex("01 09 03 00 00 00 00 00 00 00");
const std::string kQueryFrame1 = FromHex(
    "01 00 00 00 01 02 02 00 00 00 08 00 01 00 00 00 00 00 00 00 08 00 03 00 00 00 00 00 00 00");
const std::string kQueryReply1 = FromHex("01 00 00 00 01 04 02 00 00 00 01 00");

// The same layout as kRegister1To100 for key 2 -> value 200 (0xc8).
const std::string kRegister2To200 =
    FromHex("01 01 01 00 00 00 08 00 02 00 00 00 00 00 00 00 08 00 c8 00 00 00 00 00 00 00 00 00");

std::string Reply(RawDealer& dealer, uint32_t id, const std::string& message) {
  auto reply = dealer.Request(id, message);
  REQUIRE_MESSAGE(reply.has_value(), reply.status().ToString());
  return std::string(reply->message());
}

TEST_CASE("v1 golden frames get the exact golden reply bytes") {
  for (const char* key_format : {"u64", "bytes"}) {
    CAPTURE(key_format);
    auto hub = HubProcess::Start(HubArgs({"--key-format", key_format}));
    REQUIRE_MESSAGE(hub.has_value(), hub.status().ToString());
    auto push = RawPush::Connect(hub->register_endpoint());
    auto a = RawDealer::Connect(hub->query_endpoint(), "worker-a");
    auto b = RawDealer::Connect(hub->query_endpoint(), "worker-b");
    REQUIRE(push.has_value());
    REQUIRE(a.has_value());
    REQUIRE(b.has_value());

    // State: 1 -> 100 and 2 -> 200, registered through the PULL channel (asynchronous: wait until
    // Match shows both, each attempt a round trip).
    REQUIRE(push->Send(kRegister1To100).ok());
    REQUIRE(push->Send(kRegister2To200).ok());
    uint32_t id = 100;
    REQUIRE(RetryUntil([&] { return Reply(*a, ++id, kMatch12) == kMatchReply; }));

    // The query frame with request id 1, byte for byte, and its golden reply frame.
    REQUIRE(a->SendFrame(kQueryFrame1).ok());
    auto first = a->Receive();
    REQUIRE(first.has_value());
    CHECK(ToHex(first->frame) == ToHex(kQueryReply1));

    // 3 is now leased to worker-a; worker-b asks for [4, 1, 3]: Granted, AlreadyStored, Leased.
    const std::string offload_413 = FromHex(
        "01 02 03 00 00 00 08 00 04 00 00 00 00 00 00 00 08 00 01 00 00 00 00 00 00 00"
        "08 00 03 00 00 00 00 00 00 00");
    CHECK(ToHex(Reply(*b, 2, offload_413)) == ToHex(kCanOffloadReplyGAsL));
    // worker-a asking again refreshes its own lease on 3: still [AlreadyStored, Granted].
    CHECK(ToHex(Reply(*a, 3, kCanOffload13)) == ToHex(kCanOffloadReplyAsG));

    CHECK(ToHex(Reply(*a, 4, kTouchEmpty)) == ToHex(FromHex("01 09 00 00 00 00 00 00 00 00")));
    const std::string touch_121 = FromHex(
        "01 08 03 00 00 00 08 00 01 00 00 00 00 00 00 00 08 00 02 00 00 00 00 00 00 00"
        "08 00 01 00 00 00 00 00 00 00");
    CHECK(ToHex(Reply(*a, 5, touch_121)) == ToHex(kTouchReply3));

    // Remove [7] (not stored) -> 0; Remove [1, 2] -> the golden RemoveResponse 2; Match then empty.
    CHECK(ToHex(Reply(*a, 6, kRemove7)) == ToHex(FromHex("01 07 00 00 00 00 00 00 00 00")));
    const std::string remove_12 =
        FromHex("01 06 02 00 00 00 08 00 01 00 00 00 00 00 00 00 08 00 02 00 00 00 00 00 00 00");
    CHECK(ToHex(Reply(*a, 7, remove_12)) == ToHex(kRemoveReply2));
    CHECK(ToHex(Reply(*a, 8, kMatch12)) == ToHex(FromHex("01 05 00 00 00 00")));

    auto exit = hub->Stop();
    REQUIRE(exit.has_value());
    CHECK(exit->code == 0);
  }
}

TEST_CASE("a v1 error reply has the golden ErrorResponse layout") {
  auto hub = HubProcess::Start(HubArgs({"--key-format", "u64"}));
  REQUIRE(hub.has_value());
  auto a = RawDealer::Connect(hub->query_endpoint());
  REQUIRE(a.has_value());
  // A 4-byte key under the u64 format: bad_key, answered in v1 (type 10, lp16 message only).
  const std::string bad = FromHex("01 02 01 00 00 00 04 00 01 00 00 00");
  const std::string reply = Reply(*a, 9, bad);
  REQUIRE(reply.size() >= 4);
  CHECK(ToHex(reply.substr(0, 2)) == "01 0a");
  const size_t len = static_cast<uint8_t>(reply[2]) | (static_cast<uint8_t>(reply[3]) << 8);
  CHECK(reply.size() == 4 + len);
  CHECK(reply.substr(4).starts_with("bad_key"));
}

}  // namespace
}  // namespace blockhub::testing
