// HubServer's security parts, all on the loop thread: CurveZMQ on the ROUTER and the PULL, the
// ZAP handler (a REP socket on the hub's own context, polled by the loop like any other socket,
// never waited on), role checks per message, SIGHUP reloads of the authorized-keys file, and the
// connection monitors behind the peer gauge, --max-peers and the handshake-failure counters.
//
// Revocation: a reload replaces the table the ZAP handler and the per-message check read. A
// removed key's new connections are refused at the handshake, and since every message's role is
// looked up by its ZAP User-Id in the current table, the open connections of a removed key get
// permission_denied for every further query (their registrations are dropped) from the reload on.
#include <netinet/in.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <unistd.h>
#include <xxhash.h>
#include <zmq.h>

#include <array>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "hub/server/hub_server_impl.h"
#include "hub/server/role_policy.h"
#include "security/curve_keys.h"

namespace blockhub {
namespace {

constexpr const char* kZapEndpoint = "inproc://zeromq.zap.01";
constexpr const char* kZapDomain = "blockhub";
constexpr int kMonitorEvents = ZMQ_EVENT_ACCEPTED | ZMQ_EVENT_DISCONNECTED |
                               ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL |
                               ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL;

std::string ZmqErrorText() { return zmq_strerror(zmq_errno()); }

// Receives the frames of one message from `socket` if one is queued (the rest of a multipart
// message is already there: ZeroMQ delivers messages atomically).
bool ReceiveParts(void* socket, std::vector<std::string>& parts) {
  parts.clear();
  zmq_msg_t msg;
  zmq_msg_init(&msg);
  int flags = ZMQ_DONTWAIT;
  bool more = true;
  while (more) {
    if (zmq_msg_recv(&msg, socket, flags) < 0) break;
    parts.emplace_back(static_cast<const char*>(zmq_msg_data(&msg)), zmq_msg_size(&msg));
    more = zmq_msg_more(&msg) != 0;
    flags = 0;
  }
  zmq_msg_close(&msg);
  return !parts.empty();
}

// True when `fd` is a TCP connection accepted on `endpoint`'s port (a monitor event is read some
// time after the accept: the descriptor may have been closed and reused meanwhile). Other
// transports are not checked.
bool AcceptedOn(int fd, const std::string& endpoint) {
  if (!endpoint.starts_with("tcp://")) return true;
  const size_t colon = endpoint.rfind(':');
  if (colon == std::string::npos) return false;
  const int port = std::atoi(endpoint.c_str() + colon + 1);
  sockaddr_storage addr{};
  socklen_t len = sizeof(addr);
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) return false;
  if (addr.ss_family == AF_INET) {
    return ntohs(reinterpret_cast<const sockaddr_in*>(&addr)->sin_port) == port;
  }
  if (addr.ss_family == AF_INET6) {
    return ntohs(reinterpret_cast<const sockaddr_in6*>(&addr)->sin6_port) == port;
  }
  return false;
}

Status OpenMonitor(const ZmqContext& context, ZmqSocket& socket, ZmqSocket& monitor,
                   const char* endpoint) {
  if (zmq_socket_monitor(socket.get(), endpoint, kMonitorEvents) != 0) {
    return InternalError(std::string("zmq_socket_monitor: ") + ZmqErrorText());
  }
  if (Status s = monitor.Open(context, ZMQ_PAIR, 0, 0); !s.ok()) return s;
  if (zmq_connect(monitor.get(), endpoint) != 0) {
    return InternalError(std::string("monitor connect: ") + ZmqErrorText());
  }
  return Status::Ok();
}

}  // namespace

Status HubServer::Impl::MakeCurveServer(ZmqSocket& socket) {
  if (Status s = socket.SetInt(ZMQ_CURVE_SERVER, 1); !s.ok()) return s;
  const std::string& key = options.curve_secret_z85;
  if (zmq_setsockopt(socket.get(), ZMQ_CURVE_SECRETKEY, key.c_str(), key.size() + 1) != 0) {
    return InvalidArgumentError("--curve-secret-key-file: the key was refused: " + ZmqErrorText());
  }
  if (zmq_setsockopt(socket.get(), ZMQ_ZAP_DOMAIN, kZapDomain, std::strlen(kZapDomain)) != 0) {
    return InternalError("ZMQ_ZAP_DOMAIN: " + ZmqErrorText());
  }
  return Status::Ok();
}

