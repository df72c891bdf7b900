#include "codec/message.h"

#include <doctest/doctest.h>

namespace blockhub {
namespace {

TEST_CASE("TypeOf maps every body to its wire code") {
  CHECK(TypeOf(Register{}) == MessageType::kRegister);
  CHECK(TypeOf(CanOffload{}) == MessageType::kCanOffload);
  CHECK(TypeOf(Match{}) == MessageType::kMatch);
  CHECK(TypeOf(CanOffloadResponse{}) == MessageType::kCanOffloadResponse);
  CHECK(TypeOf(MatchResponse{}) == MessageType::kMatchResponse);
  CHECK(TypeOf(Remove{}) == MessageType::kRemove);
  CHECK(TypeOf(RemoveResponse{}) == MessageType::kRemoveResponse);
  CHECK(TypeOf(Touch{}) == MessageType::kTouch);
  CHECK(TypeOf(TouchResponse{}) == MessageType::kTouchResponse);
  CHECK(TypeOf(ErrorResponse{}) == MessageType::kErrorResponse);
  CHECK(TypeOf(RegisterSync{}) == MessageType::kRegisterSync);
  CHECK(TypeOf(RegisterSyncResponse{}) == MessageType::kRegisterSyncResponse);
  CHECK(TypeOf(Renew{}) == MessageType::kRenew);
  CHECK(TypeOf(RenewResponse{}) == MessageType::kRenewResponse);
  CHECK(TypeOf(Release{}) == MessageType::kRelease);
  CHECK(TypeOf(ReleaseResponse{}) == MessageType::kReleaseResponse);
  CHECK(TypeOf(Hello{}) == MessageType::kHello);
  CHECK(TypeOf(HelloResponse{}) == MessageType::kHelloResponse);
  CHECK(TypeOf(Stats{}) == MessageType::kStats);
  CHECK(TypeOf(StatsResponse{}) == MessageType::kStatsResponse);
  CHECK(TypeOf(Announce{}) == MessageType::kAnnounce);
  CHECK(TypeOf(AnnounceResponse{}) == MessageType::kAnnounceResponse);
  CHECK(TypeOf(Enumerate{}) == MessageType::kEnumerate);
  CHECK(TypeOf(EnumerateResponse{}) == MessageType::kEnumerateResponse);
  CHECK(TypeOf(Multicast{}) == MessageType::kMulticast);
  CHECK(TypeOf(MulticastResponse{}) == MessageType::kMulticastResponse);
  CHECK(static_cast<int>(MessageType::kAnnounce) == 21);
  CHECK(static_cast<int>(MessageType::kMulticastResponse) == 26);
}

TEST_CASE("type classification and names") {
  int requests = 0, v2_only = 0;
  for (int t = 1; t <= 26; ++t) {
    auto type = static_cast<MessageType>(t);
    requests += IsRequestType(type);
    v2_only += IsV2OnlyType(type);
    CHECK(MessageTypeName(type) != "Unknown");
  }
  CHECK(requests == 13);
  CHECK(v2_only == 16);
  CHECK(IsRequestType(MessageType::kAnnounce));
  CHECK(IsRequestType(MessageType::kEnumerate));
  CHECK(IsRequestType(MessageType::kMulticast));
  CHECK_FALSE(IsRequestType(MessageType::kEnumerateResponse));
  CHECK(IsRequestType(MessageType::kHello));
  CHECK_FALSE(IsRequestType(MessageType::kErrorResponse));
  CHECK_FALSE(IsV2OnlyType(MessageType::kErrorResponse));
  CHECK(IsV2OnlyType(MessageType::kRegisterSync));
  CHECK(MessageTypeName(MessageType::kCanOffload) == "CanOffload");
  CHECK(MessageTypeName(MessageType::kStatsResponse) == "StatsResponse");
}

}  // namespace
}  // namespace blockhub
