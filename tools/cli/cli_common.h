// Shared pieces of the `blockhub` CLI: settings common to every subcommand, text parsing of keys
// and values, output helpers, and the exit-code contract (0 ok, 1 hub/transport error, 2 usage).
//
// Single-threaded program code; no state beyond what main() owns.
#pragma once

#include <boost/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "client/client.h"
#include "codec/key_format.h"
#include "common/status.h"

namespace blockhub::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitHubError = 1;
inline constexpr int kExitUsage = 2;

struct CommonSettings {
  ClientOptions client;  // from the environment, overridden by flags
  KeyFormat key_format = KeyFormat::kBytes;
  bool json = false;
};

// Key text per --key-format (codec/key_format.h ParseKeyText).
Result<std::vector<std::string>> ParseKeys(KeyFormat f, const std::vector<std::string>& texts);
// A value or metadata argument: hex bytes ("0a0b", optional "0x"), "u64:N" (8 bytes LE), or ""
// for empty.
Result<std::string> ParseBytesArg(std::string_view text);
// "KEY=VALUE" or "KEY=VALUE=METADATA".
Result<BlockEntry> ParseEntryArg(KeyFormat f, std::string_view text);

// Prints `doc` as one line of JSON on stdout.
void PrintJson(const boost::json::value& doc);
// Prints an error on stderr (and as {"error": ...} on stdout with --json); returns the exit code.
int ReportError(const CommonSettings& s, const Status& error, int exit_code);

std::string_view OffloadStatusName(OffloadStatus s);    // granted / already_stored / leased
std::string_view RegisterStatusName(RegisterStatus s);  // stored / already_stored / rejected
std::string_view RenewStatusName(RenewStatus s);        // renewed / not_held / already_stored

}  // namespace blockhub::cli
