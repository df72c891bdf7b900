// `blockhub watch`'s pure parts without ZeroMQ: the SequenceTracker fed with decoded EventBatch
// frames (in order, a gap, count-0 sync batches, a new epoch, a rewind) and the --type/--prefix
// parsers and filter.
#include "tools/cli/watch_tracker.h"

#include <doctest/doctest.h>

#include <string>

namespace blockhub::cli {
namespace {

// Encodes and decodes a real batch, so the tracker sees what the watch loop sees.
SequenceStep Feed(SequenceTracker& t, uint64_t epoch, uint64_t first_seq, int count) {
  EventBatchWriter w;
  w.Begin(epoch, first_seq);
  for (int i = 0; i < count; ++i) w.Add(EventKind::kRemoved, "k" + std::to_string(i));
  const std::string bytes(w.Finish());
  auto decoded = DecodeEventBatch(bytes);
  REQUIRE(decoded.has_value());
  REQUIRE(decoded->events.size() == static_cast<size_t>(count));
  return t.Observe(*decoded);
}

bool Quiet(const SequenceStep& s) { return !s.gap && !s.new_epoch && !s.rewind; }

TEST_CASE("watch tracker: the first batch is never a gap, consecutive batches are quiet") {
  SequenceTracker t;
  CHECK_FALSE(t.started());
  CHECK(Quiet(Feed(t, 7, 500, 3)));  // joined late: 499 events before it are not a gap
  CHECK(t.started());
  CHECK(t.epoch() == 7);
  CHECK(t.expected() == 503);
  CHECK(Quiet(Feed(t, 7, 503, 1)));
  CHECK(Quiet(Feed(t, 7, 504, 10)));
  CHECK(t.expected() == 514);
  CHECK(t.lost_total() == 0);
}

TEST_CASE("watch tracker: a larger first_seq is a gap of exactly the missing sequence numbers") {
  SequenceTracker t;
  Feed(t, 7, 1, 2);                   // 1, 2
  SequenceStep s = Feed(t, 7, 6, 1);  // 3, 4, 5 lost
  CHECK(s.gap);
  CHECK_FALSE(s.new_epoch);
  CHECK(s.expected == 3);
  CHECK(s.got == 6);
  CHECK(s.lost == 3);
  CHECK(t.expected() == 7);
  CHECK(Quiet(Feed(t, 7, 7, 1)));
  CHECK(Feed(t, 7, 9, 1).lost == 1);
  CHECK(t.lost_total() == 4);
}

TEST_CASE("watch tracker: count-0 (sync) batches carry the next sequence and reveal gaps") {
  SequenceTracker t;
  Feed(t, 7, 1, 3);                // 1..3; next is 4
  CHECK(Quiet(Feed(t, 7, 4, 0)));  // heartbeat: nothing happened
  CHECK(t.expected() == 4);
  CHECK(Quiet(Feed(t, 7, 4, 0)));     // still nothing
  SequenceStep s = Feed(t, 7, 9, 0);  // the hub used 4..8 and we saw none of them
  CHECK(s.gap);
  CHECK(s.expected == 4);
  CHECK(s.got == 9);
  CHECK(s.lost == 5);
  CHECK(t.expected() == 9);
  CHECK(Quiet(Feed(t, 7, 9, 2)));  // and the next real batch follows the sync batch's number

  SequenceTracker fresh;  // a sync batch first: no gap, and it sets the expectation
  CHECK(Quiet(Feed(fresh, 3, 42, 0)));
  CHECK(fresh.expected() == 42);
  CHECK(Feed(fresh, 3, 43, 1).lost == 1);
}

TEST_CASE("watch tracker: a new epoch restarts the numbering at 1") {
  SequenceTracker t;
  Feed(t, 7, 1, 5);
  SequenceStep restart = Feed(t, 8, 1, 2);  // restarted hub, nothing lost
  CHECK(restart.new_epoch);
  CHECK(restart.previous_epoch == 7);
  CHECK_FALSE(restart.gap);
  CHECK(t.epoch() == 8);
  CHECK(t.expected() == 3);

  SequenceStep late = Feed(t, 9, 4, 1);  // another restart, its events 1..3 never seen
  CHECK(late.new_epoch);
  CHECK(late.previous_epoch == 8);
  CHECK(late.gap);
  CHECK(late.expected == 1);
  CHECK(late.got == 4);
  CHECK(late.lost == 3);

  SequenceStep sync = Feed(t, 10, 1, 0);  // a restarted hub's first sync batch: seq 1 next
  CHECK(sync.new_epoch);
  CHECK_FALSE(sync.gap);
}

TEST_CASE("watch tracker: a smaller first_seq in the same epoch resynchronises (rewind)") {
  SequenceTracker t;
  Feed(t, 7, 1, 10);
  SequenceStep s = Feed(t, 7, 5, 2);
  CHECK(s.rewind);
  CHECK_FALSE(s.gap);
  CHECK(s.expected == 11);
  CHECK(s.got == 5);
  CHECK(t.expected() == 7);
  CHECK(Quiet(Feed(t, 7, 7, 1)));
}

TEST_CASE("watch: --type parses a comma list of the three words, and only those") {
  auto all = ParseEventTypes("stored,removed,evicted");
  REQUIRE(all.has_value());
  CHECK(*all == kAllKinds);
  auto two = ParseEventTypes("evicted,stored,evicted");
  REQUIRE(two.has_value());
  CHECK(*two == (KindBit(EventKind::kStored) | KindBit(EventKind::kEvicted)));
  auto bad = ParseEventTypes("stored,deleted");
  REQUIRE_FALSE(bad.has_value());
  CHECK(bad.error().code() == StatusCode::kInvalidArgument);
  CHECK(bad.error().message().find("'deleted'") != std::string::npos);
  for (const char* text : {"", ",", "stored,", ",stored", "stored,,removed", "Stored", " stored"}) {
    CAPTURE(text);
    CHECK_FALSE(ParseEventTypes(text).has_value());
  }
}

TEST_CASE("watch: --prefix is hex bytes, and the filter matches kinds and key prefixes") {
  auto p = ParseKeyPrefix("0a0B");
  REQUIRE(p.has_value());
  CHECK(*p == std::string("\x0a\x0b", 2));
  CHECK(ParseKeyPrefix("0x01").value() == std::string("\x01", 1));
  for (const char* text : {"", "0x", "abc", "zz", "0a 0b"}) {
    CAPTURE(text);
    auto bad = ParseKeyPrefix(text);
    REQUIRE_FALSE(bad.has_value());
    CHECK(bad.error().code() == StatusCode::kInvalidArgument);
  }

  EventFilter f;
  f.kinds = KindBit(EventKind::kStored) | KindBit(EventKind::kEvicted);
  f.key_prefix = std::string("\x0a\x0b", 2);
  CHECK(f.Matches({EventKind::kStored, std::string_view("\x0a\x0b\x0c", 3), {}, {}}));
  CHECK(f.Matches({EventKind::kEvicted, std::string_view("\x0a\x0b", 2), {}, {}}));
  CHECK_FALSE(f.Matches({EventKind::kRemoved, std::string_view("\x0a\x0b\x0c", 3), {}, {}}));
  CHECK_FALSE(f.Matches({EventKind::kStored, std::string_view("\x0a", 1), {}, {}}));
  CHECK_FALSE(f.Matches({EventKind::kStored, std::string_view("\x0b\x0a", 2), {}, {}}));
  CHECK(EventFilter{}.Matches({EventKind::kRemoved, "anything", {}, {}}));
}

}  // namespace
}  // namespace blockhub::cli
