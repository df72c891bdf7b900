// Tests of the local Redis helpers: a plain server and a 3 + 3 cluster come up healthy, serve
// commands, survive a master SIGKILL by promoting its replica, and leave no process behind.
#include <doctest/doctest.h>
#include <signal.h>

#include <chrono>
#include <string>

#include "tests/support/redis_cluster.h"

namespace blockhub::testing {
namespace {

using namespace std::chrono_literals;

bool ProcessAlive(int port) { return RedisCommand(port, {"PING"}, 200ms).has_value(); }

TEST_CASE("LocalRedisServer answers and is gone after destruction") {
  int port = 0;
  {
    auto server = LocalRedisServer::Start();
    REQUIRE_MESSAGE(server.has_value(), server.status().message());
    port = server->port();
    CHECK(server->address() == "127.0.0.1:" + std::to_string(port));
    auto set = RedisCommand(port, {"SET", "k", "v"});
    REQUIRE(set.has_value());
    CHECK(*set == "OK");
    CHECK(*RedisCommand(port, {"GET", "k"}) == "v");
    // A plain server: cluster commands are refused.
    CHECK_FALSE(RedisCommand(port, {"CLUSTER", "INFO"}).has_value());
  }
  CHECK_FALSE(ProcessAlive(port));
}

TEST_CASE("LocalRedisCluster: 3 masters + 3 replicas, all slots, ports below the bus limit") {
  std::vector<int> ports;
  {
    auto cluster = LocalRedisCluster::Start();
    REQUIRE_MESSAGE(cluster.has_value(), cluster.status().message());
    ports = cluster->ports();
    REQUIRE(ports.size() == 6);
    for (int p : ports) CHECK(p <= 55535);
    auto masters = cluster->MasterPorts();
    REQUIRE(masters.has_value());
    CHECK(masters->size() == 3);
    auto info = RedisCommand(ports[0], {"CLUSTER", "INFO"});
    REQUIRE(info.has_value());
    CHECK(info->find("cluster_state:ok") != std::string::npos);
    CHECK(info->find("cluster_slots_ok:16384") != std::string::npos);
    CHECK(info->find("cluster_known_nodes:6") != std::string::npos);
    // A key is served by exactly one master; the others redirect (MOVED).
    int served = 0;
    int moved = 0;
    for (int p : *masters) {
      auto r = RedisCommand(p, {"SET", "{tag}k", "v"});
      if (r.has_value())
        ++served;
      else if (r.status().message().find("MOVED") != std::string::npos)
        ++moved;
    }
    CHECK(served == 1);
    CHECK(moved == 2);
    CHECK(cluster->nodes_csv().find("127.0.0.1:" + std::to_string(ports[5])) != std::string::npos);
  }
  for (int p : ports) CHECK_FALSE(ProcessAlive(p));
}

TEST_CASE("LocalRedisCluster: SIGKILL of a master promotes its replica, restart rejoins") {
  auto cluster = LocalRedisCluster::Start();
  REQUIRE_MESSAGE(cluster.has_value(), cluster.status().message());
  auto masters = cluster->MasterPorts();
  REQUIRE(masters.has_value());
  REQUIRE(masters->size() == 3);
  const int victim = masters->front();
  REQUIRE(cluster->KillNode(victim).ok());
  CHECK_FALSE(cluster->running(victim));
  auto healthy = cluster->WaitHealthy(20s);
  REQUIRE_MESSAGE(healthy.ok(), healthy.message());
  auto after = cluster->MasterPorts();
  REQUIRE(after.has_value());
  CHECK(after->size() == 3);  // the replica took over
  REQUIRE(cluster->RestartNode(victim).ok());
  CHECK(cluster->running(victim));
  CHECK(cluster->WaitHealthy(20s).ok());
}

}  // namespace
}  // namespace blockhub::testing
