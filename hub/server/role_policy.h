// Which request types each CurveZMQ role may send (README "Security"): a reader may Match, Hello,
// Stats and Enumerate; a writer also CanOffload, Register, RegisterSync, Touch, Renew, Release and
// Announce (a worker announces itself); an admin also Remove and Multicast (a message to workers
// is a command to them). Pure functions; thread-safe.
#pragma once

#include "codec/message.h"
#include "security/authorized_keys.h"

namespace blockhub {

// The least role that may send a request of type `t` (admin for anything not listed above).
constexpr Role RequiredRole(MessageType t) {
  switch (t) {
    case MessageType::kMatch:
    case MessageType::kHello:
    case MessageType::kStats:
    case MessageType::kEnumerate:
      return Role::kReader;
    case MessageType::kCanOffload:
    case MessageType::kRegister:
    case MessageType::kRegisterSync:
    case MessageType::kTouch:
    case MessageType::kRenew:
    case MessageType::kRelease:
    case MessageType::kAnnounce:
      return Role::kWriter;
    default:
      return Role::kAdmin;
  }
}

constexpr bool RoleAllows(Role role, MessageType t) {
  return static_cast<uint8_t>(role) >= static_cast<uint8_t>(RequiredRole(t));
}

}  // namespace blockhub
