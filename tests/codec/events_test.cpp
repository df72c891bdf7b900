// EventBatch (FORMAT.md "Change events"): exact bytes, round trip, strict rejection.
#include "codec/events.h"

#include <doctest/doctest.h>

#include <string>
#include <vector>

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

TEST_CASE("event batch: a reused writer grows past its first buffer and keeps every byte") {
  EventBatchWriter w;
  for (int round = 0; round < 2; ++round) {  // the second round reuses the grown buffer
    w.Begin(9, 1 + round);
    std::vector<std::string> keys, values;
    int declined = 0;
    for (int i = 0; i < 2000; ++i) {
      keys.push_back("key-" + std::to_string(i) + std::string(static_cast<size_t>(i % 40), 'k'));
      values.push_back(std::string(static_cast<size_t>(i % 300), static_cast<char>('a' + i % 26)));
      if (i % 3 == 2) {
        w.Add(EventKind::kRemoved, keys.back());
      } else if (i % 4 == 0) {
        w.Add(EventKind::kStored, keys.back(), values.back(), i % 2 ? "m" : "");
      } else if (!w.TryAddStored(keys.back(), values.back(), i % 2 ? "m" : "")) {
        ++declined;  // the buffer was full or a field longer than kShortField: Add does it
        w.Add(EventKind::kStored, keys.back(), values.back(), i % 2 ? "m" : "");
      }
    }
    CHECK(w.count() == 2000);
    CHECK(declined > 0);
    const std::string bytes(w.Finish());
    CHECK(bytes.size() == w.size());
    auto batch = DecodeEventBatch(bytes);
    REQUIRE(batch.has_value());
    CHECK(batch->first_seq == static_cast<uint64_t>(1 + round));
    REQUIRE(batch->events.size() == 2000);
    for (size_t i = 0; i < 2000; ++i) {
      const Event& e = batch->events[i];
      CHECK(e.key == keys[i]);
      if (i % 3 == 2) {
        CHECK(e.kind == EventKind::kRemoved);
      } else {
        CHECK(e.kind == EventKind::kStored);
        CHECK(e.value == values[i]);
        CHECK(e.metadata == (i % 2 ? "m" : ""));
      }
    }
  }
  // TryAddStored takes fields of up to kShortField bytes, each length from 0 to 32 exactly.
  w.Begin(9, 1);
  const std::string full(EventBatchWriter::kShortField, 'x');
  for (size_t n = 0; n <= full.size(); ++n) {
    CHECK(w.TryAddStored(full.substr(0, n), full.substr(0, n), full.substr(0, n)));
  }
  CHECK_FALSE(w.TryAddStored(full + "y", "", ""));
  CHECK_FALSE(w.TryAddStored("", full + "y", ""));
  CHECK_FALSE(w.TryAddStored("", "", full + "y"));
  auto shorts = DecodeEventBatch(w.Finish());
  REQUIRE(shorts.has_value());
  REQUIRE(shorts->events.size() == full.size() + 1);
  for (size_t n = 0; n <= full.size(); ++n) {
    CHECK(shorts->events[n].kind == EventKind::kStored);
    CHECK(shorts->events[n].key == full.substr(0, n));
    CHECK(shorts->events[n].value == full.substr(0, n));
    CHECK(shorts->events[n].metadata == full.substr(0, n));
  }
  // A field beyond lp16 is cut to 65535 bytes by Add.
  w.Begin(9, 1);
  const std::string big(70'000, 'v');
  CHECK_FALSE(w.TryAddStored("k", big, ""));
  CHECK(w.count() == 0);
  w.Add(EventKind::kStored, "k", big, "");
  auto cut = DecodeEventBatch(w.Finish());
  REQUIRE(cut.has_value());
  REQUIRE(cut->events.size() == 1);
  CHECK(cut->events[0].value.size() == 0xffff);
  // An empty batch is just the header, with count 0.
  w.Begin(9, 5);
  auto empty = DecodeEventBatch(w.Finish());
  REQUIRE(empty.has_value());
  CHECK(empty->first_seq == 5);
  CHECK(empty->events.empty());
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
