// LocalRedisServer / LocalRedisCluster: real redis-server processes on 127.0.0.1 for tests.
//
// LocalRedisServer::Start() runs one plain (non-cluster) redis-server, persistence off, on an
// ephemeral port, in its own temporary directory, and returns once it answers PING (bounded).
//
// LocalRedisCluster::Start() runs 3 masters + 3 replicas (`redis-server --cluster-enabled yes`,
// short cluster-node-timeout), joins them with `redis-cli --cluster create … --cluster-replicas 1
// --cluster-yes` and returns once every node reports `cluster_state:ok` with all 16,384 slots
// assigned and ok (bounded by a deadline). Ports are ephemeral and ≤ 55,535 with port + 10,000
// (the cluster bus) also free; a port taken by someone else between the check and the bind makes
// Start retry with new ports.
//
// Teardown: the destructors SIGKILL and reap every process still running and remove the
// temporary directories, so a failing test never leaves a server behind; children also get
// SIGKILL if the test process dies (PR_SET_PDEATHSIG).
//
// Ownership: each object owns its processes and directories; move-only. Not thread-safe.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <string>
#include <vector>

#include "common/status.h"

namespace blockhub::testing {

// One redis-server child process with its arguments (so it can be restarted on the same port).
struct RedisNodeProcess {
  int port = 0;
  pid_t pid = -1;
  std::string dir;
  std::vector<std::string> argv;
};

class LocalRedisServer {
 public:
  static Result<LocalRedisServer> Start(
      std::chrono::milliseconds timeout = std::chrono::seconds(10));
  LocalRedisServer(LocalRedisServer&& other) noexcept;
  LocalRedisServer& operator=(LocalRedisServer&& other) noexcept;
  LocalRedisServer(const LocalRedisServer&) = delete;
  LocalRedisServer& operator=(const LocalRedisServer&) = delete;
  ~LocalRedisServer();

  int port() const { return node_.port; }
  std::string address() const;  // "127.0.0.1:<port>"
  void Kill();                  // SIGKILL + reap

 private:
  LocalRedisServer() = default;
  RedisNodeProcess node_;
  std::string root_;
};

class LocalRedisCluster {
 public:
  static constexpr int kMasters = 3;
  static constexpr int kNodes = 6;
  static constexpr int kNodeTimeoutMs = 1000;  // cluster-node-timeout: failover in a few seconds

  static Result<LocalRedisCluster> Start(
      std::chrono::milliseconds timeout = std::chrono::seconds(30));
  LocalRedisCluster(LocalRedisCluster&& other) noexcept;
  LocalRedisCluster& operator=(LocalRedisCluster&& other) noexcept;
  LocalRedisCluster(const LocalRedisCluster&) = delete;
  LocalRedisCluster& operator=(const LocalRedisCluster&) = delete;
  ~LocalRedisCluster();

  // All nodes' ports, in start order.
  std::vector<int> ports() const;
  // "127.0.0.1:P1,127.0.0.1:P2,…" (every node), for --redis-nodes.
  std::string nodes_csv() const;
  // Ports of the nodes that are masters right now (asked from the cluster, live nodes only).
  Result<std::vector<int>> MasterPorts() const;
  bool running(int port) const;

  // SIGKILL the node on `port` (it stays down until Restart).
  Status KillNode(int port);
  // Start the node on `port` again with its old nodes.conf (it rejoins the cluster).
  Status RestartNode(int port, std::chrono::milliseconds timeout = std::chrono::seconds(10));
  // Waits until every live node reports cluster_state:ok and all slots are ok.
  Status WaitHealthy(std::chrono::milliseconds timeout) const;
  // SIGKILL every node and reap.
  void KillAll();

 private:
  LocalRedisCluster() = default;
  RedisNodeProcess* Find(int port);
  std::vector<RedisNodeProcess> nodes_;
  std::string root_;
};

// One command through a short-lived blocking connection (for test checks); the reply rendered
// as text (arrays: elements joined by '\n'). Fails on connection errors and error replies.
Result<std::string> RedisCommand(int port, const std::vector<std::string>& args,
                                 std::chrono::milliseconds timeout = std::chrono::seconds(2));

}  // namespace blockhub::testing
