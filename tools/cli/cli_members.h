// `blockhub members`, `multicast` and `listen`: worker membership from the command line (README
// "Workers"). Each returns the process exit code (cli_common.h).
#pragma once

#include <cstdint>
#include <string>

#include "tools/cli/cli_common.h"

namespace blockhub::cli {

struct ListenOptions {
  std::string events_addr;    // the hub's events endpoint (flag, else the variable)
  bool metadata_given = false;  // --metadata given (else DYN_REGISTRY_CLIENT_MEMBER_METADATA)
  std::string metadata_text;
  uint64_t count = 0;       // exit after this many multicasts (0 = until a signal)
  uint64_t timeout_ms = 0;  // stop after this long (0 = until a signal)
};

// Enumerate with a filter "k=v,k" (k alone: has the key); prints the members.
int RunMembers(const CommonSettings& s, const std::string& filter_text);
// Multicast `payload` (its UTF-8 bytes) to the members matching the filter; prints matched.
int RunMulticast(const CommonSettings& s, const std::string& filter_text,
                 const std::string& payload);
// Announces this client (renewed), prints each multicast payload on its own line (text when it is
// UTF-8 without control characters, else hex) until SIGINT/SIGTERM (or --count / --timeout-ms),
// then withdraws.
int RunListen(const CommonSettings& s, const ListenOptions& l);

}  // namespace blockhub::cli
