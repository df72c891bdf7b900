// FakeHub: a scripted ROUTER + PULL pair inside the test process, so client tests can control
// exactly when and in which order replies come back (out of order, late, never, new epoch).
// It never answers by itself: the test reads the requests it received and calls Reply().
//
// One thread owns the sockets; the test thread talks to it through mutex-protected queues.
// Bounded waits only (every Wait* takes a timeout). Stopped and joined by the destructor.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <thread>
#include <vector>
#include <zmq.hpp>

#include "codec/message.h"

namespace blockhub::testing {

struct FakeRequest {
  std::string routing_id;
  uint32_t request_id = 0;
  std::string message;  // the frame without its request id
};

class FakeHub {
 public:
  FakeHub();
  ~FakeHub();
  FakeHub(const FakeHub&) = delete;
  FakeHub& operator=(const FakeHub&) = delete;

  const std::string& query_endpoint() const { return query_endpoint_; }
  const std::string& register_endpoint() const { return register_endpoint_; }

  // Waits until at least `n` requests arrived in total; returns all of them (empty on timeout).
  std::vector<FakeRequest> WaitRequests(size_t n, std::chrono::milliseconds timeout);
  // Waits until at least `n` registration frames arrived; returns all of them.
  std::vector<std::string> WaitRegistrations(size_t n, std::chrono::milliseconds timeout);
  // Sends `request_id ‖ message` to the peer that sent `to`.
  void Reply(const FakeRequest& to, const std::string& message);
  void Reply(const FakeRequest& to, const Message& response);

 private:
  void Loop();

  zmq::context_t ctx_{1};
  zmq::socket_t router_;
  zmq::socket_t pull_;
  std::string query_endpoint_;
  std::string register_endpoint_;
  std::atomic<bool> stop_{false};
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<FakeRequest> requests_;
  std::vector<std::string> registrations_;
  std::deque<std::pair<std::string, std::string>> outbox_;  // routing id, frame
  std::thread thread_;
};

}  // namespace blockhub::testing
