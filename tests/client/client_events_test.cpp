// The client's local cache following the real hub's change events (blockhubd --events-addr):
// a Remove or an eviction elsewhere reaches the cache, a hub restart and a sequence gap clear it.
// Every wait is on a counter with a bounded deadline; no sleeps.
#include <doctest/doctest.h>
#include <fmt/format.h>

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "client/client.h"
#include "tests/support/hub_process.h"

namespace blockhub {
namespace {

using std::chrono::milliseconds;
using testing::HubProcess;
using Keys = std::vector<std::string>;

HubProcess StartHub(std::vector<std::string> args = {}) {
  args.insert(args.end(), {"--events-addr", "tcp://127.0.0.1:*"});
  auto hub = HubProcess::Start(testing::HubArgs(std::move(args)));
  REQUIRE_MESSAGE(hub.has_value(), hub.error().ToString());
  REQUIRE_FALSE(hub->events_endpoint().empty());
  return std::move(*hub);
}

std::unique_ptr<Client> Connect(const std::string& query, const std::string& reg,
                                uint64_t client_id, size_t cache_entries = 0,
                                std::string events_addr = {}) {
  ClientOptions o;
  o.query_addr = query;
  o.register_addr = reg;
  o.client_id = client_id;
  o.request_timeout = milliseconds(2000);
  o.local_cache_entries = cache_entries;
  o.events_addr = std::move(events_addr);
  auto c = Client::Connect(std::move(o));
  REQUIRE_MESSAGE(c.has_value(), c.error().ToString());
  return std::move(*c);
}

std::unique_ptr<Client> Writer(const HubProcess& hub, uint64_t id) {
  return Connect(hub.query_endpoint(), hub.register_endpoint(), id);
}

// A client with a 1,000-key cache following `hub`'s events, once its stream is live.
std::unique_ptr<Client> CachingReader(const HubProcess& hub, uint64_t id) {
  auto c = Connect(hub.query_endpoint(), hub.register_endpoint(), id, 1000,
                   hub.events_endpoint());
  return c;
}

bool WaitFor(const std::function<bool()>& done, milliseconds limit = milliseconds(10'000)) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    if (done()) return true;
    std::this_thread::yield();
  }
  return done();
}

bool Live(Client& c) {
  return WaitFor([&] { return c.counters().events_live; });
}

void RegisterSync(Client& c, const Keys& keys, const std::string& value = "v") {
  std::vector<BlockEntry> entries;
  for (const auto& k : keys) entries.push_back({k, value, ""});
  auto r = c.RegisterSync(entries);
  REQUIRE_MESSAGE(r.has_value(), r.error().ToString());
  for (auto s : *r) REQUIRE(s == RegisterStatus::kStored);
}

OffloadStatus AskOne(Client& c, const std::string& key) {
  auto r = c.CanOffload(Keys{key});
  REQUIRE_MESSAGE(r.has_value(), r.error().ToString());
  REQUIRE(r->statuses.size() == 1);
  return r->statuses[0];
}

// B learns `key` as stored, and its next ask is answered by the cache (no request sent).
void CacheIt(Client& b, const std::string& key) {
  REQUIRE(AskOne(b, key) == OffloadStatus::kAlreadyStored);
  const ClientCounters before = b.counters();
  REQUIRE(AskOne(b, key) == OffloadStatus::kAlreadyStored);
  const ClientCounters after = b.counters();
  REQUIRE(after.requests_sent == before.requests_sent);
  REQUIRE(after.cache_hits == before.cache_hits + 1);
}

// A hub with events, writer A and B (cache on, following the events, live).
struct Pair {
  HubProcess hub;
  std::unique_ptr<Client> a;
  std::unique_ptr<Client> b;
};

Pair StartPair(std::vector<std::string> hub_args = {}) {
  Pair p{StartHub(std::move(hub_args)), nullptr, nullptr};
  p.a = Writer(p.hub, 1);
  p.b = CachingReader(p.hub, 2);
  REQUIRE(Live(*p.b));
  return p;
}

uint64_t HubStat(Client& c, std::string_view name) {
  auto s = c.Stats();
  REQUIRE(s.has_value());
  for (const auto& [k, v] : *s) {
    if (k == name) return v;
  }
  return UINT64_MAX;
}

TEST_CASE("client events: a Remove by another client reaches the cache, the next ask is Granted") {
  auto [hub, a, b] = StartPair();
  RegisterSync(*a, {"k", "other"});
  CacheIt(*b, "k");
  CacheIt(*b, "other");
  auto removed = a->Remove(Keys{"k"});
  REQUIRE(removed.has_value());
  REQUIRE(*removed == 1);
  CHECK(WaitFor([&] { return b->counters().cache_invalidations >= 1; }));
  const uint64_t sent = b->counters().requests_sent;
  CHECK(AskOne(*b, "k") == OffloadStatus::kGranted);  // asked of the hub, not the cache
  CHECK(b->counters().requests_sent == sent + 1);
  CHECK(AskOne(*b, "other") == OffloadStatus::kAlreadyStored);  // still cached
  CHECK(b->counters().requests_sent == sent + 1);
  CHECK(b->counters().events_gaps == 0);
  CHECK(b->counters().events_received >= 3);  // stored k, stored other, removed k
}

TEST_CASE("client events: an eviction by capacity reaches the cache") {
  auto [hub, a, b] = StartPair({"--capacity", "4"});
  RegisterSync(*a, {"k0"});
  CacheIt(*b, "k0");
  RegisterSync(*a, {"k1", "k2", "k3", "k4", "k5", "k6", "k7"});  // pushes k0 out
  CHECK(WaitFor([&] { return b->counters().cache_invalidations >= 1; }));
  const uint64_t sent = b->counters().requests_sent;
  CHECK(AskOne(*b, "k0") == OffloadStatus::kGranted);
  CHECK(b->counters().requests_sent == sent + 1);
}

TEST_CASE("client events: a hub restart (new epoch) clears the cache") {
  std::string query, reg, events;
  HubProcess hub = StartHub();
  query = hub.query_endpoint();
  reg = hub.register_endpoint();
  events = hub.events_endpoint();
  auto a = Writer(hub, 1);
  auto b = Connect(query, reg, 2, 1000, events);
  REQUIRE(Live(*b));
  RegisterSync(*a, {"k"});
  CacheIt(*b, "k");
  hub.Kill();
  // The same endpoints, a fresh (empty) catalog and a new epoch.
  auto back = HubProcess::Start(testing::HubArgs(
      {"--query-addr", query, "--register-addr", reg, "--events-addr", events}));
  REQUIRE_MESSAGE(back.has_value(), back.error().ToString());
  // The broken event connection clears the cache; the new hub's sync batch makes it live again.
  CHECK(WaitFor([&] { return b->counters().cache_clears >= 1; }));
  CHECK(WaitFor([&] { return b->counters().events_lost >= 1 && b->counters().events_live; }));
  CHECK(b->counters().cache_entries == 0);
  Result<CanOffloadResult> r = TimeoutError("not tried");
  for (int attempt = 0; attempt < 10 && !r.has_value(); ++attempt) r = b->CanOffload(Keys{"k"});
  REQUIRE_MESSAGE(r.has_value(), r.error().ToString());
  CHECK(r->statuses[0] == OffloadStatus::kGranted);
}

TEST_CASE("client events: a sequence gap (batches dropped at a tiny HWM) clears the cache") {
  auto [hub, a, b] = StartPair({"--events-hwm", "1"});
  RegisterSync(*a, {"k"});
  CacheIt(*b, "k");
  // Big registrations: one loop iteration publishes many 256 KiB batches, more than a queue of
  // one can take, so the hub drops some (counted) and the subscriber sees the gap.
  const std::string value(4000, 'x');
  int round = 0;
  while (HubStat(*a, "server_events_dropped") == 0 && round < 20) {
    Keys keys;
    for (int i = 0; i < 1000; ++i) keys.push_back(fmt::format("big-{}-{}", round, i));
    RegisterSync(*a, keys, value);
    ++round;
  }
  REQUIRE(HubStat(*a, "server_events_dropped") > 0);
  // The next batch (at the latest the hub's heartbeat) shows the gap.
  CHECK(WaitFor([&] { return b->counters().events_gaps >= 1; }));
  CHECK(b->counters().cache_clears >= 1);
  const uint64_t sent = b->counters().requests_sent;
  CHECK(AskOne(*b, "k") == OffloadStatus::kAlreadyStored);  // from the hub again
  CHECK(b->counters().requests_sent == sent + 1);
}

TEST_CASE("client events: a cache with an events address of no hub learns nothing") {
  HubProcess hub = StartHub();
  auto a = Writer(hub, 1);
  // A free port nobody publishes on: the stream never goes live.
  auto b = Connect(hub.query_endpoint(), hub.register_endpoint(), 2, 1000, "tcp://127.0.0.1:1");
  RegisterSync(*a, {"k"});
  CHECK(AskOne(*b, "k") == OffloadStatus::kAlreadyStored);
  const uint64_t sent = b->counters().requests_sent;
  CHECK(AskOne(*b, "k") == OffloadStatus::kAlreadyStored);
  CHECK(b->counters().requests_sent == sent + 1);  // not cached: asked again
  CHECK(b->counters().cache_entries == 0);
  CHECK_FALSE(b->counters().events_live);
}

}  // namespace
}  // namespace blockhub
