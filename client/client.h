// Client: the worker library's handle on one blockhub hub (PROTOCOL.md), for both protocol
// versions.
//
// One Client = per hub of its hub list one query connection (DEALER) + one registration
// connection (PUSH), owned by a private I/O thread: callers never touch a socket. Every call may
// come from any thread. With several hubs, requests go to the current live hub and fail over
// (HubSelector, README "client hub list"): an attempt that gets no reply within its share of
// request_timeout judges the hub dead and the request is re-sent to another hub (same request,
// same client id, same routing id); pending registration batches go to the new current hub.
//   - Synchronous calls (CanOffload, Match, ...) block until the reply or the request deadline.
//   - *Async calls return a std::future; one thread can keep thousands of requests in flight on the
//     one connection. Replies are matched to requests by request id, in any order.
//   - Register is fire-and-forget and batched (Batcher: batch_size entries or batch_timeout,
//     whichever first), sent by the I/O thread. It blocks only when max_pending_registrations
//     entries are waiting (the hub is not draining the PUSH queue), for at most request_timeout,
//     then fails with Unavailable: a registration is never dropped silently.
//   - Every request has a deadline (request_timeout). A request that times out gets Timeout and
//     frees its slot; a reply that comes later is counted (late_replies) and dropped.
//   - The ZeroMQ routing id is derived from client_id, so a client re-created with the same id
//     keeps its leases (v1 leases are keyed by routing id, v2 by client_id).
//   - v2 replies carry the hub's epoch; a change (hub restart) increments epoch_changes and calls
//     ClientOptions::on_epoch_change.
//   - Protocol 1 (a Dynamo hub): RegisterSync, Renew, Release, Hello and Stats fail with
//     InvalidArgument; Match in leading-run mode is emulated (a mode-0 Match, cut at the first
//     miss).
//
// Close() (or the destructor) flushes pending registrations, bounded by request_timeout, and
// reports what it could not hand to the transport. Move-only resource; not copyable.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <future>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "client/block_entry.h"
#include "client/client_options.h"
#include "client/hub_selector.h"
#include "client/transport.h"
#include "codec/message.h"
#include "common/status.h"

