#include "codec/events.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>

namespace blockhub {
namespace {

// version:u8 ‖ type:u8 ‖ epoch:u64 ‖ first_seq:u64 ‖ count:u32
constexpr size_t kCountOffset = 1 + 1 + 8 + 8;
constexpr size_t kHeaderBytes = kCountOffset + 4;

uint64_t LoadLe64(const unsigned char* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

uint32_t LoadLe32(const unsigned char* p) {
  return static_cast<uint32_t>(p[0]) | (static_cast<uint32_t>(p[1]) << 8) |
         (static_cast<uint32_t>(p[2]) << 16) | (static_cast<uint32_t>(p[3]) << 24);
}

// The MulticastMessage's writer and reader (not on a per-event path).
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
  size_ = 0;
  count_ = 0;
  if (capacity_ - size_ < kHeaderBytes) Grow(kHeaderBytes);
  char* p = buffer_.get();
  p[0] = 2;
  p[1] = static_cast<char>(kEventBatchType);
  for (int i = 0; i < 8; ++i) p[2 + i] = static_cast<char>((epoch >> (8 * i)) & 0xff);
  for (int i = 0; i < 8; ++i) p[10 + i] = static_cast<char>((first_seq >> (8 * i)) & 0xff);
  for (int i = 0; i < 4; ++i) p[kCountOffset + i] = 0;
  size_ = kHeaderBytes;
}

void EventBatchWriter::Grow(size_t more) {
  const size_t want = std::max({capacity_ * 2, size_ + more, size_t{4096}});
  std::unique_ptr<char[]> bigger(new char[want]);
  if (size_ != 0) std::memcpy(bigger.get(), buffer_.get(), size_);
  buffer_ = std::move(bigger);
  capacity_ = want;
}

std::string_view EventBatchWriter::Finish() {
  for (int i = 0; i < 4; ++i)
    buffer_[kCountOffset + i] = static_cast<char>((count_ >> (8 * i)) & 0xff);
  return {buffer_.get(), size_};
}

Result<EventBatch> DecodeEventBatch(std::string_view bytes) {
  // One pass with direct loads (a subscriber decodes every event the hub publishes).
  if (bytes.size() < kHeaderBytes) return MalformedError("truncated EventBatch header");
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
  const unsigned char* const end = p + bytes.size();
  if (p[0] != 2 || p[1] != kEventBatchType) {
    return MalformedError(
        fmt::format("not an EventBatch (version {}, type {})", unsigned{p[0]}, unsigned{p[1]}));
  }
  EventBatch batch;
  batch.epoch = LoadLe64(p + 2);
  batch.first_seq = LoadLe64(p + 10);
  const uint64_t count = LoadLe32(p + kCountOffset);
  p += kHeaderBytes;
  // Each event takes at least 3 bytes: no allocation beyond what the frame can hold.
  if (count > static_cast<size_t>(end - p) / 3) {
    return MalformedError("EventBatch count exceeds the frame");
  }
  batch.events.resize(static_cast<size_t>(count));
  const auto lp16 = [&](std::string_view& out) {
    if (end - p < 2) return false;
    const size_t n = static_cast<size_t>(p[0]) | (static_cast<size_t>(p[1]) << 8);
    p += 2;
    if (static_cast<size_t>(end - p) < n) return false;
    out = {reinterpret_cast<const char*>(p), n};
    p += n;
    return true;
  };
  for (Event& e : batch.events) {
    if (p == end) return MalformedError("truncated event");
    const unsigned kind = *p++;
    if (!lp16(e.key)) return MalformedError("truncated event");
    if (kind > 2) return MalformedError(fmt::format("event kind {} is not defined", kind));
    e.kind = static_cast<EventKind>(kind);
    if (e.kind == EventKind::kStored && (!lp16(e.value) || !lp16(e.metadata))) {
      return MalformedError("truncated stored event");
    }
  }
  if (p != end) {
    return MalformedError(fmt::format("{} trailing bytes after the EventBatch", end - p));
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
