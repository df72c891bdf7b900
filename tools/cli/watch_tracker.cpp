#include "tools/cli/watch_tracker.h"

#include <fmt/format.h>

#include "common/bytes.h"

namespace blockhub::cli {

SequenceStep SequenceTracker::Observe(uint64_t epoch, uint64_t first_seq, uint64_t count) {
  SequenceStep step;
  if (started_) {
    uint64_t expected = expected_;
    if (epoch != epoch_) {
      step.new_epoch = true;
      step.previous_epoch = epoch_;
      expected = 1;  // a new epoch numbers its events from 1 again
    }
    if (first_seq > expected) {
      step.gap = true;
      step.expected = expected;
      step.got = first_seq;
      step.lost = first_seq - expected;
      lost_total_ += step.lost;
    } else if (first_seq < expected && !step.new_epoch) {
      step.rewind = true;
      step.expected = expected;
      step.got = first_seq;
    }
  }
  started_ = true;
  epoch_ = epoch;
  expected_ = first_seq + count;
  return step;
}

Result<uint8_t> ParseEventTypes(std::string_view text) {
  const std::string_view all = text;
  uint8_t mask = 0;
  for (;;) {
    const size_t comma = text.find(',');
    const std::string_view word = text.substr(0, comma);
    if (word == EventKindName(EventKind::kStored)) {
      mask |= KindBit(EventKind::kStored);
    } else if (word == EventKindName(EventKind::kRemoved)) {
      mask |= KindBit(EventKind::kRemoved);
    } else if (word == EventKindName(EventKind::kEvicted)) {
      mask |= KindBit(EventKind::kEvicted);
    } else if (word.empty()) {
      return InvalidArgumentError(fmt::format(
          "--type '{}': an empty event type (use a comma list of stored, removed, evicted)", all));
    } else {
      return InvalidArgumentError(fmt::format(
          "--type: unknown event type '{}' (use a comma list of stored, removed, evicted)", word));
    }
    if (comma == std::string_view::npos) break;
    text.remove_prefix(comma + 1);
    if (text.empty()) {
      return InvalidArgumentError(fmt::format(
          "--type '{}': an empty event type (use a comma list of stored, removed, evicted)", all));
    }
  }
  return mask;
}

Result<std::string> ParseKeyPrefix(std::string_view text) {
  std::string_view hex = text;
  if (hex.starts_with("0x") || hex.starts_with("0X")) hex.remove_prefix(2);
  std::string out;
  if (hex.empty() || !FromHex(hex, out)) {
    return InvalidArgumentError(fmt::format(
        "--prefix '{}': not hex bytes (the leading key bytes, e.g. 0a0b; at least one byte)",
        text));
  }
  return out;
}

}  // namespace blockhub::cli
