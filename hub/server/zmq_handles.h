// Small RAII owners of libzmq C handles and an eventfd, for HubServer (the only ZeroMQ user in
// hub/). Errors come back as Status (errno text included); nothing throws.
//
// Each handle has one owner and is move-only; a socket must be closed (or destroyed) before its
// context, which HubServer guarantees by member order. Not thread-safe, except EventFd::Signal,
// which is thread-safe and async-signal-safe.
#pragma once

#include <zmq.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

#include "common/status.h"

namespace blockhub {

class ZmqContext {
 public:
  ZmqContext() = default;
  ZmqContext(const ZmqContext&) = delete;
  ZmqContext& operator=(const ZmqContext&) = delete;
  ~ZmqContext();
  Status Open();
  void* get() const { return ctx_; }

 private:
  void* ctx_ = nullptr;
};

class ZmqSocket {
 public:
  ZmqSocket() = default;
  ZmqSocket(const ZmqSocket&) = delete;
  ZmqSocket& operator=(const ZmqSocket&) = delete;
  ~ZmqSocket() { Close(); }

  // Creates the socket with send/receive high-water marks and a bounded linger (ms).
  Status Open(const ZmqContext& context, int type, int hwm, int linger_ms);
  Status SetInt(int option, int value);
  Status SetInt64(int option, int64_t value);
  // Binds and returns the bound endpoint (ZMQ_LAST_ENDPOINT, wildcard ports resolved). `role`
  // names the setting in errors ("query" -> "--query-addr ...").
  Result<std::string> Bind(const std::string& endpoint, std::string_view role);
  void Close();
  void* get() const { return socket_; }

 private:
  void* socket_ = nullptr;
};

// A zmq_msg_t reused across receives (zmq_msg_recv releases the previous content).
class ZmqMessage {
 public:
  ZmqMessage() { zmq_msg_init(&msg_); }
  ZmqMessage(const ZmqMessage&) = delete;
  ZmqMessage& operator=(const ZmqMessage&) = delete;
  ~ZmqMessage() { zmq_msg_close(&msg_); }
  zmq_msg_t* get() { return &msg_; }
  std::string_view view() {
    return {static_cast<const char*>(zmq_msg_data(&msg_)), zmq_msg_size(&msg_)};
  }
  // Empties the message (so a message with no data frame reads as zero bytes).
  void Clear() {
    zmq_msg_close(&msg_);
    zmq_msg_init(&msg_);
  }

 private:
  zmq_msg_t msg_;
};

// An eventfd that becomes readable once Signal() is called.
class EventFd {
 public:
  EventFd() = default;
  EventFd(const EventFd&) = delete;
  EventFd& operator=(const EventFd&) = delete;
  ~EventFd();
  Status Open();
  void Signal();  // async-signal-safe
  void Drain();   // clears the counter (the fd stops being readable)
  int fd() const { return fd_; }

 private:
  int fd_ = -1;
};

}  // namespace blockhub