namespace blockhub {

struct CanOffloadResult {
  std::vector<OffloadStatus> statuses;  // per requested key, in request order
  std::vector<std::string> granted;     // keys this client now holds a lease on
  std::vector<std::string> already_stored;
  std::vector<std::string> leased;  // keys another owner is uploading
  uint32_t lease_ttl_ms = 0;        // v2 only (0 in v1)
};

// The statuses of a CanOffload alone, for callers that keep their keys (no per-key copies).
struct CanOffloadStatuses {
  std::vector<OffloadStatus> statuses;  // per requested key, in request order
  uint32_t lease_ttl_ms = 0;            // v2 only (0 in v1)
};

struct HelloResult {
  uint32_t lease_ttl_ms = 0;
  uint8_t key_format = 0;  // KeyFormat wire value
  uint32_t max_batch_keys = 0;
  uint64_t capacity = 0;
  std::string hub_version;
};

using StatsResult = std::vector<std::pair<std::string, uint64_t>>;

// Worker membership (protocol 2; codec/FORMAT.md "Members", README "Workers"); the filter terms
// and their parser are in client_options.h.

struct AnnounceResult {
  uint64_t member_id = 0;  // this client's identity as a member (its multicast topic)
  uint32_t ttl_ms = 0;     // the TTL the hub applied (0 after a withdraw)
  bool existed = false;    // it was a live member before
};
struct MemberRecord {
  uint64_t member_id = 0;
  uint64_t client_id = 0;
  std::string name;
  MemberMetadataPairs metadata;
  uint64_t announced_at_ms = 0;  // unix ms
  uint64_t last_heard_ms = 0;    // unix ms of its last request
  uint32_t ttl_ms = 0;           // it expires at last_heard_ms + ttl_ms
};
struct MembersResult {
  uint64_t now_ms = 0;  // the hub's clock when it answered (unix ms)
  std::vector<MemberRecord> members;
};

// One hub of the client's hub list, as the client sees it.
struct HubCounters {
  std::string query_addr;
  std::string register_addr;
  HubState state = HubState::kLive;
  bool current = false;             // requests and registrations go here now
  uint64_t attempts = 0;            // request attempts and probes sent to it
  uint64_t replies = 0;             // replies received from it (matched or late)
  uint64_t attempt_timeouts = 0;    // attempts or probes that passed their deadline
  uint64_t disconnects = 0;         // established query connections that broke (socket monitor)
  uint64_t registrations_sent = 0;  // Register entries handed to its socket
};

struct ClientCounters {
  uint64_t requests_sent = 0;
  uint64_t replies_matched = 0;
  uint64_t late_replies = 0;       // reply for a request that had timed out (dropped)
  uint64_t malformed_replies = 0;  // shorter than a request id, or undecodable
  uint64_t timeouts = 0;
  uint64_t registrations_queued = 0;  // entries accepted by Register
  uint64_t registrations_sent = 0;    // entries handed to the transport
  uint64_t registration_frames_sent = 0;
  uint64_t registrations_unsent = 0;  // entries Close() could not hand over
  uint64_t epoch_changes = 0;
  uint64_t epoch = 0;  // last epoch seen (v2), 0 before the first v2 reply
  // Hub list (several hubs only; with one hub these stay 0 and nothing is probed).
  uint64_t failovers = 0;         // times the current hub changed because it was judged dead
  uint64_t retries = 0;           // request attempts re-sent to another hub
  uint64_t probes = 0;            // empty Touch probes sent to check a hub
  std::vector<HubCounters> hubs;  // one per hub, in list order
  // The local cache (all 0 when it is off).
  uint64_t cache_hits = 0;           // keys answered from the cache
  uint64_t cache_misses = 0;         // keys asked of the hub
  uint64_t cache_expired = 0;        // of the misses: cached longer than the TTL
  uint64_t cache_invalidations = 0;  // keys dropped as removed or evicted
  uint64_t cache_clears = 0;         // whole clears (new hub epoch, event gap, lost events)
  uint64_t cache_entries = 0;        // keys cached now
  // The hub's change events (DYN_REGISTRY_CLIENT_EVENTS_ADDR with a local cache; else all 0).
  uint64_t events_batches = 0;    // EventBatch messages received (sync batches included)
  uint64_t events_received = 0;   // events in them
  uint64_t events_gaps = 0;       // sequence gaps seen (events lost; the cache was cleared)
  uint64_t events_lost = 0;       // times the event stream was lost (disconnect or silence)
  uint64_t events_malformed = 0;  // event messages that did not decode (the cache was cleared)
  bool events_live = false;       // the stream is live: the cache learns
  // Worker membership.
  uint64_t member_id = 0;             // this client's member id once announced (0 = not a member)
  uint64_t member_announces = 0;      // Announce requests answered (automatic renewals included)
  uint64_t member_announce_errors = 0;  // automatic announces that failed (retried)
  uint64_t multicasts_received = 0;   // multicasts delivered to on_multicast
  // A batch from the events socket arrived after this member's topic was subscribed (the hub
  // answers a subscription with a sync batch): multicasts to it are delivered from now on.
  bool member_live = false;
};

class Client {
 public:
  using Keys = std::span<const std::string>;

  // Connects (ZeroMQ connects lazily: a hub that is not up yet is not an error; requests time out
  // until it is). client_id 0 in `options` is replaced by a random id.
  static Result<std::unique_ptr<Client>> Connect(ClientOptions options);
  // Same, over a caller-supplied transport (another socket library, an instrumented transport).
  static Result<std::unique_ptr<Client>> ConnectWith(ClientOptions options,
                                                     std::unique_ptr<Transport> transport);

  ~Client();  // Close() unless already closed
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // Flushes pending registrations (bounded by request_timeout), fails requests still in flight
  // with Unavailable, stops the I/O thread. Returns Unavailable naming the number of registration
  // entries it could not send (also logged, and in counters().registrations_unsent). Idempotent.
  Status Close();

