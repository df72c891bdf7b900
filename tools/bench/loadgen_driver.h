// The load generator's driver: one thread per client keeps `inflight` requests in flight on its
// own Connection, measures each request from send to reply, and the main thread reports
//   RESULT <target> <op> keys_per_s=… requests_per_s=… p50_us=… p99_us=… p999_us=…
// Owned by the bench area. The same driver runs every target (hub, echo, redis); only the
// Target/Connection differ, so the figures are comparable.
//
// Timing is honest by construction: the clock starts when every client is connected and has
// pre-loaded its share of the stored keys, and stops after every client thread has been joined
// (all replies received) — and, for fire-and-forget registration, after the target has confirmed
// it applied every pushed entry (Target::AwaitApplied).
//
// Threading: RunLoad() owns the threads. A Connection is created, used and (after the join)
// destroyed by one thread at a time; Target methods other than Connect are called from the
// main thread only; Connect is called from the client threads concurrently.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "common/status.h"
#include "tools/bench/loadgen_workload.h"

namespace blockhub::bench {

// What the replies said, summed (printed as a `#` line to check the workload did what it says).
struct Tally {
  uint64_t granted = 0;
  uint64_t already_stored = 0;
  uint64_t leased = 0;
  uint64_t matched = 0;
  uint64_t stored = 0;
  uint64_t rejected = 0;
  void Add(const Tally& o);
};

struct Reply {
  uint32_t tag = 0;    // the tag given to Send
  RequestKind kind{};  // the request kind this reply answers
  Tally tally;
};

// Largest --inflight a Connection must support (tags are < kMaxInflight).
inline constexpr uint32_t kMaxInflight = 4096;

class Connection {
 public:
  virtual ~Connection() = default;
  // Sends one request. `tag` (< kMaxInflight, not in flight) comes back with its reply.
  // RequestKind::kRegister is fire-and-forget: it has no reply.
  virtual Status Send(uint32_t tag, RequestKind kind, const KeyBatch& keys) = 0;
  // The next reply. wait: block up to `timeout_ms`, then TimeoutError. !wait: only a reply that
  // has already arrived (nullopt if none).
  virtual Result<std::optional<Reply>> Receive(bool wait, int timeout_ms) = 0;
  // Called after the last fire-and-forget Send of this connection; returns when it is safe to
  // consider this connection's pushes handed over (the target-level barrier does the rest).
  virtual Status FinishPushes(int timeout_ms) = 0;
};

class Target {
 public:
  virtual ~Target() = default;
  // The name in the RESULT line: "blockhub", "echo", "redis".
  virtual std::string name() const = 0;
  virtual Result<std::unique_ptr<Connection>> Connect(uint32_t client, uint64_t client_id) = 0;
  // Main thread, once every client is ready and before the clock starts.
  virtual Status BeforeRun() { return Status::Ok(); }
  // Main thread, after the join: returns once the target has applied `pushed_entries`
  // fire-and-forget registrations made since BeforeRun().
  virtual Status AwaitApplied(uint64_t pushed_entries, int timeout_ms) = 0;
};

// Runs the workload against `target` and prints the RESULT line. Returns the exit code.
int RunLoad(const WorkloadOptions& options, Target& target);

}  // namespace blockhub::bench
