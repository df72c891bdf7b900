#include "hub/server/event_publisher.h"

#include <zmq.h>

namespace blockhub {

void EventPublisher::OnInsert(const Entry& entry) {
  Append(EventKind::kStored, entry.key, entry.value, entry.metadata);
}

void EventPublisher::OnErase(std::string_view key, EraseReason reason) {
  Append(reason == EraseReason::kEvicted ? EventKind::kEvicted : EventKind::kRemoved, key, {}, {});
}

void EventPublisher::Append(EventKind kind, std::string_view key, std::string_view value,
                            std::string_view metadata) {
  if (open_ && (kind != kind_ || writer_.size() >= kMaxBatchBytes)) Flush();
  if (!open_) {
    writer_.Begin(epoch_, next_seq_);
    kind_ = kind;
    open_ = true;
  }
  writer_.Add(kind, key, value, metadata);
  ++next_seq_;
}

bool EventPublisher::Send(std::string_view topic, std::string_view body) {
  last_send_ = clock_.Now();
  // With ZMQ_XPUB_NODROP the first frame fails with EAGAIN when a subscriber is at its HWM; the
  // rest of a multipart message is then always accepted.
  return zmq_send(pub_, topic.data(), topic.size(), ZMQ_SNDMORE | ZMQ_DONTWAIT) >= 0 &&
         zmq_send(pub_, body.data(), body.size(), ZMQ_DONTWAIT) >= 0;
}

void EventPublisher::Deliver(uint64_t member_id, uint64_t sender, std::string_view payload) {
  // The codec limits payloads to lp16, so encoding cannot fail here.
  if (!EncodeMulticastMessage(MulticastMessage{epoch_, member_id, sender, payload},
                              multicast_body_)
           .ok()) {
    ++counters_.multicast_dropped;
    return;
  }
  const std::string topic = MemberTopic(member_id);
  if (zmq_send(pub_, topic.data(), topic.size(), ZMQ_SNDMORE | ZMQ_DONTWAIT) >= 0 &&
      zmq_send(pub_, multicast_body_.data(), multicast_body_.size(), ZMQ_DONTWAIT) >= 0) {
    ++counters_.multicast_published;
  } else {
    ++counters_.multicast_dropped;
  }
}

void EventPublisher::Flush() {
  if (!open_) return;
  open_ = false;
  const std::string_view body = writer_.Finish();
  if (!Send(EventKindName(kind_), body)) {
    counters_.dropped += writer_.count();
    return;
  }
  counters_.published += writer_.count();
  ++counters_.batches;
}

void EventPublisher::Sync() {
  Flush();
  writer_.Begin(epoch_, next_seq_);
  // A refused sync loses no event: the next batch (or sync) still carries the sequence.
  if (Send(kEventSyncTopic, writer_.Finish())) ++counters_.syncs;
}

}  // namespace blockhub