  std::future<Result<CanOffloadResult>> CanOffloadAsync(Keys keys);
  // CanOffload answering the statuses only, with `done` called exactly once: on the client's I/O
  // thread (the answer, an error, a timeout, Unavailable at Close), or before this returns when
  // the client is closed or the local cache answers every key (lease_ttl_ms is then 0). The keys
  // are encoded before it returns. `done` must not block; it may submit further requests, which is
  // how a batch caller keeps a window of requests in flight without a thread wake-up per reply.
  void CanOffloadStatusesThen(Keys keys, std::function<void(Result<CanOffloadStatuses>)> done);
  std::future<Result<std::vector<BlockEntry>>> MatchAsync(Keys keys,
                                                          MatchMode mode = MatchMode::kAll);
  std::future<Result<uint64_t>> RemoveAsync(Keys keys);
  std::future<Result<uint64_t>> TouchAsync(Keys keys);
  std::future<Result<std::vector<RegisterStatus>>> RegisterSyncAsync(
      std::span<const BlockEntry> entries);
  std::future<Result<std::vector<RenewStatus>>> RenewAsync(Keys keys);
  std::future<Result<uint64_t>> ReleaseAsync(Keys keys);
  std::future<Result<HelloResult>> HelloAsync(std::string_view client_name,
                                              std::string_view client_metadata);
  std::future<Result<StatsResult>> StatsAsync();
  // Announces this client as a member (name empty = the options' namespace) for `ttl`; ttl 0
  // withdraws. Once announced, multicasts to it reach ClientOptions::on_multicast (with
  // events_addr set). With ClientOptions::member_ttl the client does this by itself.
  std::future<Result<AnnounceResult>> AnnounceAsync(std::string_view name,
                                                    const MemberMetadataPairs& metadata,
                                                    std::chrono::milliseconds ttl);
  std::future<Result<MembersResult>> EnumerateAsync(const MemberFilterTerms& filter);
  // Publishes `payload` to every member matching `filter`; returns how many matched.
  std::future<Result<uint64_t>> MulticastAsync(const MemberFilterTerms& filter,
                                               std::string_view payload);

  Result<CanOffloadResult> CanOffload(Keys keys) { return CanOffloadAsync(keys).get(); }
  Result<std::vector<BlockEntry>> Match(Keys keys, MatchMode mode = MatchMode::kAll) {
    return MatchAsync(keys, mode).get();
  }
  Result<uint64_t> Remove(Keys keys) { return RemoveAsync(keys).get(); }
  Result<uint64_t> Touch(Keys keys) { return TouchAsync(keys).get(); }
  Result<std::vector<RegisterStatus>> RegisterSync(std::span<const BlockEntry> entries) {
    return RegisterSyncAsync(entries).get();
  }
  Result<std::vector<RenewStatus>> Renew(Keys keys) { return RenewAsync(keys).get(); }
  Result<uint64_t> Release(Keys keys) { return ReleaseAsync(keys).get(); }
  // Name defaults to the options' namespace.
  Result<HelloResult> Hello(std::string_view client_name = {}, std::string_view metadata = {}) {
    return HelloAsync(client_name, metadata).get();
  }
  Result<StatsResult> Stats() { return StatsAsync().get(); }
  Result<AnnounceResult> Announce(std::string_view name, const MemberMetadataPairs& metadata,
                                  std::chrono::milliseconds ttl) {
    return AnnounceAsync(name, metadata, ttl).get();
  }
  Result<AnnounceResult> Withdraw() {
    return AnnounceAsync({}, {}, std::chrono::milliseconds(0)).get();
  }
  Result<MembersResult> Enumerate(const MemberFilterTerms& filter = {}) {
    return EnumerateAsync(filter).get();
  }
  Result<uint64_t> Multicast(const MemberFilterTerms& filter, std::string_view payload) {
    return MulticastAsync(filter, payload).get();
  }

  // Fire-and-forget, batched. Validates sizes (lp16 fields) up front.
  Status Register(std::vector<BlockEntry> entries);
  // Hands every registration accepted so far to the transport, waiting up to request_timeout.
  // (Handed over = queued in ZeroMQ, not acknowledged by the hub: use RegisterSync for that.)
  Status Flush();

  uint64_t client_id() const;
  ProtocolVersion protocol() const;
  uint64_t epoch_changes() const;
  ClientCounters counters() const;

  class Impl;

 private:
  std::future<Result<std::vector<BlockEntry>>> CachedMatch(Keys keys);
  explicit Client(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace blockhub
