// The ZeroMQ Transport: DEALER (queries) + PUSH (registrations) + an eventfd for Wake().
// zmq::error_t is caught here and turned into Status.
#include <fmt/format.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <chrono>
#include <zmq.hpp>

#include "client/transport.h"

namespace blockhub {
namespace {

class ZmqTransport final : public Transport {
 public:
  ZmqTransport() : dealer_(ctx_, zmq::socket_type::dealer), push_(ctx_, zmq::socket_type::push) {}
  ~ZmqTransport() override {
    Close(Duration(0));
    if (wake_fd_ >= 0) ::close(wake_fd_);
  }

  Status Open(const ZmqTransportConfig& c) {
    wake_fd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (wake_fd_ < 0) return IoError("eventfd failed");
    try {
      dealer_.set(zmq::sockopt::routing_id, c.routing_id);
      dealer_.set(zmq::sockopt::sndhwm, c.hwm);
      dealer_.set(zmq::sockopt::rcvhwm, c.hwm);
      dealer_.set(zmq::sockopt::linger, 0);
      push_.set(zmq::sockopt::sndhwm, c.hwm);
      push_.set(zmq::sockopt::linger, 0);
      dealer_.connect(c.query_addr);
      push_.connect(c.register_addr);
    } catch (const zmq::error_t& e) {
      return InvalidArgumentError(fmt::format("cannot connect to the hub: {}", e.what()));
    }
    return Status::Ok();
  }

  Status SendQuery(std::string_view frame) override {
    try {
      auto sent = dealer_.send(zmq::buffer(frame.data(), frame.size()), zmq::send_flags::dontwait);
      if (!sent) return UnavailableError("query send queue is full (hwm)");
      return Status::Ok();
    } catch (const zmq::error_t& e) {
      return UnavailableError(fmt::format("query send failed: {}", e.what()));
    }
  }

  Result<bool> TrySendRegistration(std::string_view frame) override {
    try {
      auto sent = push_.send(zmq::buffer(frame.data(), frame.size()), zmq::send_flags::dontwait);
      return sent.has_value();
    } catch (const zmq::error_t& e) {
      return UnavailableError(fmt::format("registration send failed: {}", e.what()));
    }
  }

  Status Wait(Duration timeout, bool want_register_writable,
              std::vector<std::string>& replies) override {
    zmq::pollitem_t items[3] = {
        {dealer_.handle(), 0, ZMQ_POLLIN, 0},
        {nullptr, wake_fd_, ZMQ_POLLIN, 0},
        {push_.handle(), 0, static_cast<short>(want_register_writable ? ZMQ_POLLOUT : 0), 0},
    };
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(timeout);
    if (ms.count() < 0) ms = std::chrono::milliseconds(0);
    if (ms < timeout) ms += std::chrono::milliseconds(1);  // round up: never spin before a deadline
    try {
      zmq::poll(items, want_register_writable ? 3 : 2, ms);
      if (items[1].revents & ZMQ_POLLIN) {
        uint64_t counter = 0;
        [[maybe_unused]] auto n = ::read(wake_fd_, &counter, sizeof(counter));
      }
      // Drain every reply already here, not just the one that woke us.
      zmq::message_t msg;
      while (dealer_.recv(msg, zmq::recv_flags::dontwait)) {
        replies.emplace_back(static_cast<const char*>(msg.data()), msg.size());
      }
    } catch (const zmq::error_t& e) {
      return UnavailableError(fmt::format("transport wait failed: {}", e.what()));
    }
    return Status::Ok();
  }

  void Wake() override {
    uint64_t one = 1;
    [[maybe_unused]] auto n = ::write(wake_fd_, &one, sizeof(one));
  }

  void Close(Duration linger) override {
    if (closed_) return;
    closed_ = true;
    try {
      auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(linger);
      push_.set(zmq::sockopt::linger, static_cast<int>(std::max<int64_t>(ms.count(), 0)));
      dealer_.close();
      push_.close();
      ctx_.close();  // blocks at most `linger` for queued registrations
    } catch (const zmq::error_t&) {
      // Closing cannot fail in a way the caller could act on.
    }
  }

 private:
  zmq::context_t ctx_{1};
  zmq::socket_t dealer_;
  zmq::socket_t push_;
  int wake_fd_ = -1;
  bool closed_ = false;
};

}  // namespace

Result<std::unique_ptr<Transport>> MakeZmqTransport(const ZmqTransportConfig& config) {
  auto t = std::make_unique<ZmqTransport>();
  if (Status s = t->Open(config); !s.ok()) return s;
  return std::unique_ptr<Transport>(std::move(t));
}

}  // namespace blockhub
