// Message: the value types of every frame of the wire protocol, versions 1 and 2
// (../shared/PROTOCOL.md; codec/FORMAT.md is the project's own description).
//
// A Message is a version, a v2 header field (client_id on requests, epoch on responses) and a body,
// one of the structs below. The body's type decides the wire type code. Keys, values and metadata
// are std::string_view: a decoded message BORROWS from the frame it was decoded from, and a message
// built for encoding borrows from the caller's storage. Keep the bytes alive while the message is
// in use. Owned strings appear only where a message is built from scratch (errors, hub version,
// stats names).
//
// Plain value types; thread-compatible.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "common/status.h"

namespace blockhub {

enum class ProtocolVersion : uint8_t { kV1 = 1, kV2 = 2 };

enum class MessageType : uint8_t {
  kRegister = 1,
  kCanOffload = 2,
  kMatch = 3,
  kCanOffloadResponse = 4,
  kMatchResponse = 5,
  kRemove = 6,
  kRemoveResponse = 7,
  kTouch = 8,
  kTouchResponse = 9,
  kErrorResponse = 10,
  // v2 only:
  kRegisterSync = 11,
  kRegisterSyncResponse = 12,
  kRenew = 13,
  kRenewResponse = 14,
  kRelease = 15,
  kReleaseResponse = 16,
  kHello = 17,
  kHelloResponse = 18,
  kStats = 19,
  kStatsResponse = 20,
  // v2 only, worker membership (codec/FORMAT.md "Members"):
  kAnnounce = 21,
  kAnnounceResponse = 22,
  kEnumerate = 23,
  kEnumerateResponse = 24,
  kMulticast = 25,
  kMulticastResponse = 26,
};
// The largest type code of a Message (types 40 and 41 are PUB-channel frames, codec/events.h).
inline constexpr uint8_t kMaxMessageType = 26;
std::string_view MessageTypeName(MessageType t);  // "CanOffload", ...

using KeyList = std::vector<std::string_view>;

struct Entry {
  std::string_view key;
  std::string_view value;
  std::string_view metadata;
  friend bool operator==(const Entry&, const Entry&) = default;
};

enum class OffloadStatus : uint8_t { kGranted = 0, kAlreadyStored = 1, kLeased = 2 };
enum class RegisterStatus : uint8_t { kStored = 0, kAlreadyStored = 1, kRejected = 2 };
enum class RenewStatus : uint8_t { kRenewed = 0, kNotHeld = 1, kAlreadyStored = 2 };
enum class MatchMode : uint8_t { kAll = 0, kLeadingRun = 1 };

// ---- requests ----
struct Register { std::vector<Entry> entries; friend bool operator==(const Register&, const Register&) = default; };
struct RegisterSync { std::vector<Entry> entries; friend bool operator==(const RegisterSync&, const RegisterSync&) = default; };
struct CanOffload { KeyList keys; friend bool operator==(const CanOffload&, const CanOffload&) = default; };
struct Match {
  MatchMode mode = MatchMode::kAll;  // always kAll in v1 (no mode byte on the wire)
  KeyList keys;
  friend bool operator==(const Match&, const Match&) = default;
};
struct Remove { KeyList keys; friend bool operator==(const Remove&, const Remove&) = default; };
struct Touch { KeyList keys; friend bool operator==(const Touch&, const Touch&) = default; };
struct Renew { KeyList keys; friend bool operator==(const Renew&, const Renew&) = default; };
struct Release { KeyList keys; friend bool operator==(const Release&, const Release&) = default; };
struct Hello {
  std::string_view client_name;
  std::string_view client_metadata;
  friend bool operator==(const Hello&, const Hello&) = default;
};
struct Stats { friend bool operator==(const Stats&, const Stats&) = default; };

// ---- worker membership (v2 only) ----
// One metadata pair of a member: a non-empty key and a value (both opaque bytes).
struct MetadataPair {
  std::string_view key;
  std::string_view value;
  friend bool operator==(const MetadataPair&, const MetadataPair&) = default;
};
using MemberMetadata = std::vector<MetadataPair>;
// One filter term: the member has `key` (presence), and when `value` is set, with that value.
// A filter matches a member when every term does (an empty filter matches every member).
struct FilterTerm {
  std::string_view key;
  std::optional<std::string_view> value;
  friend bool operator==(const FilterTerm&, const FilterTerm&) = default;
};
using MemberFilter = std::vector<FilterTerm>;

// Registers (or renews, replacing the metadata) the sender as a live member for ttl_ms;
// ttl_ms 0 withdraws it.
struct Announce {
  std::string_view name;
  uint32_t ttl_ms = 0;
  MemberMetadata metadata;
  friend bool operator==(const Announce&, const Announce&) = default;
};
struct Enumerate {
  MemberFilter filter;
  friend bool operator==(const Enumerate&, const Enumerate&) = default;
};
struct Multicast {
  MemberFilter filter;
  std::string_view payload;
  friend bool operator==(const Multicast&, const Multicast&) = default;
};

// ---- responses ----
struct CanOffloadResponse {
  uint32_t lease_ttl_ms = 0;  // v2 only
  std::vector<OffloadStatus> statuses;
  friend bool operator==(const CanOffloadResponse&, const CanOffloadResponse&) = default;
};
struct MatchResponse { std::vector<Entry> entries; friend bool operator==(const MatchResponse&, const MatchResponse&) = default; };
struct RemoveResponse { uint64_t removed = 0; friend bool operator==(const RemoveResponse&, const RemoveResponse&) = default; };
struct TouchResponse { uint64_t touched = 0; friend bool operator==(const TouchResponse&, const TouchResponse&) = default; };
struct ErrorResponse {
  StatusCode code = StatusCode::kInternal;  // v2 only on the wire (a wire code 1..10)
  std::string message;
  friend bool operator==(const ErrorResponse&, const ErrorResponse&) = default;
};
struct RegisterSyncResponse { std::vector<RegisterStatus> statuses; friend bool operator==(const RegisterSyncResponse&, const RegisterSyncResponse&) = default; };
struct RenewResponse { std::vector<RenewStatus> statuses; friend bool operator==(const RenewResponse&, const RenewResponse&) = default; };
struct ReleaseResponse { uint64_t released = 0; friend bool operator==(const ReleaseResponse&, const ReleaseResponse&) = default; };
struct HelloResponse {
  uint32_t lease_ttl_ms = 0;
  uint8_t key_format = 0;  // KeyFormat wire value
  uint32_t max_batch_keys = 0;
  uint64_t capacity = 0;
  std::string hub_version;
  friend bool operator==(const HelloResponse&, const HelloResponse&) = default;
};
struct StatsResponse {
  std::vector<std::pair<std::string, uint64_t>> counters;
  friend bool operator==(const StatsResponse&, const StatsResponse&) = default;
};

struct AnnounceResponse {
  uint64_t member_id = 0;  // the member's identity: Enumerate's member_id, the multicast topic
  uint32_t ttl_ms = 0;     // the TTL applied (the request's, capped by the hub); 0 after a withdraw
  bool existed = false;    // the sender was a live member before this request
  friend bool operator==(const AnnounceResponse&, const AnnounceResponse&) = default;
};
struct MemberInfo {
  uint64_t member_id = 0;  // the lease-owner identity (client_id, bound to the CurveZMQ key)
  uint64_t client_id = 0;  // the client_id of the member's last Announce header
  std::string_view name;
  MemberMetadata metadata;
  uint64_t announced_at_ms = 0;  // unix ms of the Announce that made it a member
  uint64_t last_heard_ms = 0;    // unix ms of its last v2 request
  uint32_t ttl_ms = 0;           // it expires at last_heard_ms + ttl_ms
  friend bool operator==(const MemberInfo&, const MemberInfo&) = default;
};
struct EnumerateResponse {
  uint64_t now_ms = 0;  // the hub's clock (unix ms) when it answered: ages without clock skew
  std::vector<MemberInfo> members;
  friend bool operator==(const EnumerateResponse&, const EnumerateResponse&) = default;
};
struct MulticastResponse {
  uint64_t matched = 0;  // members the filter matched (one message published to each)
  friend bool operator==(const MulticastResponse&, const MulticastResponse&) = default;
};

// The alternative index + 1 is NOT the type code; use TypeOf().
using Body = std::variant<Register, CanOffload, Match, CanOffloadResponse, MatchResponse, Remove,
                          RemoveResponse, Touch, TouchResponse, ErrorResponse, RegisterSync,
                          RegisterSyncResponse, Renew, RenewResponse, Release, ReleaseResponse,
                          Hello, HelloResponse, Stats, StatsResponse, Announce,
                          AnnounceResponse, Enumerate, EnumerateResponse, Multicast,
                          MulticastResponse>;

struct Message {
  ProtocolVersion version = ProtocolVersion::kV2;
  uint64_t client_id = 0;  // v2 requests: the lease owner
  uint64_t epoch = 0;      // v2 responses: the hub's start epoch
  Body body;
  friend bool operator==(const Message&, const Message&) = default;
};

MessageType TypeOf(const Body& body);
bool IsRequestType(MessageType t);
bool IsV2OnlyType(MessageType t);  // 11..26

}  // namespace blockhub
