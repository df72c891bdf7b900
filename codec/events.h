// Change events: the EventBatch frame the hub publishes on its PUB socket (FORMAT.md "Change
// events"). Pure bytes, no ZeroMQ. A PUB message is two frames: the topic (EventTopic of the
// batch's kind, for libzmq prefix subscriptions) and the EventBatch body.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace blockhub {

inline constexpr uint8_t kEventBatchType = 40;  // v2 message type of an EventBatch

// The topic of an empty EventBatch (count 0, first_seq = the next sequence the hub will use) that
// the hub sends when a subscriber joins and as a heartbeat when it has nothing else to send.
inline constexpr std::string_view kEventSyncTopic = "sync";

enum class EventKind : uint8_t { kStored = 0, kRemoved = 1, kEvicted = 2 };

// "stored", "removed", "evicted": the topic frame of a batch and the word the CLI prints.
std::string_view EventKindName(EventKind kind);

struct Event {
  EventKind kind = EventKind::kStored;
  std::string_view key;
  std::string_view value;     // stored only
  std::string_view metadata;  // stored only
};

// A decoded batch; the views borrow from the decoded bytes. Event i has sequence first_seq + i.
struct EventBatch {
  uint64_t epoch = 0;
  uint64_t first_seq = 0;
  std::vector<Event> events;
};

// Builds one EventBatch body in a reused buffer: Begin, Add..., Finish.
class EventBatchWriter {
 public:
  void Begin(uint64_t epoch, uint64_t first_seq);
  void Add(EventKind kind, std::string_view key, std::string_view value = {},
           std::string_view metadata = {});
  // The finished body (count patched in); valid until the next Begin.
  std::string_view Finish();
  uint32_t count() const { return count_; }
  size_t size() const { return out_.size(); }

 private:
  std::string out_;
  uint32_t count_ = 0;
};

// Decodes an EventBatch body. Malformed for anything that is not exactly one v2 EventBatch.
Result<EventBatch> DecodeEventBatch(std::string_view bytes);

// ---- multicasts to members (FORMAT.md "Members") ----
// A Multicast request's payload is published to each matching member as one PUB message: topic
// MemberTopic(member_id), body a MulticastMessage.
inline constexpr uint8_t kMulticastMessageType = 41;  // v2 message type of a MulticastMessage
inline constexpr std::string_view kMemberTopicPrefix = "member.";

// "member." + 16 lowercase hex digits of `member_id` (the AnnounceResponse's member_id).
std::string MemberTopic(uint64_t member_id);

struct MulticastMessage {
  uint64_t epoch = 0;      // the hub's epoch
  uint64_t member_id = 0;  // the recipient (the topic's id)
  uint64_t sender = 0;     // the sending client's member identity (its lease-owner id)
  std::string_view payload;  // borrows from the decoded bytes
};

// Replaces `out` with the body: version 2 ‖ 41 ‖ epoch ‖ member_id ‖ sender ‖ lp16(payload).
// InvalidArgument (out unchanged) if the payload is longer than 65535 bytes.
Status EncodeMulticastMessage(const MulticastMessage& m, std::string& out);
// Malformed for anything that is not exactly one v2 MulticastMessage.
Result<MulticastMessage> DecodeMulticastMessage(std::string_view bytes);

}  // namespace blockhub
