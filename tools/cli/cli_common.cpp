#include "tools/cli/cli_common.h"

#include <fmt/format.h>

#include <boost/json/src.hpp>  // Boost.JSON, header-only: compiled into this one file
#include <cstdio>
#include <iostream>

#include "common/bytes.h"
#include "common/env_config.h"

namespace blockhub::cli {

Result<std::vector<std::string>> ParseKeys(KeyFormat f, const std::vector<std::string>& texts) {
  std::vector<std::string> keys;
  for (const auto& t : texts) {
    auto k = ParseKeyText(f, t);
    if (!k) {
      return InvalidArgumentError(
          fmt::format("key '{}' ({}): {}", t, KeyFormatName(f), k.error().message()));
    }
    keys.push_back(std::move(*k));
  }
  return keys;
}

Result<std::string> ParseBytesArg(std::string_view text) {
  if (text.starts_with("u64:")) {
    auto v = ParseU64(text.substr(4));
    if (!v) return InvalidArgumentError(fmt::format("'{}': {}", text, v.error().message()));
    std::string out(8, '\0');
    StoreU64(out.data(), *v);
    return out;
  }
  if (text.starts_with("0x") || text.starts_with("0X")) text.remove_prefix(2);
  std::string out;
  if (!FromHex(text, out)) {
    return InvalidArgumentError(fmt::format("'{}' is neither hex bytes nor u64:N", text));
  }
  return out;
}

Result<BlockEntry> ParseEntryArg(KeyFormat f, std::string_view text) {
  size_t eq = text.find('=');
  if (eq == std::string_view::npos) {
    return InvalidArgumentError(fmt::format("entry '{}' is not KEY=VALUE[=METADATA]", text));
  }
  std::string_view rest = text.substr(eq + 1);
  size_t eq2 = rest.find('=');
  auto key = ParseKeyText(f, text.substr(0, eq));
  if (!key) return InvalidArgumentError(fmt::format("entry '{}': {}", text, key.error().message()));
  auto value = ParseBytesArg(rest.substr(0, eq2));
  if (!value) return value.error();
  std::string metadata;
  if (eq2 != std::string_view::npos) {
    auto m = ParseBytesArg(rest.substr(eq2 + 1));
    if (!m) return m.error();
    metadata = std::move(*m);
  }
  return BlockEntry{std::move(*key), std::move(*value), std::move(metadata)};
}

void PrintJson(const boost::json::value& doc) { std::cout << boost::json::serialize(doc) << "\n"; }

int ReportError(const CommonSettings& s, const Status& error, int exit_code) {
  std::fprintf(stderr, "blockhub: %s\n", error.ToString().c_str());
  if (s.json) {
    PrintJson({{"error", error.ToString()}, {"code", StatusCodeName(error.code())}});
  }
  return exit_code;
}

std::string_view OffloadStatusName(OffloadStatus s) {
  switch (s) {
    case OffloadStatus::kGranted:
      return "granted";
    case OffloadStatus::kAlreadyStored:
      return "already_stored";
    case OffloadStatus::kLeased:
      return "leased";
  }
  return "unknown";
}

std::string_view RegisterStatusName(RegisterStatus s) {
  switch (s) {
    case RegisterStatus::kStored:
      return "stored";
    case RegisterStatus::kAlreadyStored:
      return "already_stored";
    case RegisterStatus::kRejected:
      return "rejected";
  }
  return "unknown";
}

std::string_view RenewStatusName(RenewStatus s) {
  switch (s) {
    case RenewStatus::kRenewed:
      return "renewed";
    case RenewStatus::kNotHeld:
      return "not_held";
    case RenewStatus::kAlreadyStored:
      return "already_stored";
  }
  return "unknown";
}

}  // namespace blockhub::cli
