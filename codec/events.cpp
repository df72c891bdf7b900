#include "codec/events.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>

namespace blockhub {
namespace {

// version:u8 ‖ type:u8 ‖ epoch:u64 ‖ first_seq:u64 ‖ count:u32
constexpr size_t kCountOffset = 1 + 1 + 8 + 8;
constexpr size_t kHeaderBytes = kCountOffset + 4;

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

}  // namespace blockhub
