#include "hub/server/zmq_handles.h"

#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>

namespace blockhub {
namespace {

std::string ZmqErrorText() { return zmq_strerror(zmq_errno()); }

}  // namespace

ZmqContext::~ZmqContext() {
  if (ctx_ != nullptr) {
    while (zmq_ctx_term(ctx_) != 0 && zmq_errno() == EINTR) {
    }
  }
}

Status ZmqContext::Open() {
  ctx_ = zmq_ctx_new();
  if (ctx_ == nullptr) return InternalError("zmq_ctx_new: " + ZmqErrorText());
  return Status::Ok();
}

Status ZmqSocket::Open(const ZmqContext& context, int type, int hwm, int linger_ms) {
  socket_ = zmq_socket(context.get(), type);
  if (socket_ == nullptr) return InternalError("zmq_socket: " + ZmqErrorText());
  for (auto [option, value] :
       {std::pair{ZMQ_SNDHWM, hwm}, std::pair{ZMQ_RCVHWM, hwm}, std::pair{ZMQ_LINGER, linger_ms}}) {
    if (Status s = SetInt(option, value); !s.ok()) return s;
  }
  return Status::Ok();
}

Status ZmqSocket::SetInt(int option, int value) {
  if (zmq_setsockopt(socket_, option, &value, sizeof(value)) != 0) {
    return InternalError("zmq_setsockopt(" + std::to_string(option) + "): " + ZmqErrorText());
  }
  return Status::Ok();
}

Status ZmqSocket::SetInt64(int option, int64_t value) {
  if (zmq_setsockopt(socket_, option, &value, sizeof(value)) != 0) {
    return InternalError("zmq_setsockopt(" + std::to_string(option) + "): " + ZmqErrorText());
  }
  return Status::Ok();
}

Result<std::string> ZmqSocket::Bind(const std::string& endpoint, std::string_view role) {
  if (zmq_bind(socket_, endpoint.c_str()) != 0) {
    const int err = zmq_errno();
    const std::string text =
        "--" + std::string(role) + "-addr " + endpoint + ": cannot bind: " + zmq_strerror(err);
    // A malformed endpoint is a configuration error; anything else (in use, no permission) is not.
    if (err == EINVAL || err == EPROTONOSUPPORT || err == ENOCOMPATPROTO || err == ENODEV) {
      return InvalidArgumentError(text);
    }
    return UnavailableError(text);
  }
  char buf[1024];
  size_t len = sizeof(buf);
  if (zmq_getsockopt(socket_, ZMQ_LAST_ENDPOINT, buf, &len) != 0 || len == 0) {
    return InternalError("ZMQ_LAST_ENDPOINT: " + ZmqErrorText());
  }
  return std::string(buf, len - 1);  // len counts the terminating NUL
}

void ZmqSocket::Close() {
  if (socket_ != nullptr) {
    zmq_close(socket_);
    socket_ = nullptr;
  }
}

EventFd::~EventFd() {
  if (fd_ >= 0) close(fd_);
}

Status EventFd::Open() {
  fd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (fd_ < 0) return InternalError(std::string("eventfd: ") + strerror(errno));
  return Status::Ok();
}

void EventFd::Signal() {
  const uint64_t one = 1;
  // Async-signal-safe; a full counter (impossible in practice) still leaves the fd readable.
  [[maybe_unused]] ssize_t n = write(fd_, &one, sizeof(one));
}

void EventFd::Drain() {
  uint64_t value = 0;
  [[maybe_unused]] ssize_t n = read(fd_, &value, sizeof(value));  // non-blocking; resets to 0
}

}  // namespace blockhub
