// Which request types each CurveZMQ role may send (README "Security"): a reader may Match, Hello
// and Stats; a writer also CanOffload, Register, RegisterSync, Touch, Renew and Release; an admin
// also Remove. Pure functions; thread-safe.
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
      return Role::kReader;
    case MessageType::kCanOffload:
    case MessageType::kRegister:
    case MessageType::kRegisterSync:
    case MessageType::kTouch:
    case MessageType::kRenew:
    case MessageType::kRelease:
      return Role::kWriter;
    default:
      return Role::kAdmin;
  }
}

constexpr bool RoleAllows(Role role, MessageType t) {
  return static_cast<uint8_t>(role) >= static_cast<uint8_t>(RequiredRole(t));
}

}  // namespace blockhub