Status HubServer::Impl::SetUpSecurity() {
  if (curve()) {
    authorized = options.authorized_keys;
    if (authorized == nullptr) return InvalidArgumentError("CurveZMQ needs the authorized keys");
    // The handler must be bound before any connection handshakes, i.e. before the binds.
    if (Status s = zap.Open(context, ZMQ_REP, 0, 0); !s.ok()) return s;
    if (zmq_bind(zap.get(), kZapEndpoint) != 0) {
      return InternalError(std::string("ZAP handler bind: ") + ZmqErrorText());
    }
    for (ZmqSocket* socket : {&router, &pull}) {
      if (Status s = MakeCurveServer(*socket); !s.ok()) return s;
    }
    security.curve = true;
  }
  security.max_peers = options.max_peers;
  if (Status s = OpenMonitor(context, router, router_monitor, "inproc://blockhub-router-monitor");
      !s.ok()) {
    return s;
  }
  return OpenMonitor(context, pull, pull_monitor, "inproc://blockhub-pull-monitor");
}

// ZAP request (RFC 27): version, request id, domain, address, routing id, mechanism,
// credentials (for CURVE: the client's 32-byte public key). Reply: version, request id, status
// code, status text, user id, metadata.
void HubServer::Impl::ServeZap(size_t max) {
  std::vector<std::string> parts;
  for (size_t i = 0; i < max && ReceiveParts(zap.get(), parts); ++i) {
    std::string status = "400";
    std::string text = "unknown key";
    std::string user_id;
    if (parts.size() < 6 || parts[0] != "1.0") {
      status = "500";
      text = "bad ZAP request";
    } else if (parts[5] != "CURVE" || parts.size() < 7 || parts[6].size() != 32) {
      text = "CURVE required";
    } else {
      std::array<char, kCurveKeyZ85Chars + 1> z85{};
      zmq_z85_encode(z85.data(), reinterpret_cast<const uint8_t*>(parts[6].data()), 32);
      const AuthorizedKey* key = authorized->Find(z85.data());
      if (key != nullptr) {
        status = "200";
        text = "OK";
        user_id = z85.data();
        ++counters.zap_accepted;
      } else {
        CountAuthFailure(AuthFailure::kUnknownKey,
                         "key=" + std::string(z85.data()) + " address=" + parts[3]);
      }
    }
    const std::string request_id = parts.size() > 1 ? parts[1] : std::string();
    const std::string reply[] = {"1.0", request_id, status, text, user_id, ""};
    for (size_t f = 0; f < 6; ++f) {
      // The ZAP pipe has no high-water mark, so a send never waits.
      if (zmq_send(zap.get(), reply[f].data(), reply[f].size(),
                   (f + 1 < 6 ? ZMQ_SNDMORE : 0) | ZMQ_DONTWAIT) < 0) {
        spdlog::error("ZAP reply not sent: {}", ZmqErrorText());
        break;
      }
    }
  }
}

