// `blockhub watch`'s pure parts: the sequence tracker that finds gaps and epoch changes in the
// hub's EventBatch stream (codec/FORMAT.md "Change events"), and the --type / --prefix filter.
// No ZeroMQ, no I/O: fed with decoded batches, so it is unit-tested without a hub.
//
// Not thread-safe; one owner (the watch loop).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "codec/events.h"
#include "common/status.h"

namespace blockhub::cli {

// What one batch told the tracker, beyond its events.
struct SequenceStep {
  // The batch's epoch differs from the previous batch's (never set for the first batch seen).
  bool new_epoch = false;
  uint64_t previous_epoch = 0;
  // Events were lost before this batch: `lost` = got - expected sequence numbers never seen.
  // After a new epoch `expected` is 1 (the first event of an epoch). Never set for the first
  // batch seen.
  bool gap = false;
  uint64_t expected = 0;
  uint64_t got = 0;
  uint64_t lost = 0;
  // Same epoch, but first_seq is below the expected sequence (a duplicate or a hub that reused
  // its epoch): the tracker resynchronises on this batch.
  bool rewind = false;
};

// Tracks the hub's epoch and the next expected sequence number. Batches with no events (the
// hub's heartbeat / sync batches) are valid: their first_seq is the next sequence the hub will
// use, so they advance (and can reveal) gaps like any other batch.
class SequenceTracker {
 public:
  SequenceStep Observe(uint64_t epoch, uint64_t first_seq, uint64_t count);
  SequenceStep Observe(const EventBatch& batch) {
    return Observe(batch.epoch, batch.first_seq, batch.events.size());
  }

  bool started() const { return started_; }
  uint64_t epoch() const { return epoch_; }
  // The sequence number the next batch should start with (valid once started()).
  uint64_t expected() const { return expected_; }
  // Sum of `lost` over every gap seen.
  uint64_t lost_total() const { return lost_total_; }

 private:
  bool started_ = false;
  uint64_t epoch_ = 0;
  uint64_t expected_ = 0;
  uint64_t lost_total_ = 0;
};

// Bit per EventKind.
inline constexpr uint8_t KindBit(EventKind k) {
  return static_cast<uint8_t>(1u << static_cast<int>(k));
}
inline constexpr uint8_t kAllKinds =
    KindBit(EventKind::kStored) | KindBit(EventKind::kRemoved) | KindBit(EventKind::kEvicted);

// "stored,removed,evicted" (any non-empty subset, any order, repeats allowed) -> KindBit mask.
// InvalidArgument naming the unknown or empty word otherwise.
Result<uint8_t> ParseEventTypes(std::string_view text);
// Hex bytes (optional 0x, at least one byte) -> the key prefix. InvalidArgument otherwise.
Result<std::string> ParseKeyPrefix(std::string_view text);

// The local filter: which events are printed. Gap and epoch lines are never filtered.
struct EventFilter {
  uint8_t kinds = kAllKinds;
  std::string key_prefix;  // raw key bytes; empty = every key

  bool Matches(const Event& e) const {
    return (kinds & KindBit(e.kind)) != 0 && e.key.starts_with(key_prefix);
  }
};

}  // namespace blockhub::cli
