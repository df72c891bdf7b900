// The client's local cache: TTL, LRU capacity, invalidation and clears (LocalCache with a
// ManualClock), and the merge of cached and asked keys in CanOffload and Match (against FakeHub,
// which shows exactly what was sent).
#include "client/local_cache.h"

#include <doctest/doctest.h>
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "client/client.h"
#include "codec/codec.h"
#include "common/clock.h"
#include "tests/client/fake_hub.h"

namespace blockhub {
namespace {

using std::chrono::milliseconds;
using testing::FakeHub;
using testing::FakeRequest;

constexpr milliseconds kWait(5000);

TEST_CASE("local cache: a reply older than an invalidation or a clear teaches nothing") {
  ManualClock clock;
  LocalCache cache(100, milliseconds(60'000), clock);
  // The event of a Remove may arrive before the (older) answer that said "stored".
  const uint64_t before = cache.Generation();
  cache.Invalidate("k");
  cache.LearnStored("k", before);
  cache.LearnStored("j", before);  // not invalidated since: learnt
  CHECK_FALSE(cache.KnownStored("k"));
  CHECK(cache.KnownStored("j"));
  cache.LearnStored("k", cache.Generation());  // asked after the invalidation: learnt
  CHECK(cache.KnownStored("k"));

  const uint64_t before_clear = cache.Generation();
  cache.Clear();
  cache.LearnEntry({"m", "v", ""}, before_clear);
  CHECK_FALSE(cache.Entry("m").has_value());

  // Learning off (events not live): nothing; back on: replies to older requests still nothing.
  const uint64_t before_off = cache.Generation();
  cache.SetLearning(false);
  cache.LearnStored("n", cache.Generation());
  CHECK_FALSE(cache.KnownStored("n"));
  cache.SetLearning(true);
  cache.LearnStored("n", before_off);
  CHECK_FALSE(cache.KnownStored("n"));
  cache.LearnStored("n", cache.Generation());
  CHECK(cache.KnownStored("n"));

  // Beyond its memory of recent invalidations a reply is too old to judge: not learnt.
  const uint64_t old = cache.Generation();
  for (size_t i = 0; i <= LocalCache::kRecentInvalidations; ++i) {
    cache.Invalidate(fmt::format("gone-{}", i));
  }
  cache.LearnStored("p", old);
  CHECK_FALSE(cache.KnownStored("p"));
  const uint64_t recent = cache.Generation();
  cache.Invalidate("q");
  cache.LearnStored("p", recent);
  CHECK(cache.KnownStored("p"));
}

TEST_CASE("local cache: an entry is trusted for exactly the TTL, then asked again") {
  ManualClock clock;
  LocalCache cache(10, milliseconds(1000), clock);
  cache.LearnStored("k", cache.Generation());
  clock.Advance(milliseconds(999));
  CHECK(cache.KnownStored("k"));
  clock.Advance(milliseconds(1));  // learnt exactly one TTL ago: no longer trusted
  CHECK_FALSE(cache.KnownStored("k"));
  CHECK_FALSE(cache.KnownStored("k"));  // and it was dropped
  LocalCacheCounters c = cache.counters();
  CHECK(c.hits == 1);
  CHECK(c.misses == 2);
  CHECK(c.expired == 1);
  CHECK(c.size == 0);
  // Learning a key again starts a new TTL; a lookup does not extend it.
  cache.LearnStored("k", cache.Generation());
  clock.Advance(milliseconds(600));
  CHECK(cache.KnownStored("k"));
  cache.LearnStored("k", cache.Generation());
  clock.Advance(milliseconds(600));
  CHECK(cache.KnownStored("k"));
  clock.Advance(milliseconds(400));
  CHECK_FALSE(cache.KnownStored("k"));
}

TEST_CASE("local cache: LRU capacity, entries for Match, invalidation and clear") {
  ManualClock clock;
  LocalCache cache(3, milliseconds(60000), clock);
  cache.LearnEntry({"a", "va", "ma"}, cache.Generation());
  cache.LearnStored("b", cache.Generation());
  cache.LearnStored("c", cache.Generation());
  CHECK(cache.KnownStored("a"));  // a is now the most recently used: b is the LRU victim
  cache.LearnStored("d", cache.Generation());
  CHECK_FALSE(cache.KnownStored("b"));
  CHECK(cache.KnownStored("c"));
  CHECK(cache.KnownStored("d"));
  CHECK(cache.counters().size == 3);
  // Match needs the entry: a key learnt from CanOffload alone is a miss there.
  CHECK(cache.Entry("a") == BlockEntry{"a", "va", "ma"});
  CHECK_FALSE(cache.Entry("c").has_value());
  // Learning only the key keeps a known entry.
  cache.LearnStored("a", cache.Generation());
  CHECK(cache.Entry("a") == BlockEntry{"a", "va", "ma"});
  cache.Invalidate("a");
  cache.Invalidate("never-cached");  // not counted
  CHECK_FALSE(cache.KnownStored("a"));
  CHECK(cache.counters().invalidations == 1);
  cache.Clear();
  CHECK_FALSE(cache.KnownStored("c"));
  CHECK(cache.counters().clears == 1);
  CHECK(cache.counters().size == 0);
}

TEST_CASE("local cache: capacity 0 is off (nothing learnt, nothing counted)") {
  ManualClock clock;
  LocalCache cache(0, milliseconds(1000), clock);
  cache.LearnStored("k", cache.Generation());
  CHECK_FALSE(cache.KnownStored("k"));
  CHECK(cache.counters().misses == 0);
  CHECK(cache.counters().size == 0);
}

ClientOptions CachedOptions(const FakeHub& hub) {
  ClientOptions o;
  o.query_addr = hub.query_endpoint();
  o.register_addr = hub.register_endpoint();
  o.client_id = 0x77;
  o.local_cache_entries = 1000;
  return o;
}

Message DecodeQuery(const FakeRequest& r) {
  auto m = DecodeRequest(r.message, DecodeLimits{}, Channel::kQuery);
  REQUIRE(m.has_value());
  return *m;
}

std::string Key(int i) { return fmt::format("key-{:03}", i); }

TEST_CASE("local cache: a 100-key CanOffload with 37 cached keys sends one request of 63 keys") {
  FakeHub hub;
  auto c = Client::Connect(CachedOptions(hub));
  REQUIRE(c.has_value());
  Client& client = **c;
  // Teach the cache 37 keys spread over the 100 (the first 37 keys i with i % 8 < 3) through an
  // AlreadyStored answer.
  std::vector<std::string> cached_keys;
  for (int i = 0; i < 100; ++i) {
    if (i % 8 < 3 && cached_keys.size() < 37) cached_keys.push_back(Key(i));
  }
  REQUIRE(cached_keys.size() == 37);
  auto teach = client.CanOffloadAsync(cached_keys);
  auto first = hub.WaitRequests(1, kWait);
  REQUIRE(first.size() == 1);
  hub.Reply(first[0], Message{ProtocolVersion::kV2, 0, 9,
                              CanOffloadResponse{30000, std::vector<OffloadStatus>(
                                                            37, OffloadStatus::kAlreadyStored)}});
  REQUIRE(teach.get().has_value());

  std::vector<std::string> keys;
  for (int i = 0; i < 100; ++i) keys.push_back(Key(i));
  auto f = client.CanOffloadAsync(keys);
  auto reqs = hub.WaitRequests(2, kWait);
  REQUIRE(reqs.size() == 2);
  Message m = DecodeQuery(reqs[1]);
  const KeyList& sent = std::get<CanOffload>(m.body).keys;
  std::vector<std::string> expected_sent;
  for (const auto& k : keys) {
    if (std::find(cached_keys.begin(), cached_keys.end(), k) == cached_keys.end())
      expected_sent.push_back(k);
  }
  REQUIRE(sent.size() == 63);
  CHECK(std::vector<std::string>(sent.begin(), sent.end()) == expected_sent);
  // The hub answers the 63 in a pattern: Granted, Leased, AlreadyStored, ...
  std::vector<OffloadStatus> answer;
  for (size_t j = 0; j < 63; ++j) answer.push_back(static_cast<OffloadStatus>(j % 3));
  hub.Reply(reqs[1], Message{ProtocolVersion::kV2, 0, 9, CanOffloadResponse{30000, answer}});
  auto r = f.get();
  REQUIRE(r.has_value());
  REQUIRE(r->statuses.size() == 100);
  size_t j = 0;
  for (int i = 0; i < 100; ++i) {
    const bool from_cache =
        std::find(cached_keys.begin(), cached_keys.end(), keys[i]) != cached_keys.end();
    CHECK(r->statuses[i] == (from_cache ? OffloadStatus::kAlreadyStored : answer[j++]));
  }
  CHECK(r->lease_ttl_ms == 30000);
  CHECK(r->granted.size() == 21);
  CHECK(r->leased.size() == 21);
  CHECK(r->already_stored.size() == 37 + 21);
  ClientCounters counters = client.counters();
  CHECK(counters.cache_hits == 37);
  CHECK(counters.cache_misses == 37 + 63);  // the 37 missed once while being taught
  CHECK(counters.requests_sent == 2);
  // The 21 new AlreadyStored answers were learnt: all 58 cached keys are answered locally.
  std::vector<std::string> stored(r->already_stored.begin(), r->already_stored.end());
  auto local = client.CanOffload(stored);
  REQUIRE(local.has_value());
  CHECK(local->already_stored == stored);
  CHECK(client.counters().requests_sent == 2);
}

TEST_CASE("local cache: Match merges cached entries and asked keys in request order") {
  FakeHub hub;
  auto c = Client::Connect(CachedOptions(hub));
  REQUIRE(c.has_value());
  Client& client = **c;
  // Teach a and c (with entries) through a Match.
  std::vector<std::string> teach_keys = {"a", "c"};
  auto teach = client.MatchAsync(teach_keys);
  auto first = hub.WaitRequests(1, kWait);
  REQUIRE(first.size() == 1);
  hub.Reply(first[0], Message{ProtocolVersion::kV2, 0, 9,
                              MatchResponse{{{"a", "va", "ma"}, {"c", "vc", ""}}}});
  REQUIRE(teach.get().has_value());
  // [a, b, c, d, a]: b and d asked; the hub has d only.
  std::vector<std::string> keys = {"a", "b", "c", "d", "a"};
  auto f = client.MatchAsync(keys);
  auto reqs = hub.WaitRequests(2, kWait);
  REQUIRE(reqs.size() == 2);
  Message m = DecodeQuery(reqs[1]);
  const KeyList& sent = std::get<Match>(m.body).keys;
  CHECK(std::vector<std::string>(sent.begin(), sent.end()) == std::vector<std::string>{"b", "d"});
  hub.Reply(reqs[1], Message{ProtocolVersion::kV2, 0, 9, MatchResponse{{{"d", "vd", "md"}}}});
  auto r = f.get();
  REQUIRE(r.has_value());
  CHECK(*r == std::vector<BlockEntry>{
                  {"a", "va", "ma"}, {"c", "vc", ""}, {"d", "vd", "md"}, {"a", "va", "ma"}});
  // Every entry is now cached: no request.
  std::vector<std::string> again = {"d", "c"};
  auto local = client.Match(again);
  REQUIRE(local.has_value());
  CHECK(*local == std::vector<BlockEntry>{{"d", "vd", "md"}, {"c", "vc", ""}});
  CHECK(client.counters().requests_sent == 2);
}

TEST_CASE("local cache: a new hub epoch clears it, and the cache never answers Granted") {
  FakeHub hub;
  auto c = Client::Connect(CachedOptions(hub));
  REQUIRE(c.has_value());
  Client& client = **c;
  std::vector<std::string> k = {"k"}, other = {"other"};
  auto f1 = client.CanOffloadAsync(k);
  auto reqs = hub.WaitRequests(1, kWait);
  REQUIRE(reqs.size() == 1);
  hub.Reply(reqs[0], Message{ProtocolVersion::kV2, 0, 9,
                             CanOffloadResponse{30000, {OffloadStatus::kAlreadyStored}}});
  REQUIRE(f1.get().has_value());
  CHECK(client.CanOffload(k)->already_stored == k);  // from the cache
  CHECK(client.counters().requests_sent == 1);
  // Any reply from a new epoch (the hub restarted, its catalog may differ) clears the cache.
  auto f2 = client.CanOffloadAsync(other);
  reqs = hub.WaitRequests(2, kWait);
  REQUIRE(reqs.size() == 2);
  hub.Reply(reqs[1], Message{ProtocolVersion::kV2, 0, 10,
                             CanOffloadResponse{30000, {OffloadStatus::kGranted}}});
  REQUIRE(f2.get()->granted == other);
  CHECK(client.counters().cache_clears == 1);
  auto f3 = client.CanOffloadAsync(k);
  reqs = hub.WaitRequests(3, kWait);
  REQUIRE(reqs.size() == 3);
  hub.Reply(reqs[2], Message{ProtocolVersion::kV2, 0, 10,
                             CanOffloadResponse{30000, {OffloadStatus::kGranted}}});
  CHECK(f3.get()->granted == k);
  // Granted keys are not remembered: asked again.
  auto f4 = client.CanOffloadAsync(k);
  CHECK(hub.WaitRequests(4, kWait).size() == 4);
}

TEST_CASE("local cache: a long chain of requests answered locally keeps a flat stack") {
  FakeHub hub;
  auto c = Client::Connect(CachedOptions(hub));
  REQUIRE(c.has_value());
  Client& client = **c;
  std::vector<std::string> k = {"hot"};
  auto teach = client.CanOffloadAsync(k);
  auto reqs = hub.WaitRequests(1, kWait);
  REQUIRE(reqs.size() == 1);
  hub.Reply(reqs[0], Message{ProtocolVersion::kV2, 0, 9,
                             CanOffloadResponse{30000, {OffloadStatus::kAlreadyStored}}});
  REQUIRE(teach.get().has_value());
  // Each completion sends the next request, every one answered by the cache before the call
  // returns: 200,000 of them would overflow the stack if each completion ran inside the last.
  constexpr int kChain = 200000;
  int done = 0;
  std::function<void()> next = [&] {
    client.CanOffloadStatusesThen(k, [&](Result<CanOffloadStatuses> r) {
      REQUIRE(r.has_value());
      if (++done < kChain) next();
    });
  };
  next();
  CHECK(done == kChain);
  CHECK(client.counters().cache_hits == kChain);
  CHECK(client.counters().requests_sent == 1);
}

}  // namespace
}  // namespace blockhub
