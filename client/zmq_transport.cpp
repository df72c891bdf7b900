// The ZeroMQ Transport: per hub a DEALER (queries) + a PUSH (registrations) + a PAIR socket on
// the DEALER's monitor (ZMQ_EVENT_DISCONNECTED: an established connection broke); an eventfd for
// Wake().
// zmq::error_t is caught here and turned into Status.
#include <fmt/format.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <zmq.hpp>

#include "client/transport.h"
#include "codec/events.h"

namespace blockhub {
namespace {

// The CurveZMQ client options (Z85 keys, passed NUL-terminated).
Status SetCurveClient(zmq::socket_t& socket, const ZmqTransportConfig& c) {
  for (auto [option, key] : {std::pair{ZMQ_CURVE_SERVERKEY, &c.curve_server_key},
                             std::pair{ZMQ_CURVE_PUBLICKEY, &c.curve_public_key},
                             std::pair{ZMQ_CURVE_SECRETKEY, &c.curve_secret_key}}) {
    if (zmq_setsockopt(socket.handle(), option, key->c_str(), key->size() + 1) != 0) {
      return InvalidArgumentError(
          fmt::format("CurveZMQ key refused: {}", zmq_strerror(zmq_errno())));
    }
  }
  return Status::Ok();
}

class ZmqTransport final : public Transport {
 public:
  ZmqTransport() = default;
  ~ZmqTransport() override {
    Close(Duration(0));
    if (wake_fd_ >= 0) ::close(wake_fd_);
  }

  Status Open(const ZmqTransportConfig& c) {
    if (c.hubs.empty()) return InvalidArgumentError("no hub endpoints");
    wake_fd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (wake_fd_ < 0) return IoError("eventfd failed");
    try {
      for (const HubEndpoint& hub : c.hubs) {
        zmq::socket_t dealer(ctx_, zmq::socket_type::dealer);
        zmq::socket_t push(ctx_, zmq::socket_type::push);
        dealer.set(zmq::sockopt::routing_id, c.routing_id);
        dealer.set(zmq::sockopt::sndhwm, c.hwm);
        dealer.set(zmq::sockopt::rcvhwm, c.hwm);
        dealer.set(zmq::sockopt::linger, 0);
        push.set(zmq::sockopt::sndhwm, c.hwm);
        push.set(zmq::sockopt::linger, 0);
        if (!c.curve_secret_key.empty()) {
          for (zmq::socket_t* s : {&dealer, &push}) {
            if (Status st = SetCurveClient(*s, c); !st.ok()) return st;
          }
        }
        dealer.connect(hub.query_addr);
        push.connect(hub.register_addr);
        dealers_.push_back(std::move(dealer));
        pushes_.push_back(std::move(push));
        if (c.hubs.size() == 1) continue;  // nothing to fail over to: no monitor
        // The monitor: libzmq publishes the DEALER's disconnects on an inproc PAIR endpoint.
        const std::string monitor_ep = fmt::format("inproc://blockhub-client-monitor-{}-{}",
                                                   static_cast<void*>(this), dealers_.size());
        if (zmq_socket_monitor(dealers_.back().handle(), monitor_ep.c_str(),
                               ZMQ_EVENT_DISCONNECTED) != 0) {
          return InternalError(fmt::format("zmq_socket_monitor: {}", zmq_strerror(zmq_errno())));
        }
        zmq::socket_t monitor(ctx_, zmq::socket_type::pair);
        monitor.set(zmq::sockopt::linger, 0);
        monitor.connect(monitor_ep);
        monitors_.push_back(std::move(monitor));
      }
    } catch (const zmq::error_t& e) {
      return InvalidArgumentError(fmt::format("cannot connect to the hub: {}", e.what()));
    }
    if (!c.events_addr.empty()) {
      if (Status s = OpenEvents(c); !s.ok()) return s;
    }
    items_.resize(2 * dealers_.size() + 4);
    return Status::Ok();
  }

