// blockhub-bench echo-server / echo: the physical limit of the transport.
//
// echo-server is a raw ZeroMQ ROUTER/PULL server shaped like blockhubd (one loop thread, the same
// socket options, the same `ready query=… register=…` line, SIGTERM/SIGINT stop it) that does no
// work: every query frame gets a reply of the SIZE blockhubd would send, computed from the
// request's header and count only (CanOffload of N keys in v2: 4 + 2 + 8 + 4 + 4 + N bytes; a
// Match returns --match-hit-ratio of the keys, as entries with an 8-byte value, like the hub does
// for that share of stored keys). PULL frames are counted (entries read from the Register header)
// and v2 Stats reports `server_register_entries`, so the load generator's register barrier works
// exactly as against the hub. `echo` is the load generator (the same code and frames as `hub`)
// with "echo" in its RESULT line.
#include <signal.h>
#include <sys/signalfd.h>
#include <unistd.h>
#include <zmq.h>

#include <CLI/CLI.hpp>
#include <cmath>
#include <cstdio>
#include <string>

#include "codec/codec.h"
#include "common/bytes.h"
#include "tools/bench/bench_command.h"
#include "tools/bench/loadgen_zmq.h"

namespace blockhub::bench {
namespace {

struct EchoOptions {
  std::string query_addr = "tcp://127.0.0.1:*";
  std::string register_addr = "tcp://127.0.0.1:*";
  int hwm = 10'000;  // blockhubd's default
  double match_hit_ratio = 0.5;
};

class EchoServer {
 public:
  explicit EchoServer(const EchoOptions& o) : options_(o) {}
  ~EchoServer() {
    zmq_msg_close(&rid_);
    zmq_msg_close(&data_);
    for (void* s : {router_, pull_}) {
      if (s != nullptr) zmq_close(s);
    }
    if (ctx_ != nullptr) zmq_ctx_term(ctx_);
  }
  EchoServer(const EchoServer&) = delete;
  EchoServer& operator=(const EchoServer&) = delete;

  // Binds both sockets and prints the ready line. False (after printing why) on failure.
  bool Open() {
    ctx_ = zmq_ctx_new();
    router_ = Bind(ZMQ_ROUTER, options_.query_addr, query_endpoint_);
    pull_ =
        router_ != nullptr ? Bind(ZMQ_PULL, options_.register_addr, register_endpoint_) : nullptr;
    if (pull_ == nullptr) return false;
    std::printf("ready query=%s register=%s\n", query_endpoint_.c_str(),
                register_endpoint_.c_str());
    std::fflush(stdout);
    return true;
  }

  // Serves until `stop_fd` becomes readable.
  int Run(int stop_fd) {
    zmq_pollitem_t items[3] = {
        {router_, 0, ZMQ_POLLIN, 0}, {pull_, 0, ZMQ_POLLIN, 0}, {nullptr, stop_fd, ZMQ_POLLIN, 0}};
    while (true) {
      if (zmq_poll(items, 3, -1) < 0) {
        if (zmq_errno() == EINTR) continue;
        std::fprintf(stderr, "echo-server: poll: %s\n", zmq_strerror(zmq_errno()));
        return 1;
      }
      if (items[2].revents != 0) return 0;
      if (items[0].revents & ZMQ_POLLIN) ServeQueries();
      if (items[1].revents & ZMQ_POLLIN) ServeRegistrations();
    }
  }

 private:
  static constexpr int kMaxPerWakeup = 512;  // as blockhubd: then the other socket's turn

  void* Bind(int type, const std::string& addr, std::string& endpoint) {
    void* s = zmq_socket(ctx_, type);
    const int linger = 200;
    char buf[256];
    size_t len = sizeof buf;
    if (s == nullptr || zmq_setsockopt(s, ZMQ_SNDHWM, &options_.hwm, sizeof(int)) != 0 ||
        zmq_setsockopt(s, ZMQ_RCVHWM, &options_.hwm, sizeof(int)) != 0 ||
        zmq_setsockopt(s, ZMQ_LINGER, &linger, sizeof linger) != 0 ||
        zmq_bind(s, addr.c_str()) != 0 || zmq_getsockopt(s, ZMQ_LAST_ENDPOINT, buf, &len) != 0) {
      std::fprintf(stderr, "echo-server: %s: %s\n", addr.c_str(), zmq_strerror(zmq_errno()));
      if (s != nullptr) zmq_close(s);
      return nullptr;
    }
    endpoint.assign(buf, len > 0 ? len - 1 : 0);  // LAST_ENDPOINT counts its NUL
    return s;
  }

