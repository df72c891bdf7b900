// EventPublisher: the hub's change events (codec/FORMAT.md "Change events"). A CatalogListener of
// the core that numbers every change (sequence +1 per event, from 1), collects them into
// EventBatch frames (one per run of events of one kind, bounded in size) and hands them to the
// PUB socket at the end of each loop iteration (Flush) without ever waiting: a batch that a
// subscriber's queue (--events-hwm) cannot take is dropped and counted, and the subscribers see a
// sequence gap. Sync sends an empty batch (topic "sync", count 0, first_seq = the next sequence):
// the hub sends one when a subscriber joins and after --events-heartbeat-ms without a batch, so a
// subscriber learns that its subscription is live, sees a gap within a heartbeat, and can tell a
// silent hub from a dead connection.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "codec/events.h"
#include "common/clock.h"
#include "hub/core/hub_core.h"

namespace blockhub {

struct EventCounters {
  uint64_t published = 0;  // events handed to the PUB socket
  uint64_t dropped = 0;    // events in batches the socket refused (a subscriber at its HWM)
  uint64_t batches = 0;    // EventBatch frames handed to the PUB socket
  uint64_t syncs = 0;      // empty sync batches handed to the PUB socket (joins, heartbeats)
  uint64_t multicast_published = 0;  // MulticastMessages handed to the PUB socket
  uint64_t multicast_dropped = 0;    // MulticastMessages the socket refused (a subscriber's HWM)
};

// Also the core's MemberMessageSink: a multicast goes out at once as one PUB message per member
// (topic member.<id>, body a MulticastMessage), never waiting; it is not a batch (no sequence
// number, and it does not put off the next heartbeat).
class EventPublisher final : public CatalogListener, public MemberMessageSink {
 public:
  // `pub` is a bound ZMQ_PUB socket with ZMQ_XPUB_NODROP set (not owned).
  EventPublisher(void* pub, uint64_t epoch, const Clock& clock)
      : pub_(pub), epoch_(epoch), clock_(clock), last_send_(clock.Now()) {}

  void OnInsert(const Entry& entry) override;
  void OnErase(std::string_view key, EraseReason reason) override;
  void Deliver(uint64_t member_id, uint64_t sender, std::string_view payload) override;
  // Sends the pending batch, if any. Never blocks.
  void Flush();
  // Sends the pending batch, then an empty sync batch. Never blocks.
  void Sync();
  // When a batch (events or sync) was last handed to the socket (or refused); starts at creation.
  TimePoint last_send() const { return last_send_; }

  const EventCounters& counters() const { return counters_; }
  uint64_t next_seq() const { return next_seq_; }

 private:
  bool Send(std::string_view topic, std::string_view body);
  void Append(EventKind kind, std::string_view key, std::string_view value,
              std::string_view metadata);

  // A batch is sent once it holds this many bytes, even inside a loop iteration.
  static constexpr size_t kMaxBatchBytes = 256 * 1024;

  void* pub_;
  uint64_t epoch_;
  const Clock& clock_;
  TimePoint last_send_;
  uint64_t next_seq_ = 1;
  bool open_ = false;  // a batch is being filled
  EventKind kind_ = EventKind::kStored;
  EventBatchWriter writer_;
  std::string multicast_body_;  // reused
  EventCounters counters_;
};

}  // namespace blockhub
