// blockhub-bench redis: the same workload, driven by the same load generator, against a Redis
// server doing what a team would otherwise build by hand — the baseline, made as good as we can.
//
// Data layout: ONE Redis key per block key, the raw key bytes (binary-safe). Its value is either a
// stored block, "S" ‖ lp16(value) ‖ value ‖ metadata (no TTL), or a lease, "L" ‖ owner:u64 with a
// PX TTL. One key per block lets a single `SET k lease NX PX ttl GET` (Redis >= 7.0) decide the
// common cases of CanOffload in one call, where a "block:k" + "lease:k" pair needs two or three.
//
// Per batch, one round trip, with the same per-key semantics as the hub (PROTOCOL.md §5):
// - CanOffload: EVALSHA of kCanOffloadScript: AlreadyStored if stored; Granted if the SET NX PX
//   took, or if the caller already owns the lease (then PEXPIRE refreshes it); else Leased.
// - Register / RegisterSync: EVALSHA of kRegisterScript: absent -> stored (SET NX); leased ->
//   stored over the lease (the SET clears the TTL: the lease is dropped); stored -> AlreadyStored.
// - Match: MGET (no script needed); entries are the values that are stored blocks.
// Scripts are loaded once (SCRIPT LOAD) per connection. Each client has its own TCP connection to
// 127.0.0.1 and keeps --inflight commands pipelined (redisAppendCommandArgv + redisGetReply).
// Fire-and-forget Register runs under `CLIENT REPLY OFF`; its barrier is `CLIENT REPLY ON`, whose
// OK comes back after every earlier command of the connection has been executed.
//
// `free-port` prints a free loopback TCP port (used by scripts/bench.sh to start redis-server).
#include <arpa/inet.h>
#include <hiredis/hiredis.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "common/bytes.h"
#include "tools/bench/bench_command.h"
#include "tools/bench/loadgen_driver.h"

namespace blockhub::bench {
namespace {

// KEYS: block keys. ARGV[1]: lease value ("L" ‖ owner), ARGV[2]: lease TTL in ms.
// Returns one status byte per key: 0 Granted, 1 AlreadyStored, 2 Leased.
constexpr const char* kCanOffloadScript = R"lua(
local lease, ttl = ARGV[1], ARGV[2]
local out, parts = {}, {}
for i = 1, #KEYS do
  local old = redis.call('SET', KEYS[i], lease, 'NX', 'PX', ttl, 'GET')
  local s = 0
  if old then
    if string.byte(old, 1) == 83 then s = 1
    elseif old == lease then redis.call('PEXPIRE', KEYS[i], ttl)
    else s = 2 end
  end
  out[#out + 1] = s
  if #out == 4096 then parts[#parts + 1] = string.char(unpack(out)); out = {} end
end
if #out > 0 then parts[#parts + 1] = string.char(unpack(out)) end
return table.concat(parts)
)lua";

// KEYS: block keys. ARGV[i]: the stored record of KEYS[i] ("S" ‖ lp16 value ‖ value ‖ metadata).
// Returns one status byte per key: 0 Stored, 1 AlreadyStored.
constexpr const char* kRegisterScript = R"lua(
local out, parts = {}, {}
for i = 1, #KEYS do
  local old = redis.call('SET', KEYS[i], ARGV[i], 'NX', 'GET')
  local s = 0
  if old then
    if string.byte(old, 1) == 83 then s = 1
    else redis.call('SET', KEYS[i], ARGV[i]) end
  end
  out[#out + 1] = s
  if #out == 4096 then parts[#parts + 1] = string.char(unpack(out)); out = {} end
end
if #out > 0 then parts[#parts + 1] = string.char(unpack(out)) end
return table.concat(parts)
)lua";

struct RedisOptions {
  std::string host = "127.0.0.1";
  int port = 6379;
};

struct ContextFree {
  void operator()(redisContext* c) const { redisFree(c); }
};
struct ReplyFree {
  void operator()(redisReply* r) const { freeReplyObject(r); }
};
using ReplyPtr = std::unique_ptr<redisReply, ReplyFree>;

class RedisConnection final : public Connection {
 public:
  RedisConnection(redisContext* c, uint64_t client_id, uint32_t lease_ttl_ms, uint32_t inflight)
      : ctx_(c), ttl_(std::to_string(lease_ttl_ms)), lease_(9, 'L'), push_flush_every_(inflight) {
    StoreU64(lease_.data() + 1, client_id);
  }

  // Loads both scripts (SCRIPT LOAD is idempotent; the server keeps one copy).
  Status LoadScripts() {
    for (auto [script, sha] : {std::pair{kCanOffloadScript, &can_offload_sha_},
                               std::pair{kRegisterScript, &register_sha_}}) {
      ReplyPtr r(static_cast<redisReply*>(redisCommand(ctx_.get(), "SCRIPT LOAD %s", script)));
      if (!r) return UnavailableError(std::string("SCRIPT LOAD: ") + ctx_->errstr);
      if (r->type != REDIS_REPLY_STRING)
        return Status(StatusCode::kRemoteError, "SCRIPT LOAD failed");
      sha->assign(r->str, r->len);
    }
    return Status::Ok();
  }

