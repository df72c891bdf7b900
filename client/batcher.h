// Batcher: the client's pure flush policy for fire-and-forget registrations. Entries accumulate in
// arrival order; a batch is due when it holds batch_size entries or when its oldest entry has
// waited batch_timeout. No I/O, no threads, no clock of its own: callers pass `now` (tests use a
// ManualClock).
//
// Owned by the Client (under its registration mutex); not thread-safe by itself.
#pragma once

#include <cstddef>
#include <deque>
#include <optional>
#include <vector>

#include "client/block_entry.h"
#include "common/clock.h"

namespace blockhub {

class Batcher {
 public:
  Batcher(size_t batch_size, Duration batch_timeout);

  // Appends one entry, stamped `now`. Returns true when this made a full batch pending (the caller
  // should wake the flusher).
  bool Add(BlockEntry entry, TimePoint now);

  // True when a batch should be sent now: a full batch is pending, or the oldest entry is at least
  // batch_timeout old.
  bool Due(TimePoint now) const;
  // When the oldest pending entry becomes due by age; nullopt when empty.
  std::optional<TimePoint> NextDeadline() const;

  // Removes and returns the oldest min(batch_size, pending) entries (in arrival order).
  std::vector<BlockEntry> TakeBatch();

  size_t pending() const { return entries_.size(); }
  bool empty() const { return entries_.empty(); }
  size_t batch_size() const { return batch_size_; }

 private:
  struct Stamped {
    BlockEntry entry;
    TimePoint added;
  };
  size_t batch_size_;
  Duration batch_timeout_;
  std::deque<Stamped> entries_;
};

}  // namespace blockhub
