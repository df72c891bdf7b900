// Change events: the EventBatch frame the hub publishes on its PUB socket (FORMAT.md "Change
// events"). Pure bytes, no ZeroMQ. A PUB message is two frames: the topic (EventTopic of the
// batch's kind, for libzmq prefix subscriptions) and the EventBatch body.
#pragma once

#include <cstdint>
#include <cstring>
#include <memory>
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

// Builds one EventBatch body in a reused buffer: Begin, Add..., Finish. Add is on the hub's path
// for every catalog change, so it writes each event with one capacity check and direct stores
// (inline here; the buffer grows geometrically and is never shrunk).
class EventBatchWriter {
 public:
  void Begin(uint64_t epoch, uint64_t first_seq);
  // A key, value or metadata longer than 65535 bytes is cut to 65535 (lp16); the hub's limits
  // are far below that.
  void Add(EventKind kind, std::string_view key, std::string_view value = {},
           std::string_view metadata = {}) {
    const bool stored = kind == EventKind::kStored;
    const size_t k = Lp16Size(key);
    const size_t v = stored ? Lp16Size(value) : 0;
    const size_t m = stored ? Lp16Size(metadata) : 0;
    const size_t n = 1 + 2 + k + (stored ? 4 + v + m : 0);
    if (capacity_ - size_ < n) Grow(n);
    char* p = buffer_.get() + size_;
    *p++ = static_cast<char>(kind);
    p = PutLp16(p, key.data(), k);
    if (stored) {
      p = PutLp16(p, value.data(), v);
      PutLp16(p, metadata.data(), m);
    }
    size_ += n;
    ++count_;
  }
  // Add of a stored event whose key, value and metadata are at most kShortField bytes each, when
  // it fits the buffer as it is; false (nothing written) otherwise, and then Add does it. The
  // hub's path for every insert: only inline moves, no call, one capacity comparison.
  static constexpr size_t kShortField = 32;
  bool TryAddStored(std::string_view key, std::string_view value, std::string_view metadata) {
    const size_t k = key.size(), v = value.size(), m = metadata.size();
    const size_t n = 1 + 2 + k + 2 + v + 2 + m;
    if (k > kShortField || v > kShortField || m > kShortField || capacity_ - size_ < n) {
      return false;
    }
    char* p = buffer_.get() + size_;
    *p = static_cast<char>(EventKind::kStored);
    p = PutShort(p + 1, key.data(), k);
    p = PutShort(p, value.data(), v);
    PutShort(p, metadata.data(), m);
    size_ += n;
    ++count_;
    return true;
  }
  // The finished body (count patched in); valid until the next Begin.
  std::string_view Finish();
  uint32_t count() const { return count_; }
  size_t size() const { return size_; }

 private:
  static size_t Lp16Size(std::string_view s) { return s.size() > 0xffff ? 0xffff : s.size(); }
  static char* PutLp16(char* p, const char* data, size_t n) {
    p[0] = static_cast<char>(n & 0xff);
    p[1] = static_cast<char>(n >> 8);
    Copy(p + 2, data, n);
    return p + 2 + n;
  }
  // PutLp16 of at most kShortField bytes.
  static char* PutShort(char* p, const char* data, size_t n) {
    p[0] = static_cast<char>(n);
    p[1] = 0;
    CopyShort(p + 2, data, n);
    return p + 2 + n;
  }
  // Copy of at most 32 bytes.
  static void CopyShort(char* dst, const char* src, size_t n) {
    if (n > 16) {
      Move16(dst, src);
      Move16(dst + n - 16, src + n - 16);
    } else if (n >= 8) {
      Move<8>(dst, src, n);
    } else if (n >= 4) {
      Move<4>(dst, src, n);
    } else if (n > 0) {  // 1..3 bytes
      dst[0] = src[0];
      dst[n / 2] = src[n / 2];
      dst[n - 1] = src[n - 1];
    }
  }
  // memcpy, with the short lengths of keys and values (up to 32 bytes) copied inline by
  // overlapping fixed-size moves instead of a library call per field.
  static void Copy(char* dst, const char* src, size_t n) {
    if (n > 32) {
      std::memcpy(dst, src, n);
    } else {
      CopyShort(dst, src, n);
    }
  }
  // Copies n (W <= n <= 2W) bytes: the first W and the last W, which overlap.
  template <size_t W>
  static void Move(char* dst, const char* src, size_t n) {
    char head[W], tail[W];
    std::memcpy(head, src, W);
    std::memcpy(tail, src + n - W, W);
    std::memcpy(dst, head, W);
    std::memcpy(dst + n - W, tail, W);
  }
  static void Move16(char* dst, const char* src) { Move<8>(dst, src, 16); }
  void Grow(size_t more);  // makes room for `more` bytes past size_

  std::unique_ptr<char[]> buffer_;
  size_t size_ = 0;
  size_t capacity_ = 0;
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
