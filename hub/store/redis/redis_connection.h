// RedisConnection: one blocking hiredis connection to HOST:PORT — connect and command timeouts,
// optional AUTH, reconnect with bounded exponential backoff, and pipelining (append N commands in
// argv form, binary-safe, then read N replies). Errors are Status values; nothing throws and
// nothing aborts (hiredis's out-of-memory paths included).
//
// Reconnects: a connection that failed (I/O error, timeout, protocol error) is closed; the next
// call connects again. A failed connect (or refused AUTH) arms a backoff: until it elapses, calls
// fail at once with kUnavailable without touching the network; the delay doubles from
// `backoff_initial` up to `backoff_max` and resets after a successful connect.
//
// At-least-once: when a pipeline fails after it was written, the commands without a reply may or
// may not have been applied by the server; a caller that sends them again must make them
// idempotent (e.g. scripts that check before they write).
//
// Ownership and threading: move-only, one owner; not thread-safe (one thread at a time). The
// password is held in memory for reconnects; the caller reads it from its file.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/status.h"
#include "hub/store/redis/reply.h"

struct redisContext;  // hiredis; kept out of this header

namespace blockhub::redis {

struct ConnectionOptions {
  std::chrono::milliseconds connect_timeout{1000};
  std::chrono::milliseconds command_timeout{1000};  // per socket read/write of a pipeline
  std::string password;                             // non-empty: AUTH after every connect
  std::chrono::milliseconds backoff_initial{10};
  std::chrono::milliseconds backoff_max{1000};
  // The time source of the backoff and of deadlines; nullptr: an internal SteadyClock. Must
  // outlive the connection.
  const Clock* clock = nullptr;
};

struct PipelineResult {
  // replies[i] answers commands[i]. On failure it holds the replies read before the failure
  // (possibly none): those commands were applied; the rest may or may not have been.
  std::vector<Reply> replies;
  Status status;      // ok iff every command got its reply
  bool sent = false;  // false: the failure came before anything was written (nothing applied)
};

class RedisConnection {
 public:
  RedisConnection(std::string host, int port, ConnectionOptions options = {});
  RedisConnection(RedisConnection&& other) noexcept;
  RedisConnection& operator=(RedisConnection&& other) noexcept;
  RedisConnection(const RedisConnection&) = delete;
  RedisConnection& operator=(const RedisConnection&) = delete;
  ~RedisConnection();

  const std::string& host() const { return host_; }
  int port() const { return port_; }
  std::string address() const;  // "host:port"
  bool connected() const { return ctx_ != nullptr; }

  // Connects (and AUTHs) now unless already connected; fails at once while backing off. The
  // attempt is bounded by min(connect_timeout, deadline - now).
  Status Connect(TimePoint deadline = TimePoint::max());
  // Connects if needed, writes every command, reads one reply per command. Each socket wait is
  // bounded by min(command_timeout, deadline - now). An error reply is a Reply, not a failure.
  PipelineResult Pipeline(std::span<const Command> commands, TimePoint deadline = TimePoint::max());
  // The same, for commands that live elsewhere (no copies); every pointer must be non-null.
  PipelineResult PipelineRefs(std::span<const Command* const> commands,
                              TimePoint deadline = TimePoint::max());
  // One command: its reply, or the failure.
  Result<Reply> Run(const Command& command, TimePoint deadline = TimePoint::max());
  // Drops the connection (no backoff); the next call reconnects.
  void Close();

  uint64_t connect_attempts() const { return connect_attempts_; }
  // The delay armed by the last failed connect (zero after a success).
  Duration backoff() const { return backoff_; }

 private:
  struct ContextDeleter {
    void operator()(redisContext* c) const;
  };

  TimePoint Now() const;
  Status ConnectOnce(TimePoint deadline);
  Status SetTimeout(Duration d);
  Status ContextError(const char* what, int saved_errno);
  void NoteConnectFailure();

  std::string host_;
  int port_ = 0;
  ConnectionOptions options_;
  SteadyClock steady_;
  std::unique_ptr<redisContext, ContextDeleter> ctx_;
  Duration socket_timeout_{0};  // the timeout last set on the socket
  Duration backoff_{0};
  TimePoint next_attempt_{};
  Status last_connect_error_;
  uint64_t connect_attempts_ = 0;
};

}  // namespace blockhub::redis
