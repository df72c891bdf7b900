#include "tests/client/fake_hub.h"

#include <doctest/doctest.h>

#include "codec/codec.h"
#include "common/bytes.h"

namespace blockhub::testing {

FakeHub::FakeHub() : router_(ctx_, zmq::socket_type::router), pull_(ctx_, zmq::socket_type::pull) {
  router_.set(zmq::sockopt::linger, 0);
  pull_.set(zmq::sockopt::linger, 0);
  router_.bind("tcp://127.0.0.1:*");
  pull_.bind("tcp://127.0.0.1:*");
  query_endpoint_ = router_.get(zmq::sockopt::last_endpoint);
  register_endpoint_ = pull_.get(zmq::sockopt::last_endpoint);
  thread_ = std::thread([this] { Loop(); });
}

FakeHub::~FakeHub() {
  stop_ = true;
  thread_.join();
}

void FakeHub::Loop() {
  while (!stop_) {
    zmq::pollitem_t items[] = {{router_.handle(), 0, ZMQ_POLLIN, 0},
                               {pull_.handle(), 0, ZMQ_POLLIN, 0}};
    // The tick bounds how fast queued replies and stop_ are noticed; it is not a synchronisation.
    zmq::poll(items, 2, std::chrono::milliseconds(2));
    {
      std::lock_guard lock(mu_);
      while (!outbox_.empty()) {
        auto [rid, frame] = std::move(outbox_.front());
        outbox_.pop_front();
        router_.send(zmq::buffer(rid), zmq::send_flags::sndmore);
        router_.send(zmq::buffer(frame), zmq::send_flags::none);
      }
    }
    zmq::message_t id, data;
    while (router_.recv(id, zmq::recv_flags::dontwait)) {
      std::string last;  // keep the last frame (tolerates a delimiter)
      for (bool more = id.more(); more; more = data.more()) {
        (void)router_.recv(data, zmq::recv_flags::none);
        last = data.to_string();
      }
      if (last.size() < kRequestIdBytes) continue;
      std::lock_guard lock(mu_);
      requests_.push_back({id.to_string(), LoadU32(last.data()), last.substr(kRequestIdBytes)});
      cv_.notify_all();
    }
    while (pull_.recv(data, zmq::recv_flags::dontwait)) {
      std::lock_guard lock(mu_);
      registrations_.push_back(data.to_string());
      cv_.notify_all();
    }
  }
}

std::vector<FakeRequest> FakeHub::WaitRequests(size_t n, std::chrono::milliseconds timeout) {
  std::unique_lock lock(mu_);
  if (!cv_.wait_for(lock, timeout, [&] { return requests_.size() >= n; })) return {};
  return requests_;
}

std::vector<std::string> FakeHub::WaitRegistrations(size_t n, std::chrono::milliseconds timeout) {
  std::unique_lock lock(mu_);
  if (!cv_.wait_for(lock, timeout, [&] { return registrations_.size() >= n; })) return {};
  return registrations_;
}

void FakeHub::Reply(const FakeRequest& to, const std::string& message) {
  std::string frame;
  ByteWriter(frame).U32(to.request_id);
  frame += message;
  std::lock_guard lock(mu_);
  outbox_.emplace_back(to.routing_id, std::move(frame));
}

void FakeHub::Reply(const FakeRequest& to, const Message& response) {
  std::string bytes;
  REQUIRE(Encode(response, bytes).ok());
  Reply(to, bytes);
}

}  // namespace blockhub::testing