  void ServeQueries() {
    for (int i = 0; i < kMaxPerWakeup; ++i) {
      if (zmq_msg_recv(&rid_, router_, ZMQ_DONTWAIT) < 0) return;
      bool more = zmq_msg_more(&rid_) != 0;
      if (!more) continue;  // a routing id and no data: nothing to answer
      while (more && zmq_msg_recv(&data_, router_, 0) >= 0) more = zmq_msg_more(&data_) != 0;
      ++query_frames_;
      const std::string_view data(static_cast<const char*>(zmq_msg_data(&data_)),
                                  zmq_msg_size(&data_));
      if (data.size() < kRequestIdBytes) continue;  // no id to answer with (as the hub)
      reply_.clear();
      BuildReply(data);
      // The routing id message is handed back as is; DONTWAIT as the hub (drop when full).
      if (zmq_msg_send(&rid_, router_, ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0) continue;
      zmq_send(router_, reply_.data(), reply_.size(), ZMQ_DONTWAIT);
    }
  }

  void ServeRegistrations() {
    for (int i = 0; i < kMaxPerWakeup; ++i) {
      if (zmq_msg_recv(&data_, pull_, ZMQ_DONTWAIT) < 0) return;
      const auto* p = static_cast<const unsigned char*>(zmq_msg_data(&data_));
      const size_t size = zmq_msg_size(&data_);
      const size_t count_at = size > 0 && p[0] == 2 ? 10 : 2;
      ++register_frames_;
      if (size >= count_at + 4) register_entries_ += LoadU32(p + count_at);
    }
  }

  // Appends to reply_ what the hub would answer to `data` (id ‖ message), in size and shape.
  void BuildReply(std::string_view data) {
    const std::string_view message = data.substr(kRequestIdBytes);
    const auto* m = reinterpret_cast<const unsigned char*>(message.data());
    const bool v2 = !message.empty() && m[0] == 2;
    const size_t body = v2 ? 10 : 2;
    const uint8_t type = message.size() >= body ? m[1] : 0;
    const bool has_count = message.size() >= body + 4;
    reply_.append(data.data(), kRequestIdBytes);
    auto header = [&](uint8_t reply_type) {
      reply_.push_back(static_cast<char>(v2 ? 2 : 1));
      reply_.push_back(static_cast<char>(reply_type));
      if (v2) AppendU64(kEpoch);
    };
    if ((type == 2 || type == 11 || type == 13) && has_count) {  // statuses, one byte per key
      const uint32_t n = LoadU32(m + body);
      header(static_cast<uint8_t>(type == 2 ? 4 : type + 1));
      if (type == 2 && v2) AppendU32(kLeaseTtlMs);
      AppendU32(n);
      reply_.append(n, '\0');
    } else if (type == 3 && message.size() >= body + (v2 ? 5 : 4)) {
      header(5);
      MatchEntries(message.substr(body + (v2 ? 1 : 0)));
    } else if ((type == 6 || type == 8 || type == 15) && has_count) {  // a u64 count
      header(static_cast<uint8_t>(type + 1));
      AppendU64(0);
    } else {
      CodecReply(message);
    }
  }

  // A MatchResponse with the first round(hit ratio * N) keys, each with an 8-byte value.
  void MatchEntries(std::string_view keys) {
    const uint32_t n = LoadU32(keys.data());
    const auto hits = static_cast<uint32_t>(std::lround(options_.match_hit_ratio * n));
    const size_t count_at = reply_.size();
    AppendU32(0);
    size_t pos = 4;
    uint32_t written = 0;
    for (; written < hits && pos + 2 <= keys.size(); ++written) {
      const uint16_t len = static_cast<uint16_t>(static_cast<uint8_t>(keys[pos]) |
                                                 (static_cast<uint8_t>(keys[pos + 1]) << 8));
      if (pos + 2 + len > keys.size()) break;
      reply_.append(keys.data() + pos, 2 + len);              // lp16 key
      reply_.append("\x08\x00\0\0\0\0\0\0\0\0\x00\x00", 12);  // lp16 8-byte value, lp16 ""
      pos += 2 + len;
    }
    StoreU32(reply_.data() + count_at, written);
  }

  // Rare requests (Stats, Hello, errors) go through the codec.
  void CodecReply(std::string_view message) {
    const ProtocolVersion v = ReplyVersionFor(message);
    Message reply{v, 0, kEpoch, ErrorResponse{}};
    auto request = DecodeRequest(message, DecodeLimits{}, Channel::kQuery);
    if (!request) {
      reply = MakeErrorResponse(v, kEpoch, request.error());
    } else if (std::holds_alternative<Stats>(request->body)) {
      reply.body = StatsResponse{{{"server_query_frames", query_frames_},
                                  {"server_register_frames", register_frames_},
                                  {"server_register_entries", register_entries_}}};
    } else if (std::holds_alternative<Hello>(request->body)) {
      reply.body = HelloResponse{kLeaseTtlMs, 0, 65536, 0, "echo-server"};
    } else {
      reply = MakeErrorResponse(v, kEpoch, Status(StatusCode::kUnknownType, "not echoed"));
    }
    (void)Encode(reply, reply_);
  }

  void AppendU32(uint32_t v) {
    char b[4];
    StoreU32(b, v);
    reply_.append(b, 4);
  }
  void AppendU64(uint64_t v) {
    char b[8];
    StoreU64(b, v);
    reply_.append(b, 8);
  }

  static constexpr uint64_t kEpoch = 0x6563686f65636830ull;
  static constexpr uint32_t kLeaseTtlMs = 30'000;

  EchoOptions options_;
  void* ctx_ = nullptr;
  void* router_ = nullptr;
  void* pull_ = nullptr;
  std::string query_endpoint_;
  std::string register_endpoint_;
  zmq_msg_t rid_ = InitMsg();
  zmq_msg_t data_ = InitMsg();
  std::string reply_;
  uint64_t query_frames_ = 0;
  uint64_t register_frames_ = 0;
  uint64_t register_entries_ = 0;

  static zmq_msg_t InitMsg() {
    zmq_msg_t m;
    zmq_msg_init(&m);
    return m;
  }
};

int RunEchoServer(int argc, char** argv) {
  CLI::App app{"Raw ZeroMQ ROUTER/PULL echo server: replies of the hub's size, no work"};
  EchoOptions o;
  app.add_option("--query-addr", o.query_addr, "ROUTER bind endpoint")->capture_default_str();
  app.add_option("--register-addr", o.register_addr, "PULL bind endpoint")->capture_default_str();
  app.add_option("--hwm", o.hwm, "high-water mark of each socket")->capture_default_str();
  app.add_option("--match-hit-ratio", o.match_hit_ratio,
                 "share of a Match's keys answered as entries (the workload's stored ratio)")
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str();
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  sigset_t mask;
  sigemptyset(&mask);
  sigaddset(&mask, SIGINT);
  sigaddset(&mask, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &mask, nullptr);  // before ZeroMQ starts its threads
  const int stop_fd = signalfd(-1, &mask, SFD_CLOEXEC);
  if (stop_fd < 0) {
    std::perror("echo-server: signalfd");
    return 1;
  }
  int rc = 1;
  {
    EchoServer server(o);
    if (server.Open()) rc = server.Run(stop_fd);
  }
  close(stop_fd);
  return rc;
}

int RunEcho(int argc, char** argv) { return RunZmqLoad(argc, argv, "echo"); }

Registrar server_registrar("echo-server",
                           "raw ZeroMQ ROUTER/PULL server answering with hub-sized replies",
                           RunEchoServer);
Registrar echo_registrar("echo", "load generator against echo-server (RESULT echo <op> ...)",
                         RunEcho);

}  // namespace
}  // namespace blockhub::bench
