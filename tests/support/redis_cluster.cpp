#include "tests/support/redis_cluster.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <hiredis/hiredis.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <set>
#include <sstream>
#include <thread>
#include <utility>

namespace blockhub::testing {
namespace {

using Clock = std::chrono::steady_clock;
constexpr int kMaxPort = 55535;  // the cluster bus listens on port + 10000
constexpr auto kPollStep = std::chrono::milliseconds(20);

// The poll interval between two checks of a condition that has a deadline.
void PollPause() { std::this_thread::sleep_for(kPollStep); }

std::string TempRoot(const char* what) {
  const char* tmp = std::getenv("TMPDIR");
  std::string pattern = std::string(tmp && *tmp ? tmp : "/tmp") + "/blockhub-" + what + "-XXXXXX";
  std::vector<char> buf(pattern.begin(), pattern.end());
  buf.push_back('\0');
  if (mkdtemp(buf.data()) == nullptr) return {};
  return std::string(buf.data());
}

void RemoveTree(const std::string& dir) {
  if (dir.empty()) return;
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
}

// True if 127.0.0.1:port can be bound now.
bool PortFree(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const bool ok = bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  close(fd);
  return ok;
}

// An ephemeral port ≤ 55535 whose port + 10000 is free too, not in `taken`.
Result<int> PickPort(std::set<int>& taken, bool with_bus) {
  for (int attempt = 0; attempt < 500; ++attempt) {
    const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return IoError(std::string("socket: ") + strerror(errno));
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = 0;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    int port = -1;
    if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
        getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0)
      port = ntohs(addr.sin_port);
    close(fd);
    if (port <= 0 || taken.count(port) || taken.count(port + 10000)) continue;
    if (with_bus && (port > kMaxPort || !PortFree(port + 10000))) continue;
    taken.insert(port);
    if (with_bus) taken.insert(port + 10000);
    return port;
  }
  return UnavailableError("no free loopback port pair (port, port+10000) found");
}

std::string FindInPath(const std::string& name) {
  const char* path = std::getenv("PATH");
  std::stringstream dirs(path ? path : "/usr/bin:/bin");
  std::string dir;
  while (std::getline(dirs, dir, ':')) {
    const std::string candidate = (dir.empty() ? "." : dir) + "/" + name;
    if (access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return {};
}

// fork/exec `argv` (argv[0] a name looked up in PATH) with stdout+stderr into `log_path`.
Result<pid_t> SpawnLogged(const std::vector<std::string>& argv, const std::string& log_path) {
  const std::string exe = FindInPath(argv.at(0));
  if (exe.empty())
    return UnavailableError(argv[0] + " not found in PATH (scripts/deps.sh installs it)");
  std::vector<std::string> args = argv;
  std::vector<char*> c_argv;
  for (auto& a : args) c_argv.push_back(a.data());
  c_argv.push_back(nullptr);
  const pid_t parent = getpid();
  const pid_t pid = fork();
  if (pid < 0) return IoError(std::string("fork: ") + strerror(errno));
  if (pid == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(127);
    const int fd = open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd >= 0) {
      dup2(fd, STDOUT_FILENO);
      dup2(fd, STDERR_FILENO);
    }
    const int null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (null_fd >= 0) dup2(null_fd, STDIN_FILENO);
    execv(exe.c_str(), c_argv.data());
    _exit(127);
  }
  return pid;
}

// True if `pid` has exited (and reaps it).
bool Exited(pid_t pid, int* status = nullptr) {
  int st = 0;
  const pid_t r = waitpid(pid, &st, WNOHANG);
  if (status) *status = st;
  return r == pid || (r < 0 && errno == ECHILD);
}

void KillAndReap(pid_t& pid) {
  if (pid <= 0) return;
  kill(pid, SIGKILL);
  int st = 0;
  while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {
  }
  pid = -1;
}

std::string ReadTail(const std::string& path, size_t max = 2000) {
  std::ifstream in(path);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return text.size() > max ? text.substr(text.size() - max) : text;
}

// Starts `node` (argv set) and waits until it answers PING; on failure the process is killed.
Status StartNode(RedisNodeProcess& node, Clock::time_point deadline) {
  const std::string log = node.dir + "/redis.log";
  auto pid = SpawnLogged(node.argv, log);
  if (!pid.has_value()) return pid.status();
  node.pid = *pid;
  while (true) {
    if (Exited(node.pid)) {
      node.pid = -1;
      return UnavailableError("redis-server on port " + std::to_string(node.port) +
                              " exited at start: " + ReadTail(log));
    }
    if (RedisCommand(node.port, {"PING"}, std::chrono::milliseconds(200)).has_value())
      return Status::Ok();
    if (Clock::now() > deadline) {
      KillAndReap(node.pid);
      return TimeoutError("redis-server on port " + std::to_string(node.port) +
                          " did not answer PING in time: " + ReadTail(log));
    }
    PollPause();
  }
}

std::vector<std::string> NodeArgv(int port, const std::string& dir, bool cluster) {
  std::vector<std::string> argv = {"redis-server",
                                   "--port",
                                   std::to_string(port),
                                   "--bind",
                                   "127.0.0.1",
                                   "--dir",
                                   dir,
                                   "--save",
                                   "",
                                   "--appendonly",
                                   "no",
                                   "--protected-mode",
                                   "no",
                                   "--daemonize",
                                   "no",
                                   "--loglevel",
                                   "warning"};
  if (cluster) {
    argv.insert(argv.end(),
                {"--cluster-enabled", "yes", "--cluster-config-file", dir + "/nodes.conf",
                 "--cluster-node-timeout", std::to_string(LocalRedisCluster::kNodeTimeoutMs),
                 "--cluster-replica-validity-factor", "0",
                 // A replica's first sync starts at once (the default waits 5 s for more replicas).
                 "--repl-diskless-sync-delay", "0"});
  }
  return argv;
}

std::string RenderReply(const redisReply* r) {
  switch (r->type) {
    case REDIS_REPLY_STRING:
    case REDIS_REPLY_STATUS:
      return std::string(r->str, r->len);
    case REDIS_REPLY_INTEGER:
      return std::to_string(r->integer);
    case REDIS_REPLY_NIL:
      return "(nil)";
    case REDIS_REPLY_ARRAY: {
      std::string out;
      for (size_t i = 0; i < r->elements; ++i) {
        if (i) out += '\n';
        out += RenderReply(r->element[i]);
      }
      return out;
    }
    default:
      return {};
  }
}

std::string InfoField(const std::string& info, const std::string& field) {
  const size_t at = info.find(field + ":");
  if (at == std::string::npos) return {};
  const size_t start = at + field.size() + 1;
  const size_t end = info.find_first_of("\r\n", start);
  return info.substr(start, end == std::string::npos ? std::string::npos : end - start);
}

bool NodeHealthy(int port) {
  auto info = RedisCommand(port, {"CLUSTER", "INFO"}, std::chrono::milliseconds(500));
  if (!info.has_value()) return false;
  return InfoField(*info, "cluster_state") == "ok" &&
         InfoField(*info, "cluster_slots_assigned") == "16384" &&
         InfoField(*info, "cluster_slots_ok") == "16384";
}

}  // namespace

Result<std::string> RedisCommand(int port, const std::vector<std::string>& args,
                                 std::chrono::milliseconds timeout) {
  timeval tv{};
  tv.tv_sec = timeout.count() / 1000;
  tv.tv_usec = (timeout.count() % 1000) * 1000;
  std::unique_ptr<redisContext, void (*)(redisContext*)> ctx(
      redisConnectWithTimeout("127.0.0.1", port, tv), redisFree);
  if (!ctx) return IoError("redis connect: out of memory");
  if (ctx->err)
    return IoError("redis connect to port " + std::to_string(port) + ": " + ctx->errstr);
  redisSetTimeout(ctx.get(), tv);
  std::vector<const char*> argv;
  std::vector<size_t> lens;
  for (const auto& a : args) {
    argv.push_back(a.data());
    lens.push_back(a.size());
  }
  std::unique_ptr<redisReply, void (*)(void*)> reply(
      static_cast<redisReply*>(
          redisCommandArgv(ctx.get(), static_cast<int>(argv.size()), argv.data(), lens.data())),
      freeReplyObject);
  if (!reply) return IoError("redis command on port " + std::to_string(port) + ": " + ctx->errstr);
  if (reply->type == REDIS_REPLY_ERROR)
    return InternalError("redis error on port " + std::to_string(port) + ": " +
                         std::string(reply->str, reply->len));
  return RenderReply(reply.get());
}

// ---- LocalRedisServer -------------------------------------------------------------------------

Result<LocalRedisServer> LocalRedisServer::Start(std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  LocalRedisServer server;
  server.root_ = TempRoot("redis");
  if (server.root_.empty()) return IoError(std::string("mkdtemp: ") + strerror(errno));
  Status last = Status::Ok();
  for (int attempt = 0; attempt < 5 && Clock::now() < deadline; ++attempt) {
    std::set<int> taken;
    auto port = PickPort(taken, /*with_bus=*/false);
    if (!port.has_value()) return port.status();
    server.node_.port = *port;
    server.node_.dir = server.root_;
    server.node_.argv = NodeArgv(*port, server.root_, /*cluster=*/false);
    last = StartNode(server.node_, deadline);
    if (last.ok()) return server;
  }
  return last.ok() ? TimeoutError("redis-server did not start in time") : last;
}

LocalRedisServer::LocalRedisServer(LocalRedisServer&& other) noexcept
    : node_(std::move(other.node_)), root_(std::move(other.root_)) {
  other.node_.pid = -1;
  other.root_.clear();
}

LocalRedisServer& LocalRedisServer::operator=(LocalRedisServer&& other) noexcept {
  if (this != &other) {
    Kill();
    RemoveTree(root_);
    node_ = std::move(other.node_);
    root_ = std::move(other.root_);
    other.node_.pid = -1;
    other.root_.clear();
  }
  return *this;
}

LocalRedisServer::~LocalRedisServer() {
  Kill();
  RemoveTree(root_);
}

std::string LocalRedisServer::address() const { return "127.0.0.1:" + std::to_string(node_.port); }

void LocalRedisServer::Kill() { KillAndReap(node_.pid); }

// ---- LocalRedisCluster ------------------------------------------------------------------------

Result<LocalRedisCluster> LocalRedisCluster::Start(std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  Status last = Status::Ok();
  for (int attempt = 0; attempt < 3 && Clock::now() < deadline; ++attempt) {
    LocalRedisCluster cluster;
    cluster.root_ = TempRoot("redis-cluster");
    if (cluster.root_.empty()) return IoError(std::string("mkdtemp: ") + strerror(errno));
    std::set<int> taken;
    last = Status::Ok();
    for (int i = 0; i < kNodes && last.ok(); ++i) {
      auto port = PickPort(taken, /*with_bus=*/true);
      if (!port.has_value()) return port.status();
      RedisNodeProcess node;
      node.port = *port;
      node.dir = cluster.root_ + "/node" + std::to_string(i);
      std::filesystem::create_directories(node.dir);
      node.argv = NodeArgv(*port, node.dir, /*cluster=*/true);
      last = StartNode(node, deadline);
      cluster.nodes_.push_back(std::move(node));
    }
    if (!last.ok()) continue;  // a port was taken in between: new ports

    std::vector<std::string> create = {"redis-cli", "--cluster", "create"};
    for (const auto& n : cluster.nodes_) create.push_back("127.0.0.1:" + std::to_string(n.port));
    create.insert(create.end(), {"--cluster-replicas", "1", "--cluster-yes"});
    const std::string log = cluster.root_ + "/create.log";
    auto cli = SpawnLogged(create, log);
    if (!cli.has_value()) return cli.status();
    pid_t cli_pid = *cli;
    int status = 0;
    while (!Exited(cli_pid, &status)) {
      if (Clock::now() > deadline) {
        KillAndReap(cli_pid);
        return TimeoutError("redis-cli --cluster create did not finish in time: " + ReadTail(log));
      }
      PollPause();
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
      return InternalError("redis-cli --cluster create failed: " + ReadTail(log));

    // Healthy: every node sees all slots ok, each master has its replica in sync.
    while (true) {
      bool all = true;
      for (const auto& n : cluster.nodes_) {
        if (!NodeHealthy(n.port)) {
          all = false;
          break;
        }
        auto repl = RedisCommand(n.port, {"INFO", "replication"}, std::chrono::milliseconds(500));
        if (!repl.has_value()) {
          all = false;
          break;
        }
        const std::string role = InfoField(*repl, "role");
        if ((role == "master" && InfoField(*repl, "connected_slaves") != "1") ||
            (role == "slave" && InfoField(*repl, "master_link_status") != "up")) {
          all = false;
          break;
        }
      }
      if (all) return cluster;
      if (Clock::now() > deadline)
        return TimeoutError("the local Redis Cluster did not become healthy in time");
      PollPause();
    }
  }
  return last.ok() ? TimeoutError("the local Redis Cluster did not start in time") : last;
}

LocalRedisCluster::LocalRedisCluster(LocalRedisCluster&& other) noexcept
    : nodes_(std::move(other.nodes_)), root_(std::move(other.root_)) {
  other.nodes_.clear();
  other.root_.clear();
}

LocalRedisCluster& LocalRedisCluster::operator=(LocalRedisCluster&& other) noexcept {
  if (this != &other) {
    KillAll();
    RemoveTree(root_);
    nodes_ = std::move(other.nodes_);
    root_ = std::move(other.root_);
    other.nodes_.clear();
    other.root_.clear();
  }
  return *this;
}

LocalRedisCluster::~LocalRedisCluster() {
  KillAll();
  RemoveTree(root_);
}

std::vector<int> LocalRedisCluster::ports() const {
  std::vector<int> out;
  for (const auto& n : nodes_) out.push_back(n.port);
  return out;
}

std::string LocalRedisCluster::nodes_csv() const {
  std::string out;
  for (const auto& n : nodes_) {
    if (!out.empty()) out += ',';
    out += "127.0.0.1:" + std::to_string(n.port);
  }
  return out;
}

bool LocalRedisCluster::running(int port) const {
  for (const auto& n : nodes_)
    if (n.port == port) return n.pid > 0;
  return false;
}

Result<std::vector<int>> LocalRedisCluster::MasterPorts() const {
  std::vector<int> out;
  for (const auto& n : nodes_) {
    if (n.pid <= 0) continue;
    auto repl = RedisCommand(n.port, {"INFO", "replication"}, std::chrono::milliseconds(500));
    if (!repl.has_value()) return repl.status();
    if (InfoField(*repl, "role") == "master") out.push_back(n.port);
  }
  return out;
}

RedisNodeProcess* LocalRedisCluster::Find(int port) {
  for (auto& n : nodes_)
    if (n.port == port) return &n;
  return nullptr;
}

Status LocalRedisCluster::KillNode(int port) {
  RedisNodeProcess* node = Find(port);
  if (!node) return InvalidArgumentError("no cluster node on port " + std::to_string(port));
  KillAndReap(node->pid);
  return Status::Ok();
}

Status LocalRedisCluster::RestartNode(int port, std::chrono::milliseconds timeout) {
  RedisNodeProcess* node = Find(port);
  if (!node) return InvalidArgumentError("no cluster node on port " + std::to_string(port));
  if (node->pid > 0) return Status::Ok();
  return StartNode(*node, Clock::now() + timeout);
}

Status LocalRedisCluster::WaitHealthy(std::chrono::milliseconds timeout) const {
  const auto deadline = Clock::now() + timeout;
  while (true) {
    bool all = true;
    for (const auto& n : nodes_) {
      if (n.pid > 0 && !NodeHealthy(n.port)) {
        all = false;
        break;
      }
    }
    // Every slot range is served by a master that is running (a killed master is replaced).
    for (const auto& n : nodes_) {
      if (!all || n.pid <= 0) continue;
      auto nodes = RedisCommand(n.port, {"CLUSTER", "NODES"}, std::chrono::milliseconds(500));
      if (!nodes.has_value()) {
        all = false;
        break;
      }
      std::istringstream lines(*nodes);
      std::string line;
      while (all && std::getline(lines, line)) {
        // <id> <ip:port@bus> <flags> <master> <ping> <pong> <epoch> <link> [slots…]
        std::istringstream fields(line);
        std::vector<std::string> f;
        std::string field;
        while (fields >> field) f.push_back(field);
        if (f.size() < 9 || f[2].find("master") == std::string::npos) continue;
        const int port = std::atoi(f[1].substr(f[1].find(':') + 1).c_str());
        if (!running(port) || f[2].find("fail") != std::string::npos) all = false;
      }
    }
    if (all) return Status::Ok();
    if (Clock::now() > deadline) return TimeoutError("the Redis Cluster is not healthy in time");
    PollPause();
  }
}

void LocalRedisCluster::KillAll() {
  for (auto& n : nodes_) KillAndReap(n.pid);
}

}  // namespace blockhub::testing
