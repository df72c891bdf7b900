#include "hub/store/redis/redis_connection.h"

#include <hiredis/hiredis.h>
#include <sys/time.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>

namespace blockhub::redis {
namespace {

constexpr Duration kMinWait = std::chrono::milliseconds(1);

timeval ToTimeval(Duration d) {
  const auto us = std::chrono::duration_cast<std::chrono::microseconds>(std::max(d, kMinWait));
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(us.count() / 1000000);
  tv.tv_usec = static_cast<suseconds_t>(us.count() % 1000000);
  return tv;
}

// The time left before `deadline`, capped by `cap` (never below 1 ms: hiredis treats a zero
// timeout as "block forever").
Duration Bounded(Duration cap, TimePoint now, TimePoint deadline) {
  if (deadline == TimePoint::max()) return cap;
  return std::clamp(deadline - now, kMinWait, std::max(cap, kMinWait));
}

Reply Convert(const redisReply* r) {
  switch (r->type) {
    case REDIS_REPLY_INTEGER:
      return Reply::Integer(r->integer);
    case REDIS_REPLY_STRING:
      return Reply::String(std::string(r->str, r->len));
    case REDIS_REPLY_STATUS:
      return Reply::StatusText(std::string(r->str, r->len));
    case REDIS_REPLY_ERROR:
      return Reply::Error(std::string(r->str, r->len));
    case REDIS_REPLY_ARRAY: {
      std::vector<Reply> elements;
      elements.reserve(r->elements);
      for (size_t i = 0; i < r->elements; ++i) elements.push_back(Convert(r->element[i]));
      return Reply::Array(std::move(elements));
    }
    default:
      return Reply::Nil();
  }
}

}  // namespace

void RedisConnection::ContextDeleter::operator()(redisContext* c) const { redisFree(c); }

RedisConnection::RedisConnection(std::string host, int port, ConnectionOptions options)
    : host_(std::move(host)), port_(port), options_(std::move(options)) {}

RedisConnection::RedisConnection(RedisConnection&& other) noexcept = default;
RedisConnection& RedisConnection::operator=(RedisConnection&& other) noexcept = default;
RedisConnection::~RedisConnection() = default;

std::string RedisConnection::address() const { return host_ + ":" + std::to_string(port_); }

TimePoint RedisConnection::Now() const {
  return options_.clock != nullptr ? options_.clock->Now() : steady_.Now();
}

void RedisConnection::Close() {
  ctx_.reset();
  socket_timeout_ = Duration(0);
}

void RedisConnection::NoteConnectFailure() {
  const Duration initial = options_.backoff_initial;
  const Duration cap = std::max<Duration>(options_.backoff_max, initial);
  backoff_ = backoff_ == Duration(0) ? initial : std::min<Duration>(backoff_ * 2, cap);
  next_attempt_ = Now() + backoff_;
}

Status RedisConnection::ContextError(const char* what, int saved_errno) {
  std::string text = address() + ": " + what + ": ";
  const bool timed_out =
      ctx_ && ctx_->err == REDIS_ERR_IO && (saved_errno == EAGAIN || saved_errno == EWOULDBLOCK);
  text += timed_out ? "timed out" : (ctx_ ? std::string(ctx_->errstr) : "out of memory");
  Close();
  return timed_out ? TimeoutError(std::move(text)) : UnavailableError(std::move(text));
}

Status RedisConnection::SetTimeout(Duration d) {
  if (d == socket_timeout_) return Status::Ok();
  if (redisSetTimeout(ctx_.get(), ToTimeval(d)) != REDIS_OK)
    return ContextError("setting the socket timeout", errno);
  socket_timeout_ = d;
  return Status::Ok();
}

Status RedisConnection::ConnectOnce(TimePoint deadline) {
  ++connect_attempts_;
  const TimePoint now = Now();
  ctx_.reset(redisConnectWithTimeout(host_.c_str(), port_,
                                     ToTimeval(Bounded(options_.connect_timeout, now, deadline))));
  if (!ctx_ || ctx_->err) return ContextError("connect", errno);
  if (Status s = SetTimeout(Bounded(options_.command_timeout, now, deadline)); !s.ok()) return s;
  if (options_.password.empty()) return Status::Ok();
  auto auth = Run({"AUTH", options_.password}, deadline);
  if (!auth.has_value()) return auth.status();
  if (auth->is_error()) {
    Close();
    return {StatusCode::kPermissionDenied, address() + ": AUTH refused: " + auth->str};
  }
  return Status::Ok();
}

Status RedisConnection::Connect(TimePoint deadline) {
  if (ctx_) return Status::Ok();
  const TimePoint now = Now();
  if (backoff_ > Duration(0) && now < next_attempt_) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(next_attempt_ - now);
    return UnavailableError(address() + ": backing off for " + std::to_string(left.count()) +
                            " ms after: " + last_connect_error_.message());
  }
  Status s = ConnectOnce(deadline);
  if (s.ok()) {
    backoff_ = Duration(0);
    last_connect_error_ = Status::Ok();
    return s;
  }
  Close();
  NoteConnectFailure();
  last_connect_error_ = s;
  return s;
}

PipelineResult RedisConnection::Pipeline(std::span<const Command> commands, TimePoint deadline) {
  std::vector<const Command*> refs;
  refs.reserve(commands.size());
  for (const Command& c : commands) refs.push_back(&c);
  return PipelineRefs(refs, deadline);
}

PipelineResult RedisConnection::PipelineRefs(std::span<const Command* const> commands,
                                             TimePoint deadline) {
  PipelineResult out;
  if (Now() >= deadline) {
    out.status = TimeoutError(address() + ": the deadline passed before the pipeline was sent");
    return out;
  }
  if (Status s = Connect(deadline); !s.ok()) {
    out.status = std::move(s);
    return out;
  }
  if (Status s = SetTimeout(Bounded(options_.command_timeout, Now(), deadline)); !s.ok()) {
    out.status = std::move(s);
    return out;
  }
  std::vector<const char*> argv;
  std::vector<size_t> lens;
  for (const Command* command_ptr : commands) {
    const Command& command = *command_ptr;
    argv.clear();
    lens.clear();
    for (const std::string& arg : command) {
      argv.push_back(arg.data());
      lens.push_back(arg.size());
    }
    if (command.empty() || redisAppendCommandArgv(ctx_.get(), static_cast<int>(argv.size()),
                                                  argv.data(), lens.data()) != REDIS_OK) {
      // Nothing was written yet (hiredis writes on the first read): drop the buffered commands.
      Close();
      out.status = command.empty() ? InvalidArgumentError("an empty command")
                                   : InternalError(address() + ": out of memory");
      return out;
    }
  }
  out.sent = true;
  out.replies.reserve(commands.size());
  for (size_t i = 0; i < commands.size(); ++i) {
    void* raw = nullptr;
    const int rc = redisGetReply(ctx_.get(), &raw);
    const int saved_errno = errno;
    std::unique_ptr<redisReply, void (*)(void*)> reply(static_cast<redisReply*>(raw),
                                                       freeReplyObject);
    if (rc != REDIS_OK || !reply) {
      out.status = ContextError("reading a reply", saved_errno);
      return out;
    }
    out.replies.push_back(Convert(reply.get()));
  }
  return out;
}

Result<Reply> RedisConnection::Run(const Command& command, TimePoint deadline) {
  const Command* ref = &command;
  PipelineResult r = PipelineRefs(std::span<const Command* const>(&ref, 1), deadline);
  if (!r.status.ok()) return r.status;
  return std::move(r.replies.front());
}

}  // namespace blockhub::redis
