// Type codes and names of the protocol's messages (PROTOCOL.md §3, §4).
#include "codec/message.h"

#include <type_traits>

namespace blockhub {
namespace {

// The wire type code of each Body alternative. Spelled out per type (not derived from the variant
// index) so that reordering Body cannot silently change the wire.
template <typename T>
constexpr MessageType kTypeOf = [] {
  if constexpr (std::is_same_v<T, Register>)
    return MessageType::kRegister;
  else if constexpr (std::is_same_v<T, CanOffload>)
    return MessageType::kCanOffload;
  else if constexpr (std::is_same_v<T, Match>)
    return MessageType::kMatch;
  else if constexpr (std::is_same_v<T, CanOffloadResponse>)
    return MessageType::kCanOffloadResponse;
  else if constexpr (std::is_same_v<T, MatchResponse>)
    return MessageType::kMatchResponse;
  else if constexpr (std::is_same_v<T, Remove>)
    return MessageType::kRemove;
  else if constexpr (std::is_same_v<T, RemoveResponse>)
    return MessageType::kRemoveResponse;
  else if constexpr (std::is_same_v<T, Touch>)
    return MessageType::kTouch;
  else if constexpr (std::is_same_v<T, TouchResponse>)
    return MessageType::kTouchResponse;
  else if constexpr (std::is_same_v<T, ErrorResponse>)
    return MessageType::kErrorResponse;
  else if constexpr (std::is_same_v<T, RegisterSync>)
    return MessageType::kRegisterSync;
  else if constexpr (std::is_same_v<T, RegisterSyncResponse>)
    return MessageType::kRegisterSyncResponse;
  else if constexpr (std::is_same_v<T, Renew>)
    return MessageType::kRenew;
  else if constexpr (std::is_same_v<T, RenewResponse>)
    return MessageType::kRenewResponse;
  else if constexpr (std::is_same_v<T, Release>)
    return MessageType::kRelease;
  else if constexpr (std::is_same_v<T, ReleaseResponse>)
    return MessageType::kReleaseResponse;
  else if constexpr (std::is_same_v<T, Hello>)
    return MessageType::kHello;
  else if constexpr (std::is_same_v<T, HelloResponse>)
    return MessageType::kHelloResponse;
  else if constexpr (std::is_same_v<T, Stats>)
    return MessageType::kStats;
  else if constexpr (std::is_same_v<T, StatsResponse>)
    return MessageType::kStatsResponse;
  else if constexpr (std::is_same_v<T, Announce>)
    return MessageType::kAnnounce;
  else if constexpr (std::is_same_v<T, AnnounceResponse>)
    return MessageType::kAnnounceResponse;
  else if constexpr (std::is_same_v<T, Enumerate>)
    return MessageType::kEnumerate;
  else if constexpr (std::is_same_v<T, EnumerateResponse>)
    return MessageType::kEnumerateResponse;
  else if constexpr (std::is_same_v<T, Multicast>)
    return MessageType::kMulticast;
  else {
    static_assert(std::is_same_v<T, MulticastResponse>, "every Body alternative needs a type code");
    return MessageType::kMulticastResponse;
  }
}();

}  // namespace

std::string_view MessageTypeName(MessageType t) {
  switch (t) {
    case MessageType::kRegister:
      return "Register";
    case MessageType::kCanOffload:
      return "CanOffload";
    case MessageType::kMatch:
      return "Match";
    case MessageType::kCanOffloadResponse:
      return "CanOffloadResponse";
    case MessageType::kMatchResponse:
      return "MatchResponse";
    case MessageType::kRemove:
      return "Remove";
    case MessageType::kRemoveResponse:
      return "RemoveResponse";
    case MessageType::kTouch:
      return "Touch";
    case MessageType::kTouchResponse:
      return "TouchResponse";
    case MessageType::kErrorResponse:
      return "ErrorResponse";
    case MessageType::kRegisterSync:
      return "RegisterSync";
    case MessageType::kRegisterSyncResponse:
      return "RegisterSyncResponse";
    case MessageType::kRenew:
      return "Renew";
    case MessageType::kRenewResponse:
      return "RenewResponse";
    case MessageType::kRelease:
      return "Release";
    case MessageType::kReleaseResponse:
      return "ReleaseResponse";
    case MessageType::kHello:
      return "Hello";
    case MessageType::kHelloResponse:
      return "HelloResponse";
    case MessageType::kStats:
      return "Stats";
    case MessageType::kStatsResponse:
      return "StatsResponse";
    case MessageType::kAnnounce:
      return "Announce";
    case MessageType::kAnnounceResponse:
      return "AnnounceResponse";
    case MessageType::kEnumerate:
      return "Enumerate";
    case MessageType::kEnumerateResponse:
      return "EnumerateResponse";
    case MessageType::kMulticast:
      return "Multicast";
    case MessageType::kMulticastResponse:
      return "MulticastResponse";
  }
  return "Unknown";
}

MessageType TypeOf(const Body& body) {
  return std::visit([](const auto& b) { return kTypeOf<std::decay_t<decltype(b)>>; }, body);
}

bool IsRequestType(MessageType t) {
  switch (t) {
    case MessageType::kRegister:
    case MessageType::kCanOffload:
    case MessageType::kMatch:
    case MessageType::kRemove:
    case MessageType::kTouch:
    case MessageType::kRegisterSync:
    case MessageType::kRenew:
    case MessageType::kRelease:
    case MessageType::kHello:
    case MessageType::kStats:
    case MessageType::kAnnounce:
    case MessageType::kEnumerate:
    case MessageType::kMulticast:
      return true;
    default:
      return false;
  }
}

bool IsV2OnlyType(MessageType t) {
  auto v = static_cast<uint8_t>(t);
  return v >= static_cast<uint8_t>(MessageType::kRegisterSync) &&
         v <= kMaxMessageType;
}

}  // namespace blockhub
