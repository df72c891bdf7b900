#include "tests/support/raw_sockets.h"

#include <cstdio>
#include <cstdlib>
#include <utility>

namespace blockhub::testing {
namespace {

Status ZmqError(const char* what, const zmq::error_t& e) {
  return UnavailableError(std::string(what) + ": " + e.what());
}

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

void SetCurve(zmq::socket_t& socket, const std::optional<CurveClientKeys>& curve) {
  if (!curve) return;
  for (auto [option, key] : {std::pair{ZMQ_CURVE_SERVERKEY, &curve->server_public},
                             std::pair{ZMQ_CURVE_PUBLICKEY, &curve->public_key},
                             std::pair{ZMQ_CURVE_SECRETKEY, &curve->secret_key}}) {
    // Z85 text, passed with its NUL; a bad key is a test bug.
    if (zmq_setsockopt(socket.handle(), option, key->c_str(), key->size() + 1) != 0) {
      throw zmq::error_t();
    }
  }
}

}  // namespace

std::string QueryFrame(uint32_t request_id, std::string_view message) {
  std::string out(4, '\0');
  for (int i = 0; i < 4; ++i) out[i] = static_cast<char>((request_id >> (8 * i)) & 0xff);
  out.append(message);
  return out;
}

std::string FromHex(std::string_view hex) {
  std::string out;
  int high = -1;
  for (char c : hex) {
    if (c == ' ' || c == '\n') continue;
    const int d = HexDigit(c);
    if (d < 0) {
      std::fprintf(stderr, "FromHex: bad hex digit '%c'\n", c);
      std::abort();
    }
    if (high < 0) {
      high = d;
    } else {
      out.push_back(static_cast<char>(high * 16 + d));
      high = -1;
    }
  }
  if (high >= 0) {
    std::fprintf(stderr, "FromHex: odd number of digits\n");
    std::abort();
  }
  return out;
}

std::string ToHex(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (size_t i = 0; i < bytes.size(); ++i) {
    if (i > 0) out.push_back(' ');
    const auto b = static_cast<unsigned char>(bytes[i]);
    out.push_back(kDigits[b >> 4]);
    out.push_back(kDigits[b & 0xf]);
  }
  return out;
}

Result<RawDealer> RawDealer::Connect(const std::string& endpoint,
                                     std::optional<std::string> routing_id,
                                     const std::optional<CurveClientKeys>& curve) {
  RawDealer d;
  try {
    d.context_ = std::make_unique<zmq::context_t>(1);
    d.socket_ = std::make_unique<zmq::socket_t>(*d.context_, zmq::socket_type::dealer);
    d.socket_->set(zmq::sockopt::linger, 0);
    if (routing_id) d.socket_->set(zmq::sockopt::routing_id, zmq::buffer(*routing_id));
    SetCurve(*d.socket_, curve);
    d.socket_->connect(endpoint);
  } catch (const zmq::error_t& e) {
    return ZmqError("dealer connect", e);
  }
  return d;
}

Status RawDealer::SendFrame(std::string_view frame) { return SendFrames({std::string(frame)}); }

bool RawDealer::Writable(std::chrono::milliseconds timeout) {
  try {
    zmq::pollitem_t item{socket_->handle(), 0, ZMQ_POLLOUT, 0};
    return zmq::poll(&item, 1, timeout) > 0;
  } catch (const zmq::error_t&) {
    return false;
  }
}

Status RawDealer::SendFrames(const std::vector<std::string>& frames) {
  try {
    for (size_t i = 0; i < frames.size(); ++i) {
      const auto flags = i + 1 < frames.size() ? zmq::send_flags::sndmore : zmq::send_flags::none;
      if (!socket_->send(zmq::buffer(frames[i]), flags))
        return TimeoutError("dealer send would block");
    }
  } catch (const zmq::error_t& e) {
    return ZmqError("dealer send", e);
  }
  return Status::Ok();
}

Result<std::vector<std::string>> RawDealer::ReceiveFrames(std::chrono::milliseconds timeout) {
  try {
    zmq::pollitem_t item{socket_->handle(), 0, ZMQ_POLLIN, 0};
    if (zmq::poll(&item, 1, timeout) == 0) return TimeoutError("no reply in time");
    std::vector<std::string> frames;
    zmq::message_t msg;
    do {
      if (!socket_->recv(msg, zmq::recv_flags::dontwait)) return InternalError("recv would block");
      frames.push_back(msg.to_string());
    } while (msg.more());
    return frames;
  } catch (const zmq::error_t& e) {
    return ZmqError("dealer recv", e);
  }
}

Result<RawReply> RawDealer::Receive(std::chrono::milliseconds timeout) {
  auto frames = ReceiveFrames(timeout);
  if (!frames) return frames.error();
  if (frames->size() != 1) {
    return MalformedError("reply has " + std::to_string(frames->size()) + " frames, expected 1");
  }
  RawReply reply;
  reply.frame = std::move(frames->front());
  if (reply.frame.size() < 4) return MalformedError("reply shorter than a request id");
  for (int i = 0; i < 4; ++i) {
    reply.request_id |= static_cast<uint32_t>(static_cast<uint8_t>(reply.frame[i])) << (8 * i);
  }
  return reply;
}

Result<RawReply> RawDealer::Request(uint32_t request_id, std::string_view message,
                                    std::chrono::milliseconds timeout) {
  if (Status s = Send(request_id, message); !s.ok()) return s;
  auto reply = Receive(timeout);
  if (reply && reply->request_id != request_id) {
    return MalformedError("reply for request " + std::to_string(reply->request_id) + ", expected " +
                          std::to_string(request_id));
  }
  return reply;
}

Status RawDealer::ConnectTo(const std::string& endpoint) {
  try {
    socket_->connect(endpoint);
  } catch (const zmq::error_t& e) {
    return ZmqError("dealer connect", e);
  }
  return Status::Ok();
}

Status RawDealer::DisconnectFrom(const std::string& endpoint) {
  try {
    socket_->disconnect(endpoint);
  } catch (const zmq::error_t& e) {
    return ZmqError("dealer disconnect", e);
  }
  return Status::Ok();
}

Result<RawPush> RawPush::Connect(const std::string& endpoint,
                                 const std::optional<CurveClientKeys>& curve) {
  RawPush p;
  try {
    p.context_ = std::make_unique<zmq::context_t>(1);
    p.socket_ = std::make_unique<zmq::socket_t>(*p.context_, zmq::socket_type::push);
    // Queued registrations get a bounded chance to leave when the helper is destroyed.
    p.socket_->set(zmq::sockopt::linger, 1000);
    SetCurve(*p.socket_, curve);
    p.socket_->connect(endpoint);
  } catch (const zmq::error_t& e) {
    return ZmqError("push connect", e);
  }
  return p;
}

Status RawPush::Send(std::string_view frame) { return SendFrames({std::string(frame)}); }

Status RawPush::SendFrames(const std::vector<std::string>& frames) {
  try {
    for (size_t i = 0; i < frames.size(); ++i) {
      const auto flags = i + 1 < frames.size() ? zmq::send_flags::sndmore : zmq::send_flags::none;
      if (!socket_->send(zmq::buffer(frames[i]), flags))
        return TimeoutError("push send would block");
    }
  } catch (const zmq::error_t& e) {
    return ZmqError("push send", e);
  }
  return Status::Ok();
}

}  // namespace blockhub::testing
