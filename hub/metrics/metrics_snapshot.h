// MetricsSnapshot: every value the metrics endpoint exports, as one plain struct. The hub's loop
// thread (which owns all counters) fills a copy on request; the HTTP thread renders it
// (prometheus_text.h). Names and meanings of the exported series are in hub/metrics/METRICS.md.
//
// Plain value type; thread-compatible. Nothing in it points at live hub state.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "codec/message.h"
#include "hub/core/hub_core.h"
#include "hub/metrics/histogram.h"

namespace blockhub {

// The `query_type` label values. The first four are the Dynamo sample's; the rest are v2 queries.
enum class QueryType : uint8_t {
  kCanOffload,
  kMatch,
  kRemove,
  kTouch,
  kRegisterSync,
  kRenew,
  kRelease,
  kHello,
  kStats,
  kAnnounce,
  kEnumerate,
  kMulticast,
};
inline constexpr size_t kQueryTypeCount = 12;

// "can_offload", "match", "remove", "touch", "register_sync", "renew", "release", "hello", "stats",
// "announce", "enumerate", "multicast".
std::string_view QueryTypeLabel(QueryType t);
// The query type of a request on the query channel; nullopt for Register (the PULL channel, counted
// as register batches) and for response types.
std::optional<QueryType> QueryTypeOf(MessageType t);

struct QueryTypeStats {
  uint64_t requests = 0;  // requests answered (including error answers)
  uint64_t keys = 0;      // keys (or entries) carried by the requests
  uint64_t errors = 0;    // answered with an ErrorResponse
  Histogram latency;      // receive -> reply handed to the socket
};

// Frames the hub received or produced but could not use; each field is one `reason` label of
// registry_frames_dropped_total.
struct DroppedFrames {
  uint64_t query_too_short = 0;    // query frame without a request id: nothing to answer with
  uint64_t register_invalid = 0;   // PULL frame that did not decode as a Register
  uint64_t reply_unroutable = 0;   // reply to a peer that is gone
  uint64_t reply_send_failed = 0;  // reply dropped for another reason (peer queue full, ...)
};

// Why a connection was refused (the `reason` label of registry_auth_failures_total).
enum class AuthFailure : uint8_t {
  kUnknownKey,         // a CurveZMQ key that is not in the authorized-keys file (ZAP refused it)
  kMechanismMismatch,  // a peer without CurveZMQ (plaintext) on a CurveZMQ hub
  kCryptographic,     // a handshake that did not decrypt (e.g. the client has the wrong server key)
  kProtocol,          // another handshake protocol error
  kHandshakeAborted,  // the connection closed before the handshake finished
  kTooManyPeers,      // closed at once because --max-peers connections were open
};
inline constexpr size_t kAuthFailureCount = 6;
// "unknown_key", "mechanism_mismatch", "cryptographic", "protocol", "handshake_aborted",
// "too_many_peers".
std::string_view AuthFailureLabel(AuthFailure f);

// The `role` labels of registry_permission_denied_total, in Role order (security/).
inline constexpr size_t kRoleCount = 3;
std::string_view RoleLabel(size_t role);  // "reader", "writer", "admin"

// Connections and access control. The auth fields stay zero without CurveZMQ.
struct SecurityStats {
  bool curve = false;
  std::array<uint64_t, kAuthFailureCount> auth_failures{};
  // [role][query type]; the extra last column counts Register frames dropped on the PULL.
  std::array<std::array<uint64_t, kQueryTypeCount + 1>, kRoleCount> permission_denied{};
  uint64_t connected_peers = 0;  // ROUTER + PULL connections open now
  uint64_t max_peers = 0;        // 0 = unbounded
};

// Present only when the hub runs with a write-ahead log.
// Change events (present only when the hub publishes them, --events-addr).
struct EventStats {
  uint64_t published = 0;  // events handed to the PUB socket
  uint64_t dropped = 0;    // events in batches a subscriber's queue could not take
  uint64_t multicast_dropped = 0;  // MulticastMessages a subscriber's queue could not take
};

struct PersistenceStats {
  uint64_t log_bytes = 0;                      // current size of the write-ahead log on disk
  uint64_t snapshots_written = 0;              // catalog snapshots completed since start
  std::optional<double> snapshot_age_seconds;  // age of the newest snapshot; none yet: nullopt
  Histogram fsync_latency;
};

struct MetricsSnapshot {
  // Identity (registry_info labels) and configuration.
  uint64_t epoch = 0;
  std::string version;     // HubConfig::hub_version
  std::string key_format;  // KeyFormatName
  std::string eviction;    // EvictionKindName; also the `policy` label of registry_evictions_total
  uint64_t capacity_entries = 0;
  double uptime_seconds = 0;

  // Gauges read from the core.
  uint64_t records_current = 0;  // HubCore::entry_count()
  uint64_t lease_active = 0;     // HubCore::active_leases()
  uint64_t members_current = 0;  // HubCore::member_count()
  // Monotonic core counters, copied as they are (HubCore::counters()).
  HubCounters core;

  // Server counters.
  std::array<QueryTypeStats, kQueryTypeCount> queries{};
  uint64_t query_decode_failures = 0;  // query frames answered with a decode error
  uint64_t register_batches = 0;       // Register frames applied from the PULL channel
  uint64_t register_entries = 0;       // entries in those frames
  Histogram register_latency;          // per Register frame
  DroppedFrames dropped;
  SecurityStats security;

  std::optional<PersistenceStats> persistence;
  std::optional<EventStats> events;

  QueryTypeStats& query(QueryType t) { return queries[static_cast<size_t>(t)]; }
  const QueryTypeStats& query(QueryType t) const { return queries[static_cast<size_t>(t)]; }
};

}  // namespace blockhub
