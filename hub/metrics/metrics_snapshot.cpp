#include "hub/metrics/metrics_snapshot.h"

namespace blockhub {

std::string_view QueryTypeLabel(QueryType t) {
  switch (t) {
    case QueryType::kCanOffload:
      return "can_offload";
    case QueryType::kMatch:
      return "match";
    case QueryType::kRemove:
      return "remove";
    case QueryType::kTouch:
      return "touch";
    case QueryType::kRegisterSync:
      return "register_sync";
    case QueryType::kRenew:
      return "renew";
    case QueryType::kRelease:
      return "release";
    case QueryType::kHello:
      return "hello";
    case QueryType::kStats:
      return "stats";
    case QueryType::kAnnounce:
      return "announce";
    case QueryType::kEnumerate:
      return "enumerate";
    case QueryType::kMulticast:
      return "multicast";
  }
  return "unknown";
}

std::string_view AuthFailureLabel(AuthFailure f) {
  switch (f) {
    case AuthFailure::kUnknownKey:
      return "unknown_key";
    case AuthFailure::kMechanismMismatch:
      return "mechanism_mismatch";
    case AuthFailure::kCryptographic:
      return "cryptographic";
    case AuthFailure::kProtocol:
      return "protocol";
    case AuthFailure::kHandshakeAborted:
      return "handshake_aborted";
    case AuthFailure::kTooManyPeers:
      return "too_many_peers";
  }
  return "unknown";
}

std::string_view RoleLabel(size_t role) {
  constexpr std::string_view kLabels[kRoleCount] = {"reader", "writer", "admin"};
  return role < kRoleCount ? kLabels[role] : "unknown";
}

std::optional<QueryType> QueryTypeOf(MessageType t) {
  switch (t) {
    case MessageType::kCanOffload:
      return QueryType::kCanOffload;
    case MessageType::kMatch:
      return QueryType::kMatch;
    case MessageType::kRemove:
      return QueryType::kRemove;
    case MessageType::kTouch:
      return QueryType::kTouch;
    case MessageType::kRegisterSync:
      return QueryType::kRegisterSync;
    case MessageType::kRenew:
      return QueryType::kRenew;
    case MessageType::kRelease:
      return QueryType::kRelease;
    case MessageType::kHello:
      return QueryType::kHello;
    case MessageType::kStats:
      return QueryType::kStats;
    case MessageType::kAnnounce:
      return QueryType::kAnnounce;
    case MessageType::kEnumerate:
      return QueryType::kEnumerate;
    case MessageType::kMulticast:
      return QueryType::kMulticast;
    default:
      return std::nullopt;
  }
}

}  // namespace blockhub
