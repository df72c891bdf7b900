#include "client/batcher.h"

#include <algorithm>
#include <utility>

namespace blockhub {

Batcher::Batcher(size_t batch_size, Duration batch_timeout)
    : batch_size_(std::max<size_t>(batch_size, 1)), batch_timeout_(batch_timeout) {}

bool Batcher::Add(BlockEntry entry, TimePoint now) {
  entries_.push_back({std::move(entry), now});
  return entries_.size() == batch_size_;
}

bool Batcher::Due(TimePoint now) const {
  if (entries_.empty()) return false;
  return entries_.size() >= batch_size_ || now >= *NextDeadline();
}

std::optional<TimePoint> Batcher::NextDeadline() const {
  if (entries_.empty()) return std::nullopt;
  return entries_.front().added + batch_timeout_;
}

std::vector<BlockEntry> Batcher::TakeBatch() {
  size_t n = std::min(batch_size_, entries_.size());
  std::vector<BlockEntry> batch;
  batch.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    batch.push_back(std::move(entries_.front().entry));
    entries_.pop_front();
  }
  return batch;
}

}  // namespace blockhub
