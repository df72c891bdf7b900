// ClientOptions: how a blockhub Client connects and batches, built in code (a builder) or from the
// DYN_REGISTRY_CLIENT_* environment variables (the same names Dynamo's registry client uses).
//
//   variable                                default                 meaning
//   DYN_REGISTRY_CLIENT_QUERY_ADDR          tcp://localhost:5555    hub ROUTER (queries)
//   DYN_REGISTRY_CLIENT_REGISTER_ADDR       tcp://localhost:5556    hub PULL (registrations)
//     (both accept a comma-separated list of hubs: the i-th query endpoint pairs with the i-th
//      register endpoint; see HubSelector for the failover rule)
//   DYN_REGISTRY_CLIENT_NAMESPACE           default                 sent as the Hello client name
//   DYN_REGISTRY_CLIENT_BATCH_SIZE          100                     Register entries per frame
//   DYN_REGISTRY_CLIENT_BATCH_TIMEOUT_MS    10                      max age of an unsent entry
//   DYN_REGISTRY_CLIENT_REQUEST_TIMEOUT_MS  5000                    deadline of every request
//   DYN_REGISTRY_CLIENT_ID                  random per process      lease owner (u64 or any text)
//   DYN_REGISTRY_CLIENT_PROTOCOL            2                       1 = talk to a Dynamo hub
//   DYN_REGISTRY_CLIENT_HWM                 10000                   ZeroMQ high-water mark
//   DYN_REGISTRY_CLIENT_CURVE_SERVER_KEY    (none)                  the hub's public key (Z85)
//   DYN_REGISTRY_CLIENT_CURVE_SECRET_KEY_FILE (none)                this client's secret key file
//     (both or neither: CurveZMQ on every socket; the client's public key is derived)
//   DYN_REGISTRY_CLIENT_LOCAL_CACHE         0                       keys the local cache holds
//   DYN_REGISTRY_CLIENT_LOCAL_CACHE_TTL_MS  60000                   how long a cached key is
//   trusted
//   DYN_REGISTRY_CLIENT_EVENTS_ADDR         (none)                  the hub's change events (PUB);
//     with a local cache: removed/evicted keys are dropped, a gap/epoch/lost stream clears it
//   DYN_REGISTRY_CLIENT_EVENTS_TIMEOUT_MS   5000                    silence after which the event
//     stream counts as lost (the hub sends a sync batch every second when idle)
//   DYN_REGISTRY_CLIENT_MEMBER_TTL_MS       0 (off)                 announce this client as a
//     worker (README "Workers"), renewed at half the TTL, withdrawn on Close
//   DYN_REGISTRY_CLIENT_MEMBER_METADATA     (none)                  its metadata: k=v,k=v
//
// Plain value type; thread-compatible. FromEnv reads the process environment: call it at start-up.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "codec/message.h"
#include "common/status.h"

namespace blockhub {

// Called on the client's I/O thread when a v2 response carries an epoch different from the one
// seen before (the hub restarted). Must be quick and must not call back into the Client.
using EpochChangeCallback = std::function<void(uint64_t old_epoch, uint64_t new_epoch)>;

// Called on the client's I/O thread with each multicast addressed to this member (its sender's
// member id and the payload, valid during the call). Must be quick; must not call the Client.
using MulticastCallback = std::function<void(uint64_t sender, std::string_view payload)>;

// Member metadata as key=value pairs, in order.
using MemberMetadataPairs = std::vector<std::pair<std::string, std::string>>;
// "k=v,k=v" (spaces around entries ignored; a value may contain '='; no empty key; a key at most
// once) -> pairs. Empty text -> none.
Result<MemberMetadataPairs> ParseMemberMetadata(std::string_view text);

// A member filter term: the member has `key`, and (when `value` is set) with exactly that value.
struct MemberFilterTerm {
  std::string key;
  std::optional<std::string> value;
};
using MemberFilterTerms = std::vector<MemberFilterTerm>;
// "k=v,k" -> terms (k alone = presence). Empty text -> no terms (matches every member).
Result<MemberFilterTerms> ParseMemberFilter(std::string_view text);

// One hub of a client's hub list: its query (ROUTER) and registration (PULL) endpoints.
struct HubEndpoint {
  std::string query_addr;
  std::string register_addr;
};

// Splits comma-separated endpoint lists (spaces around entries ignored) and pairs them: the i-th
// query endpoint with the i-th register endpoint. An empty entry, more than kMaxHubs hubs, or
// lists of different lengths are InvalidArgument errors naming `query_name` / `register_name`
// (the variable or flag the lists came from).
inline constexpr size_t kMaxHubs = 32;
Result<std::vector<HubEndpoint>> ParseHubList(std::string_view query_list,
                                              std::string_view register_list,
                                              std::string_view query_name = "query address",
                                              std::string_view register_name = "register address");

struct ClientOptions {
  // One endpoint each, or comma-separated lists of the same length (a hub list; ParseHubList).
  std::string query_addr = "tcp://localhost:5555";
  std::string register_addr = "tcp://localhost:5556";
  std::string ns = "default";  // DYN_REGISTRY_CLIENT_NAMESPACE
  uint32_t batch_size = 100;
  std::chrono::milliseconds batch_timeout{10};
  std::chrono::milliseconds request_timeout{5000};
  // The lease owner. 0 = pick a random id when the client is created. The ZeroMQ routing id is
  // derived from it (RoutingIdFor), so a worker that reconnects with the same id keeps its leases
  // in both protocol versions.
  uint64_t client_id = 0;
  ProtocolVersion protocol = ProtocolVersion::kV2;
  // ZeroMQ high-water mark of the DEALER and PUSH sockets, in frames.
  int hwm = 10000;
  // Registration entries the client buffers (batcher + frames ZeroMQ would not take yet) before
  // Register blocks; it then waits up to request_timeout and fails with Unavailable.
  size_t max_pending_registrations = 100000;
  EpochChangeCallback on_epoch_change;  // optional
  // CurveZMQ (both or neither; README "Security"): the hub's public key and this client's secret
  // key, 40-character Z85 each. The client's public key is derived from the secret one.
  std::string curve_server_key;
  std::string curve_secret_key;
  // The local cache of keys known stored (README "The client's local cache"): at most this many
  // keys, 0 = off; each trusted for local_cache_ttl after it was learnt.
  size_t local_cache_entries = 0;
  std::chrono::milliseconds local_cache_ttl{60000};
  // The hub's change events (its --events-addr endpoint as this client reaches it), used by the
  // local cache; empty = none, the cache then relies on its TTL alone. Several hubs: one endpoint
  // (the hub whose changes the cache follows). No batch, not even a sync, for events_timeout =
  // the stream is lost (the cache clears and stops learning until a batch arrives).
  std::string events_addr;
  std::chrono::milliseconds events_timeout{5000};
  // Worker membership (protocol 2; README "Workers"): with a TTL the client announces itself (its
  // id, `ns` as its name, member_metadata) when it starts, renews at half the TTL, and withdraws
  // on Close. Multicasts to it arrive on the hub's events socket (events_addr) at on_multicast.
  std::chrono::milliseconds member_ttl{0};
  MemberMetadataPairs member_metadata;
  MulticastCallback on_multicast;  // optional

