// RedisCluster against real servers: plain-server detection, routing of one batch over all
// masters (order kept), hash tags on one node, MOVED after a slot migration, ASK during one,
// failover after a master's SIGKILL, and the whole cluster down then back. Every wait is bounded
// by a deadline; every server is stopped by its owner's destructor.
#include "hub/store/redis/redis_cluster.h"

#include <doctest/doctest.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "hub/store/redis/key_slot.h"
#include "tests/support/redis_cluster.h"

namespace blockhub::redis {
namespace {

using namespace std::chrono_literals;
using blockhub::testing::LocalRedisCluster;
using blockhub::testing::LocalRedisServer;
using blockhub::testing::RedisCommand;

TimePoint In(Duration d) { return SteadyClock().Now() + d; }

// SET key value, GET key for n keys `prefix<i>` with values `value<i>`.
std::vector<ClusterCommand> SetsAndGets(const std::string& prefix, int n,
                                        const std::string& value = "v") {
  std::vector<ClusterCommand> batch;
  for (int i = 0; i < n; ++i) {
    const std::string key = prefix + std::to_string(i);
    batch.push_back({key, {"SET", key, value + std::to_string(i)}});
    batch.push_back({key, {"GET", key}});
  }
  return batch;
}

// Every SET answered OK and every GET its value, in batch order.
void CheckSetsAndGets(const std::vector<Result<Reply>>& replies, int n,
                      const std::string& value = "v") {
  REQUIRE(replies.size() == static_cast<size_t>(2 * n));
  for (int i = 0; i < n; ++i) {
    const auto& set = replies[2 * i];
    const auto& get = replies[2 * i + 1];
    REQUIRE_MESSAGE(set.has_value(), set.status().message());
    REQUIRE_MESSAGE(get.has_value(), get.status().message());
    CHECK(*set == Reply::StatusText("OK"));
    CHECK(*get == Reply::String(value + std::to_string(i)));
  }
}

Result<RedisCluster> ConnectTo(const std::string& seeds) {
  return RedisCluster::Connect(seeds, ClusterOptions{}, In(10s));
}

std::string NodeId(int port) { return RedisCommand(port, {"CLUSTER", "MYID"}).value(); }

TEST_CASE("RedisCluster: a plain server is detected and used, bad seed lists are refused") {
  auto server = LocalRedisServer::Start();
  REQUIRE_MESSAGE(server.has_value(), server.status().message());
  auto client = ConnectTo(server->address());
  REQUIRE_MESSAGE(client.has_value(), client.status().message());
  CHECK(client->mode() == RedisCluster::Mode::kPlain);
  CheckSetsAndGets(client->Execute(SetsAndGets("plain:", 500), In(5s)), 500);
  CHECK(client->stats().round_trips == 1);
  CHECK(client->stats().map_refreshes == 0);
  CHECK(*RedisCommand(server->port(), {"DBSIZE"}) == "500");

  auto two = ConnectTo(server->address() + ",127.0.0.1:1");
  CHECK(two.status().code() == StatusCode::kInvalidArgument);
  CHECK(ConnectTo("nonsense").status().code() == StatusCode::kInvalidArgument);

  const int port = server->port();
  server->Kill();
  const auto start = SteadyClock().Now();
  auto none = RedisCluster::Connect("127.0.0.1:" + std::to_string(port), {}, In(300ms));
  CHECK(none.status().code() == StatusCode::kUnavailable);
  CHECK(none.status().message().find("127.0.0.1:" + std::to_string(port)) != std::string::npos);
  CHECK(SteadyClock().Now() - start < 2s);
}

TEST_CASE("RedisCluster: one batch over all masters comes back in order, hash tags stay on one") {
  auto cluster = LocalRedisCluster::Start();
  REQUIRE_MESSAGE(cluster.has_value(), cluster.status().message());
  auto client = ConnectTo(cluster->nodes_csv());
  REQUIRE_MESSAGE(client.has_value(), client.status().message());
  CHECK(client->mode() == RedisCluster::Mode::kCluster);
  CHECK(client->slot_map().assigned_slots() == kClusterSlots);
  CHECK(client->slot_map().shards().size() == 3);

  CheckSetsAndGets(client->Execute(SetsAndGets("spread:", 1500), In(10s)), 1500);
  const RedisClusterStats& stats = client->stats();
  CHECK(stats.round_trips == 3);  // one pipeline per master
  CHECK(stats.commands_sent == 3000);
  CHECK(stats.node_latency.size() == 3);
  CHECK(stats.moved + stats.ask + stats.connection_errors == 0);
  auto masters = cluster->MasterPorts();
  REQUIRE(masters.has_value());
  int total = 0;
  for (int port : *masters) {
    const int keys = std::stoi(*RedisCommand(port, {"DBSIZE"}));
    CHECK(keys > 300);  // ~500 each
    total += keys;
  }
  CHECK(total == 1500);

  std::vector<ClusterCommand> tagged;
  for (int i = 0; i < 200; ++i) {
    const std::string key = "{user42}:" + std::to_string(i);
    tagged.push_back({key, {"SET", key, "x"}});
  }
  for (const auto& r : client->Execute(tagged, In(10s))) CHECK(r.has_value());
  CHECK(stats.round_trips == 4);  // one more pipeline: one node
  const int owner = client->MasterOf("{user42}")->port;
  const std::string slot = std::to_string(KeySlot("{user42}"));
  CHECK(*RedisCommand(owner, {"CLUSTER", "COUNTKEYSINSLOT", slot}) == "200");
  CHECK(stats.node_latency.at("127.0.0.1:" + std::to_string(owner)).count() == 2);

  // Replicas are kept too. CLUSTER SLOTS lists a replica only a moment after the cluster is
  // healthy (once its sync is known around), so poll the map (bounded) until each master has one.
  const auto replicas_deadline = In(20s);
  auto all_replicas = [&] {
    for (const Shard& shard : client->slot_map().shards())
      if (shard.replicas.size() != 1) return false;
    return true;
  };
  while (!all_replicas() && SteadyClock().Now() < replicas_deadline) {
    std::this_thread::sleep_for(20ms);  // poll interval, not synchronisation
    REQUIRE(client->RefreshMap(In(2s)).ok());
  }
  CHECK(all_replicas());
  for (const Shard& shard : client->slot_map().shards())
    for (const NodeAddress& replica : shard.replicas) CHECK(replica.host == "127.0.0.1");
}

TEST_CASE("RedisCluster: AUTH on every node, a missing or wrong password is refused at once") {
  auto cluster = LocalRedisCluster::Start();
  REQUIRE_MESSAGE(cluster.has_value(), cluster.status().message());
  for (int port : cluster->ports()) {
    REQUIRE(RedisCommand(port, {"CONFIG", "SET", "masterauth", "pw"}).has_value());
    REQUIRE(RedisCommand(port, {"CONFIG", "SET", "requirepass", "pw"}).has_value());
  }
  ClusterOptions options;
  options.connection.password = "pw";
  auto client = RedisCluster::Connect(cluster->nodes_csv(), options, In(10s));
  REQUIRE_MESSAGE(client.has_value(), client.status().message());
  CheckSetsAndGets(client->Execute(SetsAndGets("auth:", 300), In(10s)), 300);
  CHECK(client->stats().round_trips == 3);

  for (const char* password : {"", "wrong"}) {
    options.connection.password = password;
    const auto start = SteadyClock().Now();
    auto refused = RedisCluster::Connect(cluster->nodes_csv(), options, In(10s));
    CHECK(refused.status().code() == StatusCode::kPermissionDenied);
    CHECK(SteadyClock().Now() - start < 2s);  // not retried until the deadline
  }
}

// The master that serves `key` (source) and another master (target) for a slot migration.
struct SlotMove {
  int source = 0;
  int target = 0;
};

SlotMove PickMove(const RedisCluster& client, const std::string& key,
                  const std::vector<int>& masters) {
  SlotMove move;
  move.source = client.MasterOf(key)->port;
  for (int port : masters)
    if (port != move.source) move.target = port;
  return move;
}

TEST_CASE("RedisCluster: MOVED after a slot migration is followed and the map re-read") {
  auto cluster = LocalRedisCluster::Start();
  REQUIRE_MESSAGE(cluster.has_value(), cluster.status().message());
  auto client = ConnectTo(cluster->nodes_csv());
  REQUIRE_MESSAGE(client.has_value(), client.status().message());
  auto masters = cluster->MasterPorts();
  REQUIRE(masters.has_value());
  CheckSetsAndGets(client->Execute(SetsAndGets("{mv}", 20), In(5s)), 20);

  // Migrate the slot of {mv} to another master behind the client's back.
  const SlotMove move = PickMove(*client, "{mv}", *masters);
  REQUIRE(move.target != 0);
  const std::string slot = std::to_string(KeySlot("{mv}"));
  REQUIRE(RedisCommand(move.target, {"CLUSTER", "SETSLOT", slot, "IMPORTING", NodeId(move.source)})
              .has_value());
  REQUIRE(RedisCommand(move.source, {"CLUSTER", "SETSLOT", slot, "MIGRATING", NodeId(move.target)})
              .has_value());
  std::vector<std::string> migrate = {"MIGRATE", "127.0.0.1", std::to_string(move.target), "", "0",
                                      "5000",    "KEYS"};
  for (int i = 0; i < 20; ++i) migrate.push_back("{mv}" + std::to_string(i));
  REQUIRE(RedisCommand(move.source, migrate).has_value());
  for (int port : *masters)
    REQUIRE(
        RedisCommand(port, {"CLUSTER", "SETSLOT", slot, "NODE", NodeId(move.target)}).has_value());

  const uint64_t refreshes = client->stats().map_refreshes;
  std::vector<ClusterCommand> gets;
  for (int i = 0; i < 20; ++i)
    gets.push_back({"{mv}" + std::to_string(i), {"GET", "{mv}" + std::to_string(i)}});
  auto replies = client->Execute(gets, In(5s));
  for (int i = 0; i < 20; ++i) {
    REQUIRE_MESSAGE(replies[i].has_value(), replies[i].status().message());
    CHECK(*replies[i] == Reply::String("v" + std::to_string(i)));
  }
  CHECK(client->stats().moved == 20);  // each command of the stale round was redirected once
  CHECK(client->stats().map_refreshes == refreshes + 1);  // the whole map, once in the call
  CHECK(client->MasterOf("{mv}")->port == move.target);
  CHECK(client->stats().unavailable == 0);
  CHECK(client->stats().masters_lost == 0);  // one slot moved: every master still serves

  // Two masters that disagree about an (empty) slot send a command back and forth: it gives up
  // after max_redirections with kUnavailable, and the rest of the batch is answered.
  const SlotMove loop = PickMove(*client, "{loop}", *masters);
  const std::string loop_slot = std::to_string(KeySlot("{loop}"));
  REQUIRE(RedisCommand(loop.source, {"CLUSTER", "SETSLOT", loop_slot, "NODE", NodeId(loop.target)})
              .has_value());
  const uint64_t moved_before = client->stats().moved;
  auto looped = client->Execute(
      std::vector<ClusterCommand>{{"{loop}", {"GET", "{loop}"}}, {"{mv}0", {"GET", "{mv}0"}}},
      In(5s));
  REQUIRE(looped.size() == 2);
  CHECK(looped[0].status().code() == StatusCode::kUnavailable);
  CHECK(looped[0].status().message().find("more than 5 redirections") != std::string::npos);
  CHECK(client->stats().moved - moved_before == 5);
  REQUIRE(looped[1].has_value());
  CHECK(*looped[1] == Reply::String("v0"));
}

TEST_CASE("RedisCluster: ASK during a slot migration is followed without changing the map") {
  auto cluster = LocalRedisCluster::Start();
  REQUIRE_MESSAGE(cluster.has_value(), cluster.status().message());
  auto client = ConnectTo(cluster->nodes_csv());
  REQUIRE_MESSAGE(client.has_value(), client.status().message());
  auto masters = cluster->MasterPorts();
  REQUIRE(masters.has_value());
  CheckSetsAndGets(client->Execute(SetsAndGets("{ask}", 2), In(5s)), 2);  // {ask}0, {ask}1

  const SlotMove move = PickMove(*client, "{ask}", *masters);
  const std::string slot = std::to_string(KeySlot("{ask}"));
  REQUIRE(RedisCommand(move.target, {"CLUSTER", "SETSLOT", slot, "IMPORTING", NodeId(move.source)})
              .has_value());
  REQUIRE(RedisCommand(move.source, {"CLUSTER", "SETSLOT", slot, "MIGRATING", NodeId(move.target)})
              .has_value());
  // Only {ask}0 moves; {ask}1 stays on the source until the migration ends.
  REQUIRE(RedisCommand(move.source,
                       {"MIGRATE", "127.0.0.1", std::to_string(move.target), "{ask}0", "0", "5000"})
              .has_value());

  auto replies = client->Execute(std::vector<ClusterCommand>{{"{ask}0", {"GET", "{ask}0"}},
                                                             {"{ask}1", {"GET", "{ask}1"}},
                                                             {"{ask}2", {"SET", "{ask}2", "new"}}},
                                 In(5s));
  REQUIRE(replies.size() == 3);
  for (const auto& r : replies) REQUIRE_MESSAGE(r.has_value(), r.status().message());
  CHECK(*replies[0] == Reply::String("v0"));      // ASK → ASKING + GET on the target
  CHECK(*replies[1] == Reply::String("v1"));      // still on the source
  CHECK(*replies[2] == Reply::StatusText("OK"));  // a new key goes to the importing node
  CHECK(client->stats().ask == 2);
  CHECK(client->stats().moved == 0);
  CHECK(client->MasterOf("{ask}")->port == move.source);  // ASK is one-shot
  // The new key really is on the target: ASKING + EXISTS there.
  RedisConnection target("127.0.0.1", move.target);
  PipelineResult check = target.Pipeline(
      std::vector<Command>{{"ASKING"}, {"GET", "{ask}2"}, {"ASKING"}, {"GET", "{ask}0"}});
  REQUIRE(check.status.ok());
  CHECK(check.replies[1] == Reply::String("new"));
  CHECK(check.replies[3] == Reply::String("v0"));
}

TEST_CASE(
    "RedisCluster: after a master's SIGKILL the same client succeeds once its replica leads") {
  auto cluster = LocalRedisCluster::Start();
  REQUIRE_MESSAGE(cluster.has_value(), cluster.status().message());
  auto client = ConnectTo(cluster->nodes_csv());
  REQUIRE_MESSAGE(client.has_value(), client.status().message());
  CheckSetsAndGets(client->Execute(SetsAndGets("fo:", 300), In(5s)), 300);
  const NodeAddress victim = *client->MasterOf("fo:0");
  REQUIRE(cluster->KillNode(victim.port).ok());

  const auto start = SteadyClock().Now();
  auto replies = client->Execute(SetsAndGets("fo:", 300, "w"), In(20s));
  CheckSetsAndGets(replies, 300, "w");
  INFO("failover took ", std::chrono::duration<double>(SteadyClock().Now() - start).count(), " s");
  CHECK(SteadyClock().Now() - start < 20s);
  const RedisClusterStats& stats = client->stats();
  CHECK(stats.connection_errors + stats.cluster_errors > 0);
  CHECK(stats.map_refreshes > 1);
  CHECK(stats.masters_lost == 1);  // the victim, replaced by its replica
  CHECK(stats.unavailable == 0);
  REQUIRE(client->MasterOf("fo:0").has_value());
  CHECK(client->MasterOf("fo:0")->port != victim.port);
  CHECK(client->slot_map().assigned_slots() == kClusterSlots);
  for (const Shard& s : client->slot_map().shards()) CHECK(s.master != victim);  // map re-read
}

TEST_CASE("RedisCluster: the whole cluster down → Unavailable by the deadline, then back") {
  auto cluster = LocalRedisCluster::Start();
  REQUIRE_MESSAGE(cluster.has_value(), cluster.status().message());
  auto client = ConnectTo(cluster->nodes_csv());
  REQUIRE_MESSAGE(client.has_value(), client.status().message());
  CheckSetsAndGets(client->Execute(SetsAndGets("down:", 30), In(5s)), 30);
  cluster->KillAll();

  const auto start = SteadyClock().Now();
  auto replies = client->Execute(SetsAndGets("down:", 30), In(1s));
  const auto took = SteadyClock().Now() - start;
  CHECK(took >= 1s - 50ms);  // it kept trying until the deadline…
  CHECK(took < 2500ms);      // …and not much longer
  REQUIRE(replies.size() == 60);
  for (const auto& r : replies) {
    REQUIRE_FALSE(r.has_value());
    CHECK(r.status().code() == StatusCode::kUnavailable);
    CHECK(r.status().message().find("127.0.0.1:") != std::string::npos);  // names the node
  }
  CHECK(client->stats().unavailable == 60);

  for (int port : cluster->ports()) REQUIRE(cluster->RestartNode(port).ok());
  // The same client, no new connection setup: it retries within its own deadline.
  auto back = client->Execute(SetsAndGets("down:", 30, "w"), In(30s));
  CheckSetsAndGets(back, 30, "w");
}

}  // namespace
}  // namespace blockhub::redis
