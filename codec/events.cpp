#include "codec/events.h"

#include <fmt/format.h>

#include <cstring>

namespace blockhub {
namespace {

// version:u8 ‖ type:u8 ‖ epoch:u64 ‖ first_seq:u64 ‖ count:u32
constexpr size_t kCountOffset = 1 + 1 + 8 + 8;

void PutLe(std::string& out, uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

void PutLp16(std::string& out, std::string_view s) {
  const size_t n = s.size() > 0xffff ? 0xffff : s.size();
  PutLe(out, n, 2);
  out.append(s.data(), n);
}

class Reader {
 public:
  explicit Reader(std::string_view b) : b_(b) {}
  bool Le(uint64_t& v, int bytes) {
    if (b_.size() < static_cast<size_t>(bytes)) return false;
    v = 0;
    for (int i = 0; i < bytes; ++i)
      v |= static_cast<uint64_t>(static_cast<uint8_t>(b_[i])) << (8 * i);
    b_.remove_prefix(static_cast<size_t>(bytes));
    return true;
  }
  bool Lp16(std::string_view& s) {
    uint64_t n = 0;
    if (!Le(n, 2) || b_.size() < n) return false;
    s = b_.substr(0, n);
    b_.remove_prefix(n);
    return true;
  }
  size_t remaining() const { return b_.size(); }

 private:
  std::string_view b_;
};

}  // namespace

std::string_view EventKindName(EventKind kind) {
  switch (kind) {
    case EventKind::kStored:
      return "stored";
    case EventKind::kRemoved:
      return "removed";
    case EventKind::kEvicted:
      return "evicted";
  }
  return "unknown";
}

void EventBatchWriter::Begin(uint64_t epoch, uint64_t first_seq) {
  out_.clear();
  count_ = 0;
  out_.push_back(2);
  out_.push_back(static_cast<char>(kEventBatchType));
  PutLe(out_, epoch, 8);
  PutLe(out_, first_seq, 8);
  PutLe(out_, 0, 4);
}

void EventBatchWriter::Add(EventKind kind, std::string_view key, std::string_view value,
                           std::string_view metadata) {
  out_.push_back(static_cast<char>(kind));
  PutLp16(out_, key);
  if (kind == EventKind::kStored) {
    PutLp16(out_, value);
    PutLp16(out_, metadata);
  }
  ++count_;
}

std::string_view EventBatchWriter::Finish() {
  for (int i = 0; i < 4; ++i)
    out_[kCountOffset + i] = static_cast<char>((count_ >> (8 * i)) & 0xff);
  return out_;
}

Result<EventBatch> DecodeEventBatch(std::string_view bytes) {
  Reader r(bytes);
  uint64_t version = 0, type = 0, count = 0;
  EventBatch batch;
  if (!r.Le(version, 1) || !r.Le(type, 1) || !r.Le(batch.epoch, 8) || !r.Le(batch.first_seq, 8) ||
      !r.Le(count, 4)) {
    return MalformedError("truncated EventBatch header");
  }
  if (version != 2 || type != kEventBatchType) {
    return MalformedError(fmt::format("not an EventBatch (version {}, type {})", version, type));
  }
  // Each event takes at least 3 bytes: no allocation beyond what the frame can hold.
  if (count > r.remaining() / 3) return MalformedError("EventBatch count exceeds the frame");
  batch.events.reserve(static_cast<size_t>(count));
  for (uint64_t i = 0; i < count; ++i) {
    uint64_t kind = 0;
    Event e;
    if (!r.Le(kind, 1) || !r.Lp16(e.key)) return MalformedError("truncated event");
    if (kind > 2) return MalformedError(fmt::format("event kind {} is not defined", kind));
    e.kind = static_cast<EventKind>(kind);
    if (e.kind == EventKind::kStored && (!r.Lp16(e.value) || !r.Lp16(e.metadata))) {
      return MalformedError("truncated stored event");
    }
    batch.events.push_back(e);
  }
  if (r.remaining() != 0) {
    return MalformedError(fmt::format("{} trailing bytes after the EventBatch", r.remaining()));
  }
  return batch;
}

std::string MemberTopic(uint64_t member_id) {
  return fmt::format("{}{:016x}", kMemberTopicPrefix, member_id);
}

Status EncodeMulticastMessage(const MulticastMessage& m, std::string& out) {
  if (m.payload.size() > 0xffff) {
    return InvalidArgumentError(
        fmt::format("a multicast payload of {} bytes exceeds lp16", m.payload.size()));
  }
  out.clear();
  out.push_back(2);
  out.push_back(static_cast<char>(kMulticastMessageType));
  PutLe(out, m.epoch, 8);
  PutLe(out, m.member_id, 8);
  PutLe(out, m.sender, 8);
  PutLp16(out, m.payload);
  return Status::Ok();
}

Result<MulticastMessage> DecodeMulticastMessage(std::string_view bytes) {
  Reader r(bytes);
  uint64_t version = 0, type = 0;
  MulticastMessage m;
  if (!r.Le(version, 1) || !r.Le(type, 1)) return MalformedError("truncated MulticastMessage");
  if (version != 2 || type != kMulticastMessageType) {
    return MalformedError(
        fmt::format("not a MulticastMessage (version {}, type {})", version, type));
  }
  if (!r.Le(m.epoch, 8) || !r.Le(m.member_id, 8) || !r.Le(m.sender, 8) || !r.Lp16(m.payload)) {
    return MalformedError("truncated MulticastMessage");
  }
  if (r.remaining() != 0) {
    return MalformedError(
        fmt::format("{} trailing bytes after the MulticastMessage", r.remaining()));
  }
  return m;
}

}  // namespace blockhub