  // Defaults overridden by every DYN_REGISTRY_CLIENT_* variable that is set. A bad value is an
  // InvalidArgument error naming the variable.
  static Result<ClientOptions> FromEnv();

  Status Validate() const;
  // query_addr / register_addr as a list of hubs (one element for a single hub).
  Result<std::vector<HubEndpoint>> hubs() const { return ParseHubList(query_addr, register_addr); }
};

// DYN_REGISTRY_CLIENT_ID text -> client id: a u64 in decimal or 0x-hex is taken as is (non-zero);
// any other text is hashed (XXH3-64), so a worker may use its host name.
Result<uint64_t> ParseClientId(std::string_view text);
// A random non-zero client id.
uint64_t RandomClientId();
// The stable ZeroMQ routing id of a client: "bh-" + 16 lowercase hex digits of the id.
std::string RoutingIdFor(uint64_t client_id);

// Builder in the spirit of Dynamo's client config:
//   auto options = ClientOptionsBuilder().query_addr(q).batch_size(64).hwm(1000).Build();
class ClientOptionsBuilder {
 public:
  ClientOptionsBuilder() = default;
  explicit ClientOptionsBuilder(ClientOptions base) : o_(std::move(base)) {}

  ClientOptionsBuilder& query_addr(std::string v) {
    o_.query_addr = std::move(v);
    return *this;
  }
  ClientOptionsBuilder& register_addr(std::string v) {
    o_.register_addr = std::move(v);
    return *this;
  }
  // A hub list (sets query_addr and register_addr to the comma-joined endpoints).
  ClientOptionsBuilder& hubs(const std::vector<HubEndpoint>& v);
  ClientOptionsBuilder& ns(std::string v) {
    o_.ns = std::move(v);
    return *this;
  }
  ClientOptionsBuilder& batch_size(uint32_t v) {
    o_.batch_size = v;
    return *this;
  }
  ClientOptionsBuilder& batch_timeout(std::chrono::milliseconds v) {
    o_.batch_timeout = v;
    return *this;
  }
  ClientOptionsBuilder& request_timeout(std::chrono::milliseconds v) {
    o_.request_timeout = v;
    return *this;
  }
  ClientOptionsBuilder& client_id(uint64_t v) {
    o_.client_id = v;
    return *this;
  }
  ClientOptionsBuilder& protocol(ProtocolVersion v) {
    o_.protocol = v;
    return *this;
  }
  ClientOptionsBuilder& hwm(int v) {
    o_.hwm = v;
    return *this;
  }
  ClientOptionsBuilder& max_pending_registrations(size_t v) {
    o_.max_pending_registrations = v;
    return *this;
  }
  // CurveZMQ: the hub's public key and this client's secret key (Z85).
  ClientOptionsBuilder& curve(std::string server_public_key, std::string client_secret_key) {
    o_.curve_server_key = std::move(server_public_key);
    o_.curve_secret_key = std::move(client_secret_key);
    return *this;
  }
  // Announce as a worker for `ttl` (renewed at half of it) with this metadata.
  ClientOptionsBuilder& member(std::chrono::milliseconds ttl, MemberMetadataPairs metadata = {}) {
    o_.member_ttl = ttl;
    o_.member_metadata = std::move(metadata);
    return *this;
  }
  ClientOptionsBuilder& on_multicast(MulticastCallback v) {
    o_.on_multicast = std::move(v);
    return *this;
  }
  ClientOptionsBuilder& on_epoch_change(EpochChangeCallback v) {
    o_.on_epoch_change = std::move(v);
    return *this;
  }

  // The options, or the first invalid field.
  Result<ClientOptions> Build() const;

 private:
  ClientOptions o_;
};

}  // namespace blockhub
