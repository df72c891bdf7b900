// RedisCluster: the cluster protocol on top of RedisConnection — a client for one Redis Cluster
// (or one plain Redis server, detected at Connect), used by the hub's Redis backend.
//
// Execute(batch, deadline) takes commands each with its routing key, groups them by the master
// that owns the key's slot (SlotMap from CLUSTER SLOTS), pipelines each group on that master's
// connection, runs the groups in parallel, and returns one result per command in batch order.
// It follows MOVED (updates that slot; re-reads the whole map at most once per call) and ASK
// (sends ASKING then the command to the named node, once), at most `max_redirections` per command.
// After a connection error, a timeout, or a CLUSTERDOWN / TRYAGAIN / LOADING reply it waits
// (exponential backoff), re-reads the map (a promoted replica shows up there) and sends the
// unanswered commands again, until `deadline`; then each still-unanswered command gets
// kUnavailable naming the node and its last error. An ordinary error reply (WRONGTYPE, a script
// error, …) is a Reply of type kError, not a failure.
//
// Ordering: within one call, the commands of one node are sent in batch order in one pipeline,
// so commands on keys of one hash tag keep their order (e.g. a script followed by WAIT). A
// command that is redirected or retried is sent in a later round, after its node's other
// commands of the call; the commands of one later round are again in batch order.
//
// At-least-once: a command whose connection failed after it was written may have been applied
// before it is sent again. Callers must make such commands idempotent (the hub's scripts check
// the stored state before they write).
//
// Parallelism: one short-lived thread per extra node group (the first group runs on the calling
// thread; a single-node call starts no thread). Each RedisConnection stays blocking and simple
// (hiredis's socket timeouts bound every wait), a node's pipeline is one write and N reads, and a
// batch touches few masters. A thread start + join costs ~55 µs on the 2-core development
// machine, small beside the round trip of a pipelined hub batch; if it shows in profiles, one
// long-lived worker per node fed by message can replace the spawns behind this same interface.
// The alternative — non-blocking hiredis contexts under one poll loop — would need a hand-written
// connect/AUTH/timeout state machine for the same effect. Connections are touched only by the
// thread of their group while the call runs, and all state (map, counters) is updated on the
// calling thread after the groups are joined.
//
// Ownership and threading: move-only, one owner; not thread-safe (Execute from one thread at a
// time). Time comes from the steady clock (its waits are real). stats() is a reference to the
// owner's counters: copy it on the owner's thread to hand it elsewhere.
//
// Not done here: reads from replicas, multi-key commands across slots (each command has one
// routing key; multi-key commands must keep their keys under one hash tag), pub/sub, MULTI.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "common/status.h"
#include "hub/metrics/histogram.h"
#include "hub/store/redis/node_address.h"
#include "hub/store/redis/redis_connection.h"
#include "hub/store/redis/reply.h"
#include "hub/store/redis/slot_map.h"

namespace blockhub::redis {

struct ClusterOptions {
  ConnectionOptions connection;  // its `clock` is ignored: the cluster uses the steady clock
  int max_redirections = 5;      // per command and call (MOVED + ASK)
  std::chrono::milliseconds retry_initial{20};  // first wait after a failure; doubles
  std::chrono::milliseconds retry_max{500};     // the wait's cap
};

struct ClusterCommand {
  std::string key;  // the routing key: its slot picks the master (ignored by a plain server)
  Command argv;
};

struct RedisClusterStats {
  uint64_t calls = 0;              // Execute calls
  uint64_t round_trips = 0;        // pipelines sent to a node
  uint64_t commands_sent = 0;      // commands written (re-sent ones count again; ASKING not)
  uint64_t connection_errors = 0;  // pipelines or connects that failed (I/O, timeout, AUTH)
  uint64_t cluster_errors = 0;     // CLUSTERDOWN / TRYAGAIN / LOADING replies
  uint64_t moved = 0;              // MOVED redirections followed
  uint64_t ask = 0;                // ASK redirections followed
  uint64_t map_refreshes = 0;      // slot maps read (CLUSTER SLOTS), the first one included
  // Masters of the previous map that serve no slot in the re-read one: failovers seen (or a
  // master whose slots were all moved away).
  uint64_t masters_lost = 0;
  uint64_t unavailable = 0;  // commands answered kUnavailable (deadline or redirections)
  std::map<std::string, Histogram> node_latency;  // per "host:port": one pipeline's round trip
};

class RedisCluster {
 public:
  enum class Mode : uint8_t { kPlain, kCluster };

  // Asks the seeds in order ("HOST:PORT[,HOST:PORT…]") for `INFO cluster` until one answers or
  // `deadline` passes. cluster_enabled:1 → cluster mode with the slot map read; 0 → plain mode,
  // which needs that seed to be the only one. Fails with kInvalidArgument (bad list, a plain
  // server among several seeds), kPermissionDenied (AUTH refused or required: at once) or
  // kUnavailable (no seed answered by the deadline, naming each one's error).
  static Result<RedisCluster> Connect(std::string_view seeds, ClusterOptions options,
                                      TimePoint deadline);

  RedisCluster(RedisCluster&&) noexcept;
  RedisCluster& operator=(RedisCluster&&) noexcept;
  RedisCluster(const RedisCluster&) = delete;
  RedisCluster& operator=(const RedisCluster&) = delete;
  ~RedisCluster();

  Mode mode() const { return mode_; }
  // One result per command, in batch order (see the contract above).
  std::vector<Result<Reply>> Execute(std::span<const ClusterCommand> batch, TimePoint deadline);
  // Re-reads the slot map from the first known node (masters, replicas, then seeds) that answers.
  Status RefreshMap(TimePoint deadline);

  const SlotMap& slot_map() const { return map_; }
  // The master that serves `key` according to the current map (plain mode: the server).
  std::optional<NodeAddress> MasterOf(std::string_view key) const;
  const RedisClusterStats& stats() const { return stats_; }

 private:
  struct Pending;
  struct Group;

  RedisCluster(std::vector<NodeAddress> seeds, ClusterOptions options);
  TimePoint Now() const { return clock_.Now(); }
  RedisConnection& ConnectionTo(const NodeAddress& node);
  std::optional<NodeAddress> RouteOf(const Pending& p, std::span<const ClusterCommand> batch) const;
  void RunGroups(std::vector<Group>& groups, TimePoint deadline);
  bool Settle(Group& group, std::vector<Pending>& next,
              std::vector<std::optional<Result<Reply>>>& out, bool& saw_moved);

  std::vector<NodeAddress> seeds_;
  ClusterOptions options_;
  SteadyClock clock_;
  Mode mode_ = Mode::kCluster;
  NodeAddress plain_node_;
  SlotMap map_;
  std::map<NodeAddress, std::unique_ptr<RedisConnection>> connections_;
  RedisClusterStats stats_;
};

}  // namespace blockhub::redis