  // The SUB on the hub's events (every event kind and sync batches) and its monitor.
  Status OpenEvents(const ZmqTransportConfig& c) {
    try {
      zmq::socket_t sub(ctx_, zmq::socket_type::sub);
      sub.set(zmq::sockopt::rcvhwm, c.hwm);
      sub.set(zmq::sockopt::linger, 0);
      if (!c.curve_secret_key.empty()) {
        if (Status st = SetCurveClient(sub, c); !st.ok()) return st;
      }
      // Every event kind and the sync batches (so sequence gaps stay visible), nothing else: other
      // topics on the socket (multicasts to members) are not this client's business.
      for (EventKind kind : {EventKind::kStored, EventKind::kRemoved, EventKind::kEvicted}) {
        sub.set(zmq::sockopt::subscribe, EventKindName(kind));
      }
      sub.set(zmq::sockopt::subscribe, kEventSyncTopic);
      const std::string monitor_ep =
          fmt::format("inproc://blockhub-client-events-monitor-{}", static_cast<void*>(this));
      if (zmq_socket_monitor(sub.handle(), monitor_ep.c_str(), ZMQ_EVENT_DISCONNECTED) != 0) {
        return InternalError(fmt::format("zmq_socket_monitor: {}", zmq_strerror(zmq_errno())));
      }
      zmq::socket_t monitor(ctx_, zmq::socket_type::pair);
      monitor.set(zmq::sockopt::linger, 0);
      monitor.connect(monitor_ep);
      sub.connect(c.events_addr);
      sub_ = std::move(sub);
      sub_monitor_ = std::move(monitor);
    } catch (const zmq::error_t& e) {
      return InvalidArgumentError(
          fmt::format("cannot subscribe to the hub's events at '{}': {}", c.events_addr, e.what()));
    }
    return Status::Ok();
  }

  size_t hub_count() const override { return dealers_.size(); }

  Status SendQuery(size_t hub, std::string_view frame) override {
    try {
      auto sent =
          dealers_[hub].send(zmq::buffer(frame.data(), frame.size()), zmq::send_flags::dontwait);
      if (!sent) return UnavailableError("query send queue is full (hwm)");
      return Status::Ok();
    } catch (const zmq::error_t& e) {
      return UnavailableError(fmt::format("query send failed: {}", e.what()));
    }
  }

  Result<bool> TrySendRegistration(size_t hub, std::string_view frame) override {
    try {
      auto sent =
          pushes_[hub].send(zmq::buffer(frame.data(), frame.size()), zmq::send_flags::dontwait);
      return sent.has_value();
    } catch (const zmq::error_t& e) {
      return UnavailableError(fmt::format("registration send failed: {}", e.what()));
    }
  }

  Status Wait(Duration timeout, std::optional<size_t> register_writable,
              std::vector<TransportReply>& replies) override {
    const size_t n = dealers_.size();
    for (size_t i = 0; i < n; ++i) items_[i] = {dealers_[i].handle(), 0, ZMQ_POLLIN, 0};
    items_[n] = {nullptr, wake_fd_, ZMQ_POLLIN, 0};
    const size_t m = monitors_.size();  // 0 (one hub) or n
    for (size_t i = 0; i < m; ++i) items_[n + 1 + i] = {monitors_[i].handle(), 0, ZMQ_POLLIN, 0};
    size_t count = n + 1 + m;
    if (sub_) {
      items_[count++] = {sub_.handle(), 0, ZMQ_POLLIN, 0};
      items_[count++] = {sub_monitor_.handle(), 0, ZMQ_POLLIN, 0};
    }
    if (register_writable)
      items_[count++] = {pushes_[*register_writable].handle(), 0, ZMQ_POLLOUT, 0};
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(timeout);
    if (ms.count() < 0) ms = std::chrono::milliseconds(0);
    if (ms < timeout) ms += std::chrono::milliseconds(1);  // round up: never spin before a deadline
    try {
      zmq::poll(items_.data(), count, ms);
      if (items_[n].revents & ZMQ_POLLIN) {
        uint64_t counter = 0;
        [[maybe_unused]] auto got = ::read(wake_fd_, &counter, sizeof(counter));
      }
      // Drain every reply already here, not just the ones that woke us.
      for (size_t i = 0; i < n; ++i) {
        zmq::message_t msg;
        while (dealers_[i].recv(msg, zmq::recv_flags::dontwait)) {
          replies.push_back(
              {i, std::string(static_cast<const char*>(msg.data()), msg.size()), false});
        }
      }
      // Monitor events: two frames each, the first starting with the event number (u16).
      for (size_t i = 0; i < m; ++i) {
        zmq::message_t event;
        while (monitors_[i].recv(event, zmq::recv_flags::dontwait)) {
          uint16_t id = 0;
          if (event.size() >= sizeof(id)) std::memcpy(&id, event.data(), sizeof(id));
          zmq::message_t address;
          while (event.more() && monitors_[i].recv(address, zmq::recv_flags::dontwait)) {
            if (!address.more()) break;
          }
          if (id == ZMQ_EVENT_DISCONNECTED) replies.push_back({i, std::string(), true});
        }
      }
      if (sub_) DrainEvents(replies);
    } catch (const zmq::error_t& e) {
      return UnavailableError(fmt::format("transport wait failed: {}", e.what()));
    }
    return Status::Ok();
  }

