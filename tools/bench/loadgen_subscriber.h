// EventSubscriber: the change-event subscriber of `blockhub-bench hub --subscribe ENDPOINT`
// (codec/FORMAT.md "Change events"). One thread with a ZMQ SUB socket subscribed to "" (on its own
// ZeroMQ context with one I/O thread, so it does not share the load clients' I/O thread) that
// receives every two-frame message until Stop(), decodes each body with DecodeEventBatch and
// tallies event batches, events, heartbeats (sync batches: count 0, topic `sync`; not events)
// and sequence gaps; multicasts to members (topics `member.*`, the same socket) are only counted.
// Owned by the bench area.
//
// Liveness: a SUB socket receives nothing until its subscription has reached the hub, so the
// first message received proves the subscription is live (live()): the hub's sync batch for a
// joining subscriber, or the stored event of a probe registration the caller pushes (a hub that
// sends no syncs); the caller waits for it before starting the load.
//
// Gaps: the first batch of an epoch (events or sync) sets the expected next sequence number
// (first_seq + count; a sync's first_seq is the next sequence). After that a batch whose
// first_seq is above it is a gap (events dropped at the hub or by this socket's queue; a sync
// reveals a lost last batch), one below it is out of order (must not happen).
//
// Threading: Start/live/Stop from one thread (the load generator's main thread); the drain
// thread owns the socket and the counts until Stop() has joined it.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>

#include "common/status.h"

namespace blockhub::bench {

struct SubscriberCounts {
  uint64_t messages = 0;  // PUB messages received (event batches + heartbeats + malformed)
  uint64_t batches = 0;   // EventBatch messages with count > 0
  uint64_t events = 0;    // events in them
  uint64_t stored = 0;
  uint64_t removed = 0;
  uint64_t evicted = 0;
  uint64_t heartbeats = 0;    // sync batches (count 0, topic sync)
  uint64_t multicasts = 0;    // messages to members (topics member.*), not decoded
  uint64_t bytes = 0;         // body bytes received
  uint64_t gaps = 0;          // batches whose first_seq was above the expected next sequence
  uint64_t missing = 0;       // events those gaps skipped
  uint64_t out_of_order = 0;  // batches whose first_seq was below the expected next sequence
  uint64_t malformed = 0;     // messages that were not (topic, EventBatch), or did not decode
  uint64_t epochs = 0;        // distinct epochs seen (1 unless the hub changed)
  uint64_t epoch = 0;         // the last epoch seen
  uint64_t first_seq = 0;     // first event sequence number received in the last epoch
  uint64_t last_seq = 0;      // last event sequence number received in the last epoch
  uint64_t through = 0;       // every sequence up to this one was received or counted missing
};

// CurveZMQ keys of the subscriber (all Z85; empty server_key = plaintext).
struct SubscriberCurve {
  std::string server_key;
  std::string public_key;
  std::string secret_key;
};

class EventSubscriber {
 public:
  // Connects the SUB socket to `endpoint`, subscribes to "" and starts the drain thread.
  static Result<std::unique_ptr<EventSubscriber>> Start(const std::string& endpoint,
                                                        const SubscriberCurve& curve);
  ~EventSubscriber();
  EventSubscriber(const EventSubscriber&) = delete;
  EventSubscriber& operator=(const EventSubscriber&) = delete;

  // True once any message has arrived (the subscription is established).
  bool live() const { return live_.load(std::memory_order_acquire); }
  // Waits up to `timeout` for live().
  bool AwaitLive(std::chrono::milliseconds timeout) const;

  // Waits until the subscriber has accounted for sequence `last_seq` (the hub's last: received,
  // or counted missing after a later sync), or no event batch has arrived for `quiet`, or
  // `timeout`; then stops the thread and returns the counts. An error if the socket failed.
  Result<SubscriberCounts> Stop(uint64_t last_seq, std::chrono::milliseconds quiet,
                                std::chrono::milliseconds timeout);

 private:
  EventSubscriber(void* ctx, void* sub) : ctx_(ctx), sub_(sub) {}
  void Drain();
  void Account(std::string_view topic, std::string_view body);

  void* ctx_;
  void* sub_;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::atomic<bool> live_{false};
  std::atomic<uint64_t> through_{0};         // counts_.through, for Stop()
  std::atomic<int64_t> last_arrival_ns_{0};  // steady_clock of the last event batch
  SubscriberCounts counts_;                  // the drain thread's until joined
  uint64_t expected_ = 0;  // next sequence number expected in this epoch; 0 = none yet
  Status status_;
};

}  // namespace blockhub::bench