  Status Send(uint32_t tag, RequestKind kind, const KeyBatch& keys) override {
    if (kind == RequestKind::kRegister && !replies_off_) {
      if (Status s = AppendArgs({"CLIENT", "REPLY", "OFF"}); !s.ok()) return s;
      replies_off_ = true;
    }
    BuildArgs(kind, keys);
    if (redisAppendCommandArgv(ctx_.get(), static_cast<int>(argv_.size()), argv_.data(),
                               argl_.data()) != REDIS_OK) {
      return UnavailableError(std::string("append: ") + ctx_->errstr);
    }
    if (kind == RequestKind::kRegister) {
      // No reply will pull the bytes out: write them, in chunks of --inflight commands (big
      // writes, and TCP back-pressure bounds what is queued).
      return ++unflushed_pushes_ >= push_flush_every_ ? Flush() : Status::Ok();
    }
    pending_.push_back({tag, kind});
    return Status::Ok();
  }

  Result<std::optional<Reply>> Receive(bool wait, int timeout_ms) override {
    void* raw = nullptr;
    if (wait) {
      const timeval tv{timeout_ms / 1000, (timeout_ms % 1000) * 1000};
      redisSetTimeout(ctx_.get(), tv);
      if (redisGetReply(ctx_.get(), &raw) != REDIS_OK) {
        return UnavailableError(std::string("reply: ") + ctx_->errstr);
      }
    } else if (redisReaderGetReply(ctx_->reader, &raw) != REDIS_OK) {
      return UnavailableError("reply: protocol error");
    }
    if (raw == nullptr) return std::optional<Reply>();
    ReplyPtr r(static_cast<redisReply*>(raw));
    if (pending_.empty()) return InternalError("a reply with no request in flight");
    Reply reply{pending_.front().first, pending_.front().second, {}};
    pending_.pop_front();
    if (Status s = TallyReply(*r, reply); !s.ok()) return s;
    return std::optional<Reply>(reply);
  }

  Status FinishPushes(int timeout_ms) override {
    if (!replies_off_) return Status::Ok();
    if (Status s = AppendArgs({"CLIENT", "REPLY", "ON"}); !s.ok()) return s;  // flushed below
    replies_off_ = false;
    const timeval tv{timeout_ms / 1000, (timeout_ms % 1000) * 1000};
    redisSetTimeout(ctx_.get(), tv);
    void* raw = nullptr;
    if (redisGetReply(ctx_.get(), &raw) != REDIS_OK) {
      return UnavailableError(std::string("CLIENT REPLY ON: ") + ctx_->errstr);
    }
    ReplyPtr r(static_cast<redisReply*>(raw));
    if (r->type != REDIS_REPLY_STATUS) return Status(StatusCode::kRemoteError, "CLIENT REPLY ON");
    return Status::Ok();
  }

 private:
  Status AppendArgs(std::initializer_list<const char*> args) {
    std::vector<const char*> v(args);
    if (redisAppendCommandArgv(ctx_.get(), static_cast<int>(v.size()), v.data(), nullptr) !=
        REDIS_OK) {
      return UnavailableError(std::string("append: ") + ctx_->errstr);
    }
    return Status::Ok();
  }

  Status Flush() {
    unflushed_pushes_ = 0;
    int done = 0;
    while (!done) {
      if (redisBufferWrite(ctx_.get(), &done) != REDIS_OK) {
        return UnavailableError(std::string("write: ") + ctx_->errstr);
      }
    }
    return Status::Ok();
  }

  void Arg(const char* p, size_t n) {
    argv_.push_back(p);
    argl_.push_back(n);
  }

  void BuildArgs(RequestKind kind, const KeyBatch& keys) {
    argv_.clear();
    argl_.clear();
    count_ = std::to_string(keys.size());
    if (kind == RequestKind::kMatch) {
      Arg("MGET", 4);
      for (size_t i = 0; i < keys.size(); ++i) Arg(keys.key(i).data(), keys.key(i).size());
      return;
    }
    const bool reg = kind != RequestKind::kCanOffload;
    const std::string& sha = reg ? register_sha_ : can_offload_sha_;
    Arg("EVALSHA", 7);
    Arg(sha.data(), sha.size());
    Arg(count_.data(), count_.size());
    for (size_t i = 0; i < keys.size(); ++i) Arg(keys.key(i).data(), keys.key(i).size());
    if (!reg) {
      Arg(lease_.data(), lease_.size());
      Arg(ttl_.data(), ttl_.size());
      return;
    }
    // Stored records ("S" ‖ lp16 value ‖ value, no metadata), built back to back first so the
    // argument pointers stay valid.
    records_.clear();
    for (size_t i = 0; i < keys.size(); ++i) {
      const std::string_view v = keys.value(i);
      records_.push_back('S');
      records_.push_back(static_cast<char>(v.size() & 0xff));
      records_.push_back(static_cast<char>(v.size() >> 8));
      records_.append(v);
    }
    const size_t rec = records_.size() / keys.size();
    for (size_t i = 0; i < keys.size(); ++i) Arg(records_.data() + i * rec, rec);
  }