  // Event messages after the replies drained with them: a reply and the event of a later change
  // seen in one Wait are handled in that order.
  void DrainEvents(std::vector<TransportReply>& replies) {
    zmq::message_t topic;
    while (sub_.recv(topic, zmq::recv_flags::dontwait)) {
      zmq::message_t body;
      bool have_body = false;
      while (topic.more()) {  // topic, body (anything longer is not ours: the body is the last)
        if (!sub_.recv(body, zmq::recv_flags::none)) break;
        have_body = true;
        if (!body.more()) break;
      }
      TransportReply r;
      const std::string_view t(static_cast<const char*>(topic.data()), topic.size());
      (t.starts_with(kMemberTopicPrefix) ? r.multicast : r.event) = true;
      if (have_body) r.frame.assign(static_cast<const char*>(body.data()), body.size());
      replies.push_back(std::move(r));  // an empty frame is malformed for the client to count
    }
    zmq::message_t event;
    while (sub_monitor_.recv(event, zmq::recv_flags::dontwait)) {
      uint16_t id = 0;
      if (event.size() >= sizeof(id)) std::memcpy(&id, event.data(), sizeof(id));
      zmq::message_t address;
      while (event.more() && sub_monitor_.recv(address, zmq::recv_flags::dontwait)) {
        if (!address.more()) break;
      }
      if (id == ZMQ_EVENT_DISCONNECTED) {
        TransportReply r;
        r.events_lost = true;
        replies.push_back(std::move(r));
      }
    }
  }

  Status Subscribe(std::string_view topic, bool on) override {
    if (!sub_) return Status::Ok();
    try {
      if (on) {
        sub_.set(zmq::sockopt::subscribe, topic);
      } else {
        sub_.set(zmq::sockopt::unsubscribe, topic);
      }
    } catch (const zmq::error_t& e) {
      return UnavailableError(fmt::format("events subscription failed: {}", e.what()));
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
      for (auto& push : pushes_) {
        push.set(zmq::sockopt::linger, static_cast<int>(std::max<int64_t>(ms.count(), 0)));
      }
      if (!monitors_.empty()) {
        for (auto& dealer : dealers_) (void)zmq_socket_monitor(dealer.handle(), nullptr, 0);
      }
      for (auto& monitor : monitors_) monitor.close();
      if (sub_) {
        (void)zmq_socket_monitor(sub_.handle(), nullptr, 0);
        sub_monitor_.close();
        sub_.close();
      }
      for (auto& dealer : dealers_) dealer.close();
      for (auto& push : pushes_) push.close();
      ctx_.close();  // blocks at most `linger` for queued registrations
    } catch (const zmq::error_t&) {
      // Closing cannot fail in a way the caller could act on.
    }
  }

 private:
  zmq::context_t ctx_{1};
  std::vector<zmq::socket_t> dealers_;
  std::vector<zmq::socket_t> pushes_;
  std::vector<zmq::socket_t> monitors_;  // PAIR, one per DEALER
  zmq::socket_t sub_;                    // change events (when configured)
  zmq::socket_t sub_monitor_;            // PAIR on the SUB's monitor
  std::vector<zmq::pollitem_t> items_;
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