void HubServer::Impl::ServeMonitor(ZmqSocket& monitor, uint64_t& peers, const std::string& endpoint,
                                   size_t max) {
  std::vector<std::string> parts;
  for (size_t i = 0; i < max && ReceiveParts(monitor.get(), parts); ++i) {
    if (parts[0].size() < 6) continue;
    uint16_t event = 0;
    uint32_t value = 0;
    std::memcpy(&event, parts[0].data(), sizeof(event));
    std::memcpy(&value, parts[0].data() + 2, sizeof(value));
    switch (event) {
      case ZMQ_EVENT_ACCEPTED:
        ++peers;
        if (options.max_peers != 0 && peers > options.max_peers) {
          // The event names the new connection's descriptor: ZeroMQ still owns it and closes it
          // when it sees the shutdown (the DISCONNECTED event then lowers the count again).
          if (AcceptedOn(static_cast<int>(value), endpoint)) {
            ::shutdown(static_cast<int>(value), SHUT_RDWR);
          }
          CountAuthFailure(AuthFailure::kTooManyPeers,
                           "max_peers=" + std::to_string(options.max_peers));
        }
        break;
      case ZMQ_EVENT_DISCONNECTED:
        if (peers > 0) --peers;
        break;
      case ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL:
        if (!curve()) break;
        if (value == ZMQ_PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH) {
          CountAuthFailure(AuthFailure::kMechanismMismatch, "a peer without CurveZMQ");
        } else if (value == ZMQ_PROTOCOL_ERROR_ZMTP_CRYPTOGRAPHIC) {
          CountAuthFailure(AuthFailure::kCryptographic,
                           "handshake did not decrypt (wrong server key?)");
        } else {
          CountAuthFailure(AuthFailure::kProtocol, "protocol error " + std::to_string(value));
        }
        break;
      case ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL:
        if (curve()) CountAuthFailure(AuthFailure::kHandshakeAborted, "closed during handshake");
        break;
      default:
        break;
    }
  }
  security.connected_peers = router_peers + pull_peers;
}

void HubServer::Impl::ReloadAuthorizedKeys() {
  // A signalfd (or any fd) that is readable: consume what is there.
  char buf[256];
  while (::read(options.reload_fd, buf, sizeof(buf)) > 0) {
  }
  if (!curve()) {
    spdlog::info("SIGHUP: no authorized keys file to reload (CurveZMQ is off)");
    return;
  }
  auto loaded = AuthorizedKeys::Load(options.authorized_keys_path);
  if (!loaded) {
    ++counters.keys_reload_failures;
    spdlog::error("authorized keys not reloaded, keeping the {} keys in use: {}",
                  authorized->size(), loaded.error().message());
    return;
  }
  authorized = std::make_shared<const AuthorizedKeys>(std::move(*loaded));
  ++counters.keys_reloads;
  spdlog::info("authorized keys reloaded from {}: {} keys", options.authorized_keys_path,
               authorized->size());
}

const AuthorizedKey* HubServer::Impl::SenderKey(zmq_msg_t* msg) const {
  const char* user_id = zmq_msg_gets(msg, "User-Id");
  return user_id == nullptr ? nullptr : authorized->Find(user_id);
}

OwnerId HubServer::Impl::BindOwner(zmq_msg_t* msg, OwnerId owner) const {
  const char* user_id = zmq_msg_gets(msg, "User-Id");
  if (user_id == nullptr) return owner;
  const uint64_t key_hash = XXH3_64bits(user_id, std::strlen(user_id));
  return XXH3_64bits_withSeed(&owner, sizeof(owner), key_hash);
}

void HubServer::Impl::DenyRequest(const AuthorizedKey* key, MessageType type, const char* channel) {
  const size_t role = key != nullptr ? static_cast<size_t>(key->role) : 0;
  const auto q = QueryTypeOf(type);
  ++security.permission_denied[role][q ? static_cast<size_t>(*q) : kQueryTypeCount];
  uint64_t suppressed = 0;
  if (!auth_log.Allow(clock.Now(), suppressed)) return;
  spdlog::warn("permission_denied channel={} type={} role={} name=\"{}\" suppressed={}", channel,
               MessageTypeName(type), key != nullptr ? RoleName(key->role) : "revoked",
               key != nullptr ? key->name : "", suppressed);
}

void HubServer::Impl::CountAuthFailure(AuthFailure reason, std::string_view detail) {
  ++security.auth_failures[static_cast<size_t>(reason)];
  uint64_t suppressed = 0;
  if (!auth_log.Allow(clock.Now(), suppressed)) return;
  spdlog::warn("auth_failure reason={} detail=\"{}\" suppressed={}", AuthFailureLabel(reason),
               detail, suppressed);
}

}  // namespace blockhub
