// The `blockhub` subcommands: each takes the parsed settings and its own arguments, talks to the
// hub through the client library (decode excepted) and prints human text or one JSON object.
// Each returns the process exit code (cli_common.h).
#pragma once

#include <string>
#include <vector>

#include "tools/cli/cli_common.h"

namespace blockhub::cli {

enum class KeyCommand { kCanOffload, kMatch, kRemove, kTouch, kRenew, kRelease };

int RunKeyCommand(const CommonSettings& s, KeyCommand cmd,
                  const std::vector<std::string>& key_texts, bool prefix);
int RunRegister(const CommonSettings& s, const std::vector<std::string>& entry_texts);
int RunHello(const CommonSettings& s, const std::string& name, const std::string& metadata);
int RunStats(const CommonSettings& s);
int RunDecode(const CommonSettings& s, const std::vector<std::string>& hex_parts);

}  // namespace blockhub::cli
