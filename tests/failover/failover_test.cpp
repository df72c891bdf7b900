// Clients with a hub list (ClientOptions comma-separated endpoints) against two real blockhubd
// (memory store): a hub SIGKILLed or SIGSTOPped under load is skipped within the request timeout,
// requests in flight on it are re-sent, RegisterSync lands on the survivor, and a hub restarted on
// its old port is used again. Acceptance 4(b) of the scale-out issue.
#include <doctest/doctest.h>
#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <future>
#include <string>
#include <thread>
#include <vector>

#include "client/client.h"
#include "tests/support/hub_process.h"

namespace blockhub {
namespace {

using std::chrono::milliseconds;
using testing::HubProcess;
using SteadyTime = std::chrono::steady_clock;

constexpr milliseconds kRequestTimeout(1500);  // attempt share with two hubs: 750 ms
// What a request may take beyond its timeout: the I/O thread's reaction plus scheduling on a
// shared machine. A request that hung would exceed it by far.
constexpr milliseconds kSlack(300);

HubProcess StartHub(std::vector<std::string> args = {}) {
  auto hub = HubProcess::Start(testing::HubArgs(std::move(args)));
  REQUIRE_MESSAGE(hub.has_value(), hub.error().ToString());
  return std::move(*hub);
}

std::unique_ptr<Client> ConnectTo(const std::vector<const HubProcess*>& hubs, uint64_t id) {
  std::vector<HubEndpoint> list;
  for (const HubProcess* h : hubs) list.push_back({h->query_endpoint(), h->register_endpoint()});
  auto options = ClientOptionsBuilder()
                     .hubs(list)
                     .request_timeout(kRequestTimeout)
                     .batch_timeout(milliseconds(2))
                     .client_id(id)
                     .Build();
  REQUIRE_MESSAGE(options.has_value(), options.error().ToString());
  auto c = Client::Connect(*options);
  REQUIRE_MESSAGE(c.has_value(), c.error().ToString());
  return std::move(*c);
}

// Polls `cond` until it holds or `limit` passes (no sleeping as synchronisation: each poll is a
// short bounded wait for the condition to become true).
template <typename Cond>
bool PollUntil(Cond cond, milliseconds limit = milliseconds(20'000)) {
  const auto deadline = SteadyTime::now() + limit;
  while (SteadyTime::now() < deadline) {
    if (cond()) return true;
    std::this_thread::sleep_for(milliseconds(5));  // poll interval, not a synchronisation point
  }
  return cond();
}

// How many of `keys` a single-hub client on `hub` finds stored.
size_t StoredOn(const HubProcess& hub, const std::vector<std::string>& keys) {
  auto c = ConnectTo({&hub}, 0x5eed);
  size_t found = 0;
  for (size_t at = 0; at < keys.size(); at += 1000) {
    std::vector<std::string> chunk(keys.begin() + at,
                                   keys.begin() + std::min(keys.size(), at + 1000));
    auto m = c->Match(chunk);
    REQUIRE_MESSAGE(m.has_value(), m.error().ToString());
    found += m->size();
  }
  return found;
}

// One client's load: rounds of kWindow async requests in flight (CanOffload, Match, Touch, and
// RegisterSync once `register_phase` is set), each timed from submission to its result.
struct Load {
  static constexpr int kWindow = 32;
  std::unique_ptr<Client> client;
  std::atomic<int> rounds{0};
  std::vector<std::string> errors;
  milliseconds longest{0};
  std::vector<std::string> synced;  // keys RegisterSync'ed after the kill, acknowledged
  std::thread thread;

  void Run(int index, const std::atomic<bool>& stop, const std::atomic<bool>& killed) {
    for (int round = 0; !stop.load(); ++round) {
      const bool after_kill = killed.load();
      std::vector<std::future<Status>> pending;
      std::vector<SteadyTime::time_point> started;
      std::vector<std::vector<std::string>> synced_keys;
      for (int i = 0; i < kWindow; ++i) {
        std::vector<std::string> keys;
        for (int k = 0; k < 4; ++k)
          keys.push_back(fmt::format("c{}-r{}-{}-{}", index, round, i, k));
        started.push_back(SteadyTime::now());
        switch (i % 4) {
          case 0:
            pending.push_back(
                std::async(std::launch::deferred, [f = client->CanOffloadAsync(keys)]() mutable {
                  auto r = f.get();
                  return r ? Status::Ok() : r.error();
                }));
            break;
          case 1:
            pending.push_back(
                std::async(std::launch::deferred, [f = client->MatchAsync(keys)]() mutable {
                  auto r = f.get();
                  return r ? Status::Ok() : r.error();
                }));
            break;
          case 2:
            pending.push_back(
                std::async(std::launch::deferred, [f = client->TouchAsync(keys)]() mutable {
                  auto r = f.get();
                  return r ? Status::Ok() : r.error();
                }));
            break;
          default: {
            std::vector<BlockEntry> entries;
            for (const auto& k : keys) entries.push_back({k, "value", ""});
            pending.push_back(std::async(std::launch::deferred,
                                         [f = client->RegisterSyncAsync(entries)]() mutable {
                                           auto r = f.get();
                                           if (!r) return r.error();
                                           for (RegisterStatus s : *r) {
                                             if (s == RegisterStatus::kRejected)
                                               return InternalError("rejected");
                                           }
                                           return Status::Ok();
                                         }));
            synced_keys.push_back(after_kill ? keys : std::vector<std::string>{});
            break;
          }
        }
      }
      size_t sync_index = 0;
      for (int i = 0; i < kWindow; ++i) {
        Status s = pending[i].get();
        const auto took = std::chrono::duration_cast<milliseconds>(SteadyTime::now() - started[i]);
        longest = std::max(longest, took);
        if (!s.ok()) errors.push_back(s.ToString());
        if (i % 4 == 3) {
          if (s.ok())
            synced.insert(synced.end(), synced_keys[sync_index].begin(),
                          synced_keys[sync_index].end());
          ++sync_index;
        }
      }
      rounds.fetch_add(1);
    }
  }
};

TEST_CASE(
    "failover: SIGKILL one of two hubs under load, every request of 4 clients finishes in time") {
  HubProcess a = StartHub();
  HubProcess b = StartHub();
  constexpr int kClients = 4;
  std::vector<std::unique_ptr<Load>> loads;
  std::atomic<bool> stop{false}, killed{false};
  for (int i = 0; i < kClients; ++i) {
    loads.push_back(std::make_unique<Load>());
    loads.back()->client = ConnectTo({&a, &b}, 0x1000 + i);
  }
  for (int i = 0; i < kClients; ++i) {
    loads[i]->thread = std::thread([&, i] { loads[i]->Run(i, stop, killed); });
  }
  auto all_rounds = [&](int n) {
    return std::all_of(loads.begin(), loads.end(),
                       [n](const auto& l) { return l->rounds.load() >= n; });
  };
  const bool warmed = PollUntil([&] { return all_rounds(5); });
  // Rounds run back to back, so requests are in flight on hub A when it dies.
  a.Kill();
  killed.store(true);
  int base = 0;
  for (const auto& l : loads) base = std::max(base, l->rounds.load());
  const bool continued = PollUntil([&] { return all_rounds(base + 15); });
  stop.store(true);
  for (auto& l : loads) l->thread.join();
  CHECK(warmed);
  CHECK(continued);

  uint64_t retries = 0, failovers = 0;
  std::vector<std::string> synced;
  for (int i = 0; i < kClients; ++i) {
    Load& l = *loads[i];
    CAPTURE(i);
    CHECK_MESSAGE(l.errors.empty(), (l.errors.empty() ? std::string() : l.errors.front()));
    // Past its timeout would be a hang; a re-sent request takes about one attempt share (750 ms).
    CHECK(l.longest <= kRequestTimeout);
    const ClientCounters c = l.client->counters();
    retries += c.retries;
    failovers += c.failovers;
    CHECK(c.timeouts == 0);
    REQUIRE(c.hubs.size() == 2);
    CHECK(c.hubs[0].state == HubState::kDead);
    CHECK(c.hubs[0].disconnects >= 1);  // the killed hub's connection broke: seen at once
    CHECK(c.hubs[1].current);
    CHECK(c.hubs[1].replies > 0);
    synced.insert(synced.end(), l.synced.begin(), l.synced.end());
    MESSAGE("client ", i, ": longest request ", l.longest.count(), " ms, retries ", c.retries,
            ", failovers ", c.failovers);
  }
  CHECK(retries > 0);            // requests in flight on the killed hub were re-sent
  CHECK(failovers == kClients);  // each client moved to hub B exactly once
  REQUIRE_FALSE(synced.empty());
  CHECK(StoredOn(b, synced) == synced.size());  // every acknowledged RegisterSync is on B
  for (auto& l : loads) (void)l->client->Close();
}

TEST_CASE("failover: a stopped hub (SIGSTOP) is skipped, registrations follow the current hub") {
  HubProcess a = StartHub();
  HubProcess b = StartHub();
  auto client = ConnectTo({&a, &b}, 0x2000);
  std::vector<std::string> warm = {"w"};
  REQUIRE(client->Touch(warm).has_value());
  CHECK(client->counters().hubs[0].replies == 1);

  REQUIRE(a.Pause().ok());
  std::vector<std::future<Result<uint64_t>>> futures;
  std::vector<std::vector<std::string>> keys(64);
  const auto start = SteadyTime::now();
  for (size_t i = 0; i < keys.size(); ++i) {
    keys[i] = {fmt::format("s{}", i)};
    futures.push_back(client->TouchAsync(keys[i]));
  }
  for (auto& f : futures) {
    auto r = f.get();
    CHECK_MESSAGE(r.has_value(), (r ? std::string() : r.error().ToString()));
  }
  const auto took = std::chrono::duration_cast<milliseconds>(SteadyTime::now() - start);
  MESSAGE("64 requests on a stopped hub finished after ", took.count(), " ms");
  // One attempt's share on the stopped hub, then hub B: well within the request timeout.
  CHECK(took <= kRequestTimeout / 2 + kSlack);
  ClientCounters c = client->counters();
  CHECK(c.retries >= 64);
  CHECK(c.failovers == 1);
  CHECK(c.hubs[0].state == HubState::kDead);
  CHECK(c.hubs[1].current);

  // Fire-and-forget registrations now go to hub B.
  std::vector<BlockEntry> entries;
  std::vector<std::string> reg_keys;
  for (int i = 0; i < 200; ++i) {
    reg_keys.push_back(fmt::format("reg{}", i));
    entries.push_back({reg_keys.back(), "v", ""});
  }
  REQUIRE(client->Register(entries).ok());
  REQUIRE(client->Flush().ok());
  CHECK(PollUntil([&] { return StoredOn(b, reg_keys) == reg_keys.size(); }, milliseconds(5000)));
  CHECK(client->counters().hubs[1].registrations_sent == reg_keys.size());

  // Resumed: the stopped hub answers what it had queued (and the probes): it is live again.
  REQUIRE(a.Resume().ok());
  CHECK(PollUntil([&] { return client->counters().hubs[0].state == HubState::kLive; }));
  CHECK(client->counters().hubs[1].current);  // sticky: B stays current
  CHECK(client->Close().ok());
}

TEST_CASE("failover: a killed hub restarted on its old port is used again") {
  HubProcess a = StartHub();
  HubProcess b = StartHub();
  const std::string a_query = a.query_endpoint(), a_register = a.register_endpoint();
  auto client = ConnectTo({&a, &b}, 0x3000);
  std::vector<std::string> k = {"k"};
  REQUIRE(client->Touch(k).has_value());
  a.Kill();
  auto r = client->Touch(k);  // one attempt's share on A, then B
  REQUIRE_MESSAGE(r.has_value(), r.error().ToString());
  CHECK(client->counters().hubs[1].current);

  // Same endpoints as the first run's ready line (libzmq binds with SO_REUSEADDR, so the old
  // port is free again once the process is gone).
  auto restarted =
      HubProcess::Start(testing::HubArgs({"--query-addr", a_query, "--register-addr", a_register}));
  REQUIRE_MESSAGE(restarted.has_value(),
                  "could not re-bind " << a_query << ": " << restarted.error().ToString());
  CHECK(restarted->query_endpoint() == a_query);
  // The backoff probe finds it (at most 8 attempt shares after the last failed probe).
  CHECK(PollUntil([&] { return client->counters().hubs[0].state == HubState::kLive; }));
  const uint64_t replies_before = client->counters().hubs[0].replies;

  b.Kill();
  std::vector<BlockEntry> entries = {{"after", "v", ""}};
  auto reg = client->RegisterSync(entries);
  REQUIRE_MESSAGE(reg.has_value(), reg.error().ToString());
  CHECK((*reg)[0] == RegisterStatus::kStored);
  ClientCounters c = client->counters();
  CHECK(c.hubs[0].current);
  CHECK(c.hubs[0].replies > replies_before);
  CHECK(c.failovers == 2);
  CHECK(c.epoch_changes >= 1);  // a different memory hub: reported as an epoch change
  std::vector<std::string> after = {"after"};
  CHECK(StoredOn(*restarted, after) == 1);
  (void)client->Close();
}

}  // namespace
}  // namespace blockhub
