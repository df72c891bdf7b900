#include "common/status.h"

namespace blockhub {

std::string_view StatusCodeName(StatusCode code) {
  switch (code) {
    case StatusCode::kOk:
      return "ok";
    case StatusCode::kUnsupportedVersion:
      return "unsupported_version";
    case StatusCode::kUnknownType:
      return "unknown_type";
    case StatusCode::kMalformed:
      return "malformed";
    case StatusCode::kTooLarge:
      return "too_large";
    case StatusCode::kBadKey:
      return "bad_key";
    case StatusCode::kCapacity:
      return "capacity";
    case StatusCode::kWrongChannel:
      return "wrong_channel";
    case StatusCode::kInternal:
      return "internal";
    case StatusCode::kShuttingDown:
      return "shutting_down";
    case StatusCode::kPermissionDenied:
      return "permission_denied";
    case StatusCode::kInvalidArgument:
      return "invalid_argument";
    case StatusCode::kTimeout:
      return "timeout";
    case StatusCode::kUnavailable:
      return "unavailable";
    case StatusCode::kIoError:
      return "io_error";
    case StatusCode::kCorrupt:
      return "corrupt";
    case StatusCode::kNotFound:
      return "not_found";
    case StatusCode::kRemoteError:
      return "remote_error";
  }
  return "unknown";
}

std::string Status::ToString() const {
  if (ok()) return "ok";
  std::string out(StatusCodeName(code_));
  if (!message_.empty()) {
    out += ": ";
    out += message_;
  }
  return out;
}

}  // namespace blockhub
