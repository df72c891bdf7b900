// Raw ZeroMQ sockets for integration tests: a DEALER that sends query frames byte for byte and a
// PUSH for registration frames, with bounded receives. They bypass the client library on purpose,
// so tests see exactly the bytes the hub sends.
//
// Each helper owns its own zmq context and socket (linger 0); move-only; one thread at a time.
// ZeroMQ exceptions are caught here and returned as Status.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>
#include <zmq.hpp>

#include "common/status.h"

namespace blockhub::testing {

// request_id:u32 LE ‖ message bytes.
std::string QueryFrame(uint32_t request_id, std::string_view message);
// Bytes from a hex string ("01 02 0a"); spaces are ignored. Aborts on bad hex (test input).
std::string FromHex(std::string_view hex);
std::string ToHex(std::string_view bytes);

// CurveZMQ client keys for a raw socket (Z85): the hub's public key and this socket's pair.
struct CurveClientKeys {
  std::string server_public;
  std::string public_key;
  std::string secret_key;
};

struct RawReply {
  uint32_t request_id = 0;
  std::string frame;  // the whole reply frame, request id included
  std::string_view message() const { return std::string_view(frame).substr(4); }
};

class RawDealer {
 public:
  // Connects to `endpoint`; `routing_id` (if set) is the ROUTER identity the hub will see.
  // With `curve`, the socket is a CurveZMQ client.
  static Result<RawDealer> Connect(const std::string& endpoint,
                                   std::optional<std::string> routing_id = std::nullopt,
                                   const std::optional<CurveClientKeys>& curve = std::nullopt);

  RawDealer(RawDealer&&) noexcept = default;
  RawDealer& operator=(RawDealer&& other) noexcept {  // socket before its context
    socket_.reset();
    context_ = std::move(other.context_);
    socket_ = std::move(other.socket_);
    return *this;
  }

  // True when a send would not block within `timeout` (a DEALER without a live connection, e.g.
  // one refused at the handshake, blocks on send).
  bool Writable(std::chrono::milliseconds timeout);
  // Sends one frame exactly as given (no request id is added).
  Status SendFrame(std::string_view frame);
  // Sends a multipart message (e.g. {"", frame} to mimic a REQ socket's empty delimiter).
  Status SendFrames(const std::vector<std::string>& frames);
  // Sends request_id ‖ message.
  Status Send(uint32_t request_id, std::string_view message) {
    return SendFrame(QueryFrame(request_id, message));
  }
  // Receives the frames of one message, waiting at most `timeout`.
  Result<std::vector<std::string>> ReceiveFrames(std::chrono::milliseconds timeout);
  // Receives one single-frame reply (>= 4 bytes) and splits off its request id.
  Result<RawReply> Receive(std::chrono::milliseconds timeout = std::chrono::milliseconds(5000));
  // Send + Receive; checks that the reply carries `request_id`.
  Result<RawReply> Request(uint32_t request_id, std::string_view message,
                           std::chrono::milliseconds timeout = std::chrono::milliseconds(5000));
  // Connects this socket to another endpoint as well (e.g. a restarted hub's new port).
  Status ConnectTo(const std::string& endpoint);
  Status DisconnectFrom(const std::string& endpoint);

 private:
  RawDealer() = default;
  std::unique_ptr<zmq::context_t> context_;  // declared first: destroyed after the socket
  std::unique_ptr<zmq::socket_t> socket_;
};

class RawPush {
 public:
  static Result<RawPush> Connect(const std::string& endpoint,
                                 const std::optional<CurveClientKeys>& curve = std::nullopt);
  RawPush(RawPush&&) noexcept = default;
  RawPush& operator=(RawPush&& other) noexcept {  // socket before its context
    socket_.reset();
    context_ = std::move(other.context_);
    socket_ = std::move(other.socket_);
    return *this;
  }

  // Sends one frame, or a multipart message of several frames.
  Status Send(std::string_view frame);
  Status SendFrames(const std::vector<std::string>& frames);

 private:
  RawPush() = default;
  std::unique_ptr<zmq::context_t> context_;  // declared first: destroyed after the socket
  std::unique_ptr<zmq::socket_t> socket_;
};

}  // namespace blockhub::testing
