// EventBatch (FORMAT.md "Change events"): exact bytes, round trip, strict rejection.
#include "codec/events.h"

#include <doctest/doctest.h>

#include <string>

namespace blockhub::testing {
namespace {

TEST_CASE("event batch: exact bytes of one stored and one removed event") {
  EventBatchWriter w;
  w.Begin(0x0102030405060708ULL, 7);
  w.Add(EventKind::kStored, "k", "vv", "");
  w.Add(EventKind::kRemoved, "z");
  const std::string want(
      "\x02\x28"
      "\x08\x07\x06\x05\x04\x03\x02\x01"
      "\x07\x00\x00\x00\x00\x00\x00\x00"
      "\x02\x00\x00\x00"
      "\x00\x01\x00k\x02\x00vv\x00\x00"
      "\x01\x01\x00z",
      2 + 8 + 8 + 4 + 10 + 4);
  CHECK(std::string(w.Finish()) == want);
}

TEST_CASE("event batch: round trip keeps order, kinds and sequence base") {
  EventBatchWriter w;
  w.Begin(42, 100);
  w.Add(EventKind::kStored, "a", "value", "meta");
  w.Add(EventKind::kEvicted, "b");
  w.Add(EventKind::kRemoved, "c");
  const std::string bytes(w.Finish());
  auto batch = DecodeEventBatch(bytes);
  REQUIRE(batch.has_value());
  CHECK(batch->epoch == 42);
  CHECK(batch->first_seq == 100);
  REQUIRE(batch->events.size() == 3);
  CHECK(batch->events[0].kind == EventKind::kStored);
  CHECK(batch->events[0].key == "a");
  CHECK(batch->events[0].value == "value");
  CHECK(batch->events[0].metadata == "meta");
  CHECK(batch->events[1].kind == EventKind::kEvicted);
  CHECK(batch->events[1].key == "b");
  CHECK(batch->events[2].kind == EventKind::kRemoved);
  CHECK(batch->events[2].key == "c");
  CHECK(EventKindName(EventKind::kEvicted) == "evicted");
}

TEST_CASE("event batch: truncation, trailing bytes, bad kind and wrong type are malformed") {
  EventBatchWriter w;
  w.Begin(1, 1);
  w.Add(EventKind::kStored, "key", "v", "m");
  const std::string good(w.Finish());
  for (size_t n = 0; n < good.size(); ++n) {
    CHECK_FALSE(DecodeEventBatch(std::string_view(good).substr(0, n)).has_value());
  }
  CHECK_FALSE(DecodeEventBatch(good + "x").has_value());
  std::string bad_kind = good;
  bad_kind[22] = 3;
  CHECK_FALSE(DecodeEventBatch(bad_kind).has_value());
  std::string bad_type = good;
  bad_type[1] = 41;
  CHECK_FALSE(DecodeEventBatch(bad_type).has_value());
  std::string huge_count = good;
  huge_count[21] = '\x7f';
  CHECK_FALSE(DecodeEventBatch(huge_count).has_value());
}

}  // namespace
}  // namespace blockhub::testing
