// `blockhub keygen [--out PREFIX]`: writes a CurveZMQ key pair, PREFIX.key (secret, Z85, mode 0600)
// and PREFIX.pub (public, Z85), and prints the public key (one line; with --json an object).
// Needs no hub. Single-threaded program code.
#pragma once

#include <string>

#include "tools/cli/cli_common.h"

namespace blockhub::cli {

inline constexpr const char* kDefaultKeyPrefix = "blockhub";

int RunKeygen(const CommonSettings& s, const std::string& prefix);

}  // namespace blockhub::cli