  static Status TallyReply(const redisReply& r, Reply& reply) {
    if (r.type == REDIS_REPLY_ERROR) {
      return Status(StatusCode::kRemoteError, std::string(r.str, r.len));
    }
    Tally& t = reply.tally;
    if (reply.kind == RequestKind::kMatch) {
      if (r.type != REDIS_REPLY_ARRAY) return InternalError("MGET: not an array");
      for (size_t i = 0; i < r.elements; ++i) {
        const redisReply* e = r.element[i];
        t.matched += e->type == REDIS_REPLY_STRING && e->len > 0 && e->str[0] == 'S';
      }
      return Status::Ok();
    }
    if (r.type != REDIS_REPLY_STRING) return InternalError("script: not a status string");
    const bool reg = reply.kind == RequestKind::kRegisterSync;
    for (size_t i = 0; i < r.len; ++i) {
      switch (r.str[i]) {
        case 0:
          (reg ? t.stored : t.granted)++;
          break;
        case 1:
          t.already_stored++;
          break;
        default:
          t.leased++;
          break;
      }
    }
    return Status::Ok();
  }

  std::unique_ptr<redisContext, ContextFree> ctx_;
  std::string ttl_;
  std::string lease_;
  std::string can_offload_sha_;
  std::string register_sha_;
  std::string count_;
  std::string records_;
  std::vector<const char*> argv_;
  std::vector<size_t> argl_;
  std::deque<std::pair<uint32_t, RequestKind>> pending_;  // Redis answers in order
  bool replies_off_ = false;
  uint32_t unflushed_pushes_ = 0;
  uint32_t push_flush_every_;
};

class RedisTarget final : public Target {
 public:
  RedisTarget(RedisOptions options, const WorkloadOptions& workload)
      : options_(std::move(options)),
        lease_ttl_ms_(workload.lease_ttl_ms),
        inflight_(workload.inflight) {}

  std::string name() const override { return "redis"; }

  Result<std::unique_ptr<Connection>> Connect(uint32_t, uint64_t client_id) override {
    const timeval tv{5, 0};
    redisContext* c = redisConnectWithTimeout(options_.host.c_str(), options_.port, tv);
    if (c == nullptr) return UnavailableError("redis: out of memory");
    if (c->err != 0) {
      Status s = UnavailableError("redis " + options_.host + ":" + std::to_string(options_.port) +
                                  ": " + c->errstr);
      redisFree(c);
      return s;
    }
    auto conn = std::make_unique<RedisConnection>(c, client_id, lease_ttl_ms_, inflight_);
    if (Status s = conn->LoadScripts(); !s.ok()) return s;
    return std::unique_ptr<Connection>(std::move(conn));
  }

  // Each connection's `CLIENT REPLY ON` round trip (FinishPushes) already proved its pushes ran.
  Status AwaitApplied(uint64_t, int) override { return Status::Ok(); }

 private:
  RedisOptions options_;
  uint32_t lease_ttl_ms_;
  uint32_t inflight_;
};

int RunRedis(int argc, char** argv) {
  CLI::App app{
      "Load generator against redis-server: the same workload with Lua scripts (EVALSHA) "
      "and MGET, pipelined per client"};
  RedisOptions ro;
  WorkloadOptions wo;
  app.add_option("--redis-host", ro.host, "redis-server host (TCP)")->capture_default_str();
  app.add_option("--redis-port", ro.port, "redis-server port")->capture_default_str();
  app.add_option("--lease-timeout-ms", wo.lease_ttl_ms, "lease TTL (PX) granted by CanOffload")
      ->check(CLI::Range(1u, UINT32_MAX))
      ->capture_default_str();
  AddWorkloadOptions(app, wo);
  if (const int code = ParseWorkloadCommand(app, argc, argv, wo); code >= 0) return code;
  RedisTarget target(ro, wo);
  return RunLoad(wo, target);
}

// Binds 127.0.0.1:0, prints the port the kernel chose, closes. (Another process could take it
// before it is used; the caller retries on a failed start.)
int RunFreePort(int, char**) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (fd < 0 || bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    std::perror("free-port");
    if (fd >= 0) close(fd);
    return 1;
  }
  std::printf("%u\n", ntohs(addr.sin_port));
  close(fd);
  return 0;
}

Registrar redis_registrar("redis", "load generator against redis-server (RESULT redis <op> ...)",
                          RunRedis);
Registrar port_registrar("free-port", "print a free TCP port on 127.0.0.1", RunFreePort);

}  // namespace
}  // namespace blockhub::bench
