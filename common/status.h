// Status and Result<T>: the one error type used at every seam of blockhub.
//
// A Status is a closed StatusCode plus a human-readable message. The first ten codes are exactly
// the wire error codes of PROTOCOL.md §4 (ErrorResponse.code), so a decode or core error maps to
// the wire without a table. Result<T> is shaped like C++23 std::expected<T, Status> (g++ 12 lacks
// it): has_value(), operator bool, value(), operator*, operator->, error().
//
// Value types; thread-compatible (no shared state).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace blockhub {

enum class StatusCode : uint16_t {
  kOk = 0,
  // Wire error codes (PROTOCOL.md §4), values fixed by the protocol.
  kUnsupportedVersion = 1,
  kUnknownType = 2,
  kMalformed = 3,
  kTooLarge = 4,
  kBadKey = 5,
  kCapacity = 6,
  kWrongChannel = 7,
  kInternal = 8,
  kShuttingDown = 9,
  kPermissionDenied = 10,  // the caller's CurveZMQ role does not allow the request
  // Local codes, never sent on the wire.
  kInvalidArgument = 100,
  kTimeout = 101,
  kUnavailable = 102,
  kIoError = 103,
  kCorrupt = 104,
  kNotFound = 105,
  kRemoteError = 106,  // the hub answered with an ErrorResponse
};

// "ok", "malformed", "too_large", ... (the protocol's spelling for wire codes).
std::string_view StatusCodeName(StatusCode code);

// True for codes 1..10, which may appear in an ErrorResponse.
constexpr bool IsWireCode(StatusCode code) {
  auto v = static_cast<uint16_t>(code);
  return v >= 1 && v <= 10;
}

class [[nodiscard]] Status {
 public:
  Status() = default;  // ok
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status Ok() { return {}; }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }
  // "malformed: count 5 exceeds the 3 bytes left"
  std::string ToString() const;

  friend bool operator==(const Status& a, const Status& b) {
    return a.code_ == b.code_ && a.message_ == b.message_;
  }

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

// Error constructors, one per code used in the code base.
inline Status MalformedError(std::string m) { return {StatusCode::kMalformed, std::move(m)}; }
inline Status TooLargeError(std::string m) { return {StatusCode::kTooLarge, std::move(m)}; }
inline Status BadKeyError(std::string m) { return {StatusCode::kBadKey, std::move(m)}; }
inline Status InvalidArgumentError(std::string m) {
  return {StatusCode::kInvalidArgument, std::move(m)};
}
inline Status InternalError(std::string m) { return {StatusCode::kInternal, std::move(m)}; }
inline Status IoError(std::string m) { return {StatusCode::kIoError, std::move(m)}; }
inline Status TimeoutError(std::string m) { return {StatusCode::kTimeout, std::move(m)}; }
inline Status UnavailableError(std::string m) { return {StatusCode::kUnavailable, std::move(m)}; }

// Result<T>: either a T or a non-ok Status.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::in_place_index<0>, std::move(value)) {}  // NOLINT: implicit by design
  Result(Status error) : v_(std::in_place_index<1>, std::move(error)) {  // NOLINT
    if (std::get<1>(v_).ok()) {
      v_.template emplace<1>(StatusCode::kInternal, "Result constructed from an ok Status");
    }
  }

  bool has_value() const { return v_.index() == 0; }
  explicit operator bool() const { return has_value(); }

  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  const Status& error() const& { return std::get<1>(v_); }
  Status error() && { return std::get<1>(std::move(v_)); }
  // The error, or Ok when there is a value.
  Status status() const { return has_value() ? Status::Ok() : error(); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace blockhub
