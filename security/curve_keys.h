// CurveZMQ keys as text: 40-character Z85 strings (32-byte Curve25519 keys), their files, and the
// libzmq calls that make and derive them (zmq_curve_keypair, zmq_curve_public).
//
// Key files hold one Z85 key on one line (surrounding whitespace ignored). `PREFIX.key` is the
// secret key (written with mode 0600), `PREFIX.pub` the public key. Stateless functions; thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "common/status.h"

namespace blockhub {

inline constexpr size_t kCurveKeyZ85Chars = 40;

struct CurveKeyPair {
  std::string public_z85;
  std::string secret_z85;
};

// True when the linked libzmq was built with CURVE support.
bool CurveAvailable();
// A fresh key pair. Unavailable when libzmq has no CURVE support.
Result<CurveKeyPair> GenerateCurveKeyPair();
// InvalidArgument (naming `what`) unless `z85` is a well-formed 40-character Z85 key.
Status ValidateCurveKey(std::string_view z85, std::string_view what);
// The public key of a secret key.
Result<std::string> CurvePublicFromSecret(std::string_view secret_z85);
// Reads a key file (one Z85 key; `what` names it in errors, e.g. "--curve-secret-key-file").
Result<std::string> ReadCurveKeyFile(const std::string& path, std::string_view what);
// Writes PREFIX.key (mode 0600, replaced atomically) and PREFIX.pub (mode 0644).
Status WriteCurveKeyPair(const std::string& prefix, const CurveKeyPair& pair);

}  // namespace blockhub
