#include "tools/bench/loadgen_zmq.h"

#include <zmq.h>

#include <CLI/CLI.hpp>
#include <array>
#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <thread>
#include <utility>
#include <vector>

#include "codec/codec.h"
#include "common/bytes.h"
#include "security/curve_keys.h"
#include "tools/bench/loadgen_subscriber.h"

namespace blockhub::bench {
namespace {

using BenchClock = std::chrono::steady_clock;

Status ZmqError(const std::string& what) {
  return UnavailableError(what + ": " + zmq_strerror(zmq_errno()));
}

// A socket closed (linger 0) when it goes out of scope.
struct SocketCloser {
  void operator()(void* s) const {
    int zero = 0;
    zmq_setsockopt(s, ZMQ_LINGER, &zero, sizeof zero);
    zmq_close(s);
  }
};
using Socket = std::unique_ptr<void, SocketCloser>;

Result<Socket> OpenSocket(void* ctx, int type, const std::string& endpoint, int hwm,
                          std::string_view routing_id, const ZmqTargetOptions& o) {
  Socket s(zmq_socket(ctx, type));
  if (!s) return ZmqError("zmq_socket");
  if (!o.curve_server_key.empty()) {
    for (auto [option, key] : {std::pair{ZMQ_CURVE_SERVERKEY, &o.curve_server_key},
                               std::pair{ZMQ_CURVE_PUBLICKEY, &o.curve_public_key},
                               std::pair{ZMQ_CURVE_SECRETKEY, &o.curve_secret_key}}) {
      if (zmq_setsockopt(s.get(), option, key->c_str(), key->size()) != 0) return ZmqError("curve");
    }
  }
  if (hwm > 0 && (zmq_setsockopt(s.get(), ZMQ_SNDHWM, &hwm, sizeof hwm) != 0 ||
                  zmq_setsockopt(s.get(), ZMQ_RCVHWM, &hwm, sizeof hwm) != 0)) {
    return ZmqError("hwm");
  }
  if (!routing_id.empty() &&
      zmq_setsockopt(s.get(), ZMQ_ROUTING_ID, routing_id.data(), routing_id.size()) != 0) {
    return ZmqError("routing id");
  }
  if (zmq_connect(s.get(), endpoint.c_str()) != 0) return ZmqError("connect " + endpoint);
  return s;
}

// One received ZeroMQ message, reused.
class Frame {
 public:
  Frame() { zmq_msg_init(&msg_); }
  ~Frame() { zmq_msg_close(&msg_); }
  Frame(const Frame&) = delete;
  Frame& operator=(const Frame&) = delete;
  zmq_msg_t* get() { return &msg_; }
  std::string_view view() {
    return {static_cast<const char*>(zmq_msg_data(&msg_)), zmq_msg_size(&msg_)};
  }

 private:
  zmq_msg_t msg_;
};

Result<Tally> TallyOf(const Message& reply, RequestKind& kind) {
  Tally t;
  if (const auto* r = std::get_if<CanOffloadResponse>(&reply.body)) {
    kind = RequestKind::kCanOffload;
    for (OffloadStatus s : r->statuses) {
      t.granted += s == OffloadStatus::kGranted;
      t.already_stored += s == OffloadStatus::kAlreadyStored;
      t.leased += s == OffloadStatus::kLeased;
    }
  } else if (const auto* m = std::get_if<MatchResponse>(&reply.body)) {
    kind = RequestKind::kMatch;
    t.matched = m->entries.size();
  } else if (const auto* g = std::get_if<RegisterSyncResponse>(&reply.body)) {
    kind = RequestKind::kRegisterSync;
    for (RegisterStatus s : g->statuses) {
      t.stored += s == RegisterStatus::kStored;
      t.already_stored += s == RegisterStatus::kAlreadyStored;
      t.rejected += s == RegisterStatus::kRejected;
    }
  } else if (const auto* e = std::get_if<ErrorResponse>(&reply.body)) {
    return Status(StatusCode::kRemoteError,
                  "ErrorResponse " + std::string(StatusCodeName(e->code)) + ": " + e->message);
  } else {
    return InternalError("unexpected reply " + std::string(MessageTypeName(TypeOf(reply.body))));
  }
  return t;
}

class ZmqConnection final : public Connection {
 public:
  ZmqConnection(Socket dealer, Socket push, uint64_t client_id, int protocol)
      : dealer_(std::move(dealer)),
        push_(std::move(push)),
        client_id_(client_id),
        version_(protocol == 1 ? ProtocolVersion::kV1 : ProtocolVersion::kV2) {}

  Status Send(uint32_t tag, RequestKind kind, const KeyBatch& keys) override {
    Message msg = Build(kind, keys);
    buffer_.clear();
    if (kind == RequestKind::kRegister) {
      if (Status s = Encode(msg, buffer_); !s.ok()) return s;
      Recycle(msg);
      if (zmq_send(push_.get(), buffer_.data(), buffer_.size(), 0) < 0) return ZmqError("push");
      return Status::Ok();
    }
    const uint32_t id = (++sequence_ << 12) | tag;
    expected_[tag] = id;
    if (Status s = EncodeQueryFrame(id, msg, buffer_); !s.ok()) return s;
    Recycle(msg);
    if (zmq_send(dealer_.get(), buffer_.data(), buffer_.size(), 0) < 0) return ZmqError("send");
    return Status::Ok();
  }

  Result<std::optional<Reply>> Receive(bool wait, int timeout_ms) override {
    if (wait) {
      zmq_pollitem_t item{dealer_.get(), 0, ZMQ_POLLIN, 0};
      const int n = zmq_poll(&item, 1, timeout_ms);
      if (n < 0) return ZmqError("poll");
      if (n == 0) return TimeoutError("no reply within " + std::to_string(timeout_ms) + " ms");
    }
    if (zmq_msg_recv(frame_.get(), dealer_.get(), ZMQ_DONTWAIT) < 0) {
      if (zmq_errno() == EAGAIN) return std::optional<Reply>();
      return ZmqError("recv");
    }
    const std::string_view data = frame_.view();
    if (data.size() < kRequestIdBytes) return MalformedError("reply shorter than a request id");
    const uint32_t id = LoadU32(data.data());
    Reply reply;
    reply.tag = id & (kMaxInflight - 1);
    if (expected_[reply.tag] != id) return InternalError("a reply with an unknown request id");
    auto decoded = DecodeResponse(data.substr(kRequestIdBytes), limits_);
    if (!decoded) return decoded.error();
    auto tally = TallyOf(*decoded, reply.kind);
    if (!tally) return tally.error();
    reply.tally = *tally;
    return std::optional<Reply>(reply);
  }

  Status FinishPushes(int) override { return Status::Ok(); }  // the Stats barrier confirms

 private:
  // Builds the request message over `keys`, reusing this connection's vectors.
  Message Build(RequestKind kind, const KeyBatch& keys) {
    key_list_.clear();
    entries_.clear();
    if (kind == RequestKind::kRegister || kind == RequestKind::kRegisterSync) {
      for (size_t i = 0; i < keys.size(); ++i) entries_.push_back({keys.key(i), keys.value(i), {}});
    } else {
      for (size_t i = 0; i < keys.size(); ++i) key_list_.push_back(keys.key(i));
    }
    // RegisterSync is v2-only; it is used for the pre-load under --protocol 1 too.
    const ProtocolVersion v = kind == RequestKind::kRegisterSync ? ProtocolVersion::kV2 : version_;
    switch (kind) {
      case RequestKind::kCanOffload:
        return Message{v, client_id_, 0, CanOffload{std::move(key_list_)}};
      case RequestKind::kMatch:
        return Message{v, client_id_, 0, Match{MatchMode::kAll, std::move(key_list_)}};
      case RequestKind::kRegisterSync:
        return Message{v, client_id_, 0, RegisterSync{std::move(entries_)}};
      case RequestKind::kRegister:
        break;
    }
    return Message{v, client_id_, 0, Register{std::move(entries_)}};
  }

  // Takes the vectors back from a built message so their capacity is reused.
  void Recycle(Message& msg) {
    if (auto* c = std::get_if<CanOffload>(&msg.body)) key_list_ = std::move(c->keys);
    if (auto* m = std::get_if<Match>(&msg.body)) key_list_ = std::move(m->keys);
    if (auto* r = std::get_if<RegisterSync>(&msg.body)) entries_ = std::move(r->entries);
    if (auto* r = std::get_if<Register>(&msg.body)) entries_ = std::move(r->entries);
  }

  Socket dealer_;
  Socket push_;
  uint64_t client_id_;
  ProtocolVersion version_;
  uint32_t sequence_ = 0;
  std::array<uint32_t, kMaxInflight> expected_{};
  std::string buffer_;
  KeyList key_list_;
  std::vector<Entry> entries_;
  Frame frame_;
  DecodeLimits limits_;
};

class ZmqTarget final : public Target {
 public:
  ZmqTarget(void* ctx, ZmqTargetOptions options, int inflight)
      : ctx_(ctx), options_(std::move(options)), hwm_(std::max(1000, 4 * inflight)) {}

  ~ZmqTarget() override {
    control_.reset();
    probe_.reset();
    zmq_ctx_term(ctx_);
  }

  std::string name() const override { return options_.name; }

  Result<std::unique_ptr<Connection>> Connect(uint32_t, uint64_t client_id) override {
    // A routing id must not start with a zero byte (reserved by ZeroMQ).
    std::string rid(9, 'c');
    StoreU64(rid.data() + 1, client_id);
    auto dealer = OpenSocket(ctx_, ZMQ_DEALER, options_.query_addr, hwm_, rid, options_);
    if (!dealer) return dealer.error();
    auto push = OpenSocket(ctx_, ZMQ_PUSH, options_.register_addr, 0, {}, options_);
    if (!push) return push.error();
    return std::unique_ptr<Connection>(
        new ZmqConnection(std::move(*dealer), std::move(*push), client_id, protocol_));
  }

  void set_protocol(int protocol) { protocol_ = protocol; }

  Status BeforeRun() override {
    auto base = RegisterEntries();
    if (!base) return base.error();
    base_entries_ = *base;
    return Status::Ok();
  }

  Status AwaitApplied(uint64_t pushed_entries, int timeout_ms) override {
    const auto deadline = BenchClock::now() + std::chrono::milliseconds(timeout_ms);
    while (true) {
      auto now_entries = RegisterEntries();
      if (!now_entries) return now_entries.error();
      if (*now_entries >= base_entries_ + pushed_entries) return Status::Ok();
      if (BenchClock::now() > deadline) {
        return TimeoutError("the target applied " + std::to_string(*now_entries - base_entries_) +
                            " of " + std::to_string(pushed_entries) + " pushed entries");
      }
      std::this_thread::sleep_for(std::chrono::microseconds(500));
    }
  }

  // Pushes a fire-and-forget Register of one entry through a PUSH socket of its own (opened on
  // first use): the subscriber's probe.
  Status PushProbe(std::string_view key) {
    if (!probe_) {
      auto s = OpenSocket(ctx_, ZMQ_PUSH, options_.register_addr, 0, {}, options_);
      if (!s) return s.error();
      probe_ = std::move(*s);
    }
    std::string frame;
    Message msg{ProtocolVersion::kV2, 0, 0, Register{{Entry{key, "probe", {}}}}};
    if (Status s = Encode(msg, frame); !s.ok()) return s;
    if (zmq_send(probe_.get(), frame.data(), frame.size(), ZMQ_DONTWAIT) < 0) {
      return ZmqError("probe push");
    }
    return Status::Ok();
  }

  // A counter of the target's v2 Stats (e.g. `server_register_entries`), read with a round trip.
  Result<uint64_t> ReadCounter(std::string_view counter) {
    if (!control_) {
      auto s = OpenSocket(ctx_, ZMQ_DEALER, options_.query_addr, 0, {}, options_);
      if (!s) return s.error();
      control_ = std::move(*s);
    }
    std::string frame;
    const uint32_t id = ++control_id_;
    if (Status s = EncodeQueryFrame(id, Message{ProtocolVersion::kV2, 0, 0, Stats{}}, frame);
        !s.ok()) {
      return s;
    }
    if (zmq_send(control_.get(), frame.data(), frame.size(), 0) < 0) return ZmqError("stats");
    zmq_pollitem_t item{control_.get(), 0, ZMQ_POLLIN, 0};
    if (zmq_poll(&item, 1, 10'000) <= 0) return TimeoutError("no Stats reply");
    Frame reply;
    if (zmq_msg_recv(reply.get(), control_.get(), 0) < 0) return ZmqError("stats recv");
    const std::string_view data = reply.view();
    if (data.size() < kRequestIdBytes || LoadU32(data.data()) != id) {
      return InternalError("a Stats reply with the wrong id");
    }
    auto decoded = DecodeResponse(data.substr(kRequestIdBytes), DecodeLimits{});
    if (!decoded) return decoded.error();
    const auto* stats = std::get_if<StatsResponse>(&decoded->body);
    if (stats == nullptr) return InternalError("Stats answered with another type");
    for (const auto& [name, value] : stats->counters) {
      if (name == counter) return value;
    }
    return InternalError("the target reports no " + std::string(counter));
  }

 private:
  Result<uint64_t> RegisterEntries() { return ReadCounter("server_register_entries"); }

  void* ctx_;
  ZmqTargetOptions options_;
  int hwm_;
  int protocol_ = 2;
  Socket control_;
  Socket probe_;
  uint32_t control_id_ = 0;
  uint64_t base_entries_ = 0;
};

std::unique_ptr<ZmqTarget> MakeTarget(const ZmqTargetOptions& zmq_options,
                                      const WorkloadOptions& workload) {
  void* ctx = zmq_ctx_new();
  if (ctx == nullptr || zmq_ctx_set(ctx, ZMQ_IO_THREADS, zmq_options.io_threads) != 0) {
    std::fprintf(stderr, "error: zmq context: %s\n", zmq_strerror(zmq_errno()));
    if (ctx != nullptr) zmq_ctx_term(ctx);
    return nullptr;
  }
  auto target = std::make_unique<ZmqTarget>(ctx, zmq_options, static_cast<int>(workload.inflight));
  target->set_protocol(workload.protocol);
  return target;
}

// Waits (at most 10 s) until the subscription is live: the first message proves it. The hub
// answers a joining subscriber with a sync batch; if none has come within 200 ms (a hub that sends
// no syncs), single-entry probe registrations follow every 20 ms, each a fresh key (an insert, so a
// stored event), drawn far from the workload's keys (a random 64-bit point per seed).
Status AwaitSubscribed(ZmqTarget& target, const EventSubscriber& sub, const WorkloadOptions& wo,
                       uint64_t& probes, double& waited_ms) {
  const auto start = BenchClock::now();
  const auto deadline = start + std::chrono::seconds(10);
  const uint64_t base = Mix64(Mix64(wo.seed) ^ (0x9b0beull << 40));
  std::string key;
  sub.AwaitLive(std::chrono::milliseconds(200));
  while (!sub.live()) {
    if (BenchClock::now() >= deadline) {
      return TimeoutError("the subscriber received nothing within 10 s of " +
                          std::to_string(probes) + " probe registrations");
    }
    key.clear();
    AppendKey(wo.key_format, Mix64(base + probes++), key);
    if (Status s = target.PushProbe(key); !s.ok()) return s;
    sub.AwaitLive(std::chrono::milliseconds(20));
  }
  waited_ms = std::chrono::duration<double, std::milli>(BenchClock::now() - start).count();
  return Status::Ok();
}

// After the load: the hub's last event sequence number (published + dropped), the subscriber
// stopped once it has accounted for it (received, or counted missing after the hub's next sync)
// or no event batch has come for 2 s, and its counts printed.
int ReportSubscriber(ZmqTarget& target, EventSubscriber& sub, const WorkloadOptions& wo,
                     uint64_t probes, double waited_ms) {
  auto published = target.ReadCounter("server_events_published");
  auto dropped = published ? target.ReadCounter("server_events_dropped") : published;
  if (!dropped) {
    std::fprintf(stderr, "error: subscriber: the hub's event counters: %s\n",
                 dropped.status().ToString().c_str());
    return 1;
  }
  const uint64_t last_seq = *published + *dropped;
  const auto timeout = std::chrono::milliseconds(static_cast<int64_t>(wo.timeout_s * 1000));
  auto counts = sub.Stop(last_seq, std::chrono::milliseconds(2000), timeout);
  if (!counts) {
    std::fprintf(stderr, "error: %s\n", counts.status().ToString().c_str());
    return 1;
  }
  const SubscriberCounts& c = *counts;
  const uint64_t tail = c.through < last_seq ? last_seq - c.through : 0;
  std::printf("# subscriber: live after %" PRIu64
              " probe registration(s), %.1f ms; received %" PRIu64 " messages, %" PRIu64
              " event batches, %" PRIu64 " events (stored %" PRIu64 " removed %" PRIu64
              " evicted %" PRIu64 "), %" PRIu64 " heartbeats (sync), %" PRIu64
              " multicasts, %" PRIu64 " body bytes; seq %" PRIu64 "..%" PRIu64
              " of the hub's %" PRIu64 " (published %" PRIu64 " dropped %" PRIu64 "); gaps %" PRIu64
              " (%" PRIu64 " events), tail not accounted for %" PRIu64 ", out of order %" PRIu64
              ", malformed %" PRIu64 ", epochs %" PRIu64 "\n",
              probes, waited_ms, c.messages, c.batches, c.events, c.stored, c.removed, c.evicted,
              c.heartbeats, c.multicasts, c.bytes, c.first_seq, c.last_seq, last_seq, *published,
              *dropped, c.gaps, c.missing, tail, c.out_of_order, c.malformed, c.epochs);
  std::printf("SUBSCRIBER %s events=%" PRIu64 " batches=%" PRIu64 " heartbeats=%" PRIu64
              " gaps=%" PRIu64 " missing=%" PRIu64 " tail_missing=%" PRIu64 " out_of_order=%" PRIu64
              " malformed=%" PRIu64 " hub_published=%" PRIu64 " hub_dropped=%" PRIu64 "\n",
              wo.op_text.c_str(), c.events, c.batches, c.heartbeats, c.gaps, c.missing, tail,
              c.out_of_order, c.malformed, *published, *dropped);
  std::fflush(stdout);
  // A stream the subscriber could not make sense of is a failed run; lost events are a figure.
  return c.out_of_order == 0 && c.malformed == 0 && c.epochs <= 1 ? 0 : 1;
}

}  // namespace

std::unique_ptr<Target> MakeZmqTarget(const ZmqTargetOptions& zmq_options,
                                      const WorkloadOptions& workload) {
  return MakeTarget(zmq_options, workload);
}

void AddZmqTargetOptions(CLI::App& app, ZmqTargetOptions& o) {
  app.add_option("--query-addr", o.query_addr, "the target's query (ROUTER) endpoint")
      ->capture_default_str();
  app.add_option("--register-addr", o.register_addr, "the target's registration (PULL) endpoint")
      ->capture_default_str();
  app.add_option("--io-threads", o.io_threads, "ZeroMQ I/O threads of the load generator")
      ->check(CLI::Range(1, 16))
      ->capture_default_str();
  app.add_option("--subscribe", o.subscribe,
                 "the hub's change-event endpoint (its ready line's events=): run the load with "
                 "one subscriber of \"\" in this process, live before the first request, and "
                 "print what it received (SUBSCRIBER line)");
  app.add_option("--curve-server-key", o.curve_server_key,
                 "CurveZMQ: the target's public key (Z85); needs --curve-secret-key-file");
  app.add_option("--curve-secret-key-file", o.curve_secret_key_file,
                 "CurveZMQ: the load generator's secret key file (a PREFIX.key of 'blockhub "
                 "keygen'; its public key must be in the hub's --authorized-keys)");
}

// Reads the secret key file and derives the public key; both or neither curve option.
Status LoadCurveKeys(ZmqTargetOptions& o) {
  if (o.curve_server_key.empty() && o.curve_secret_key_file.empty()) return Status::Ok();
  if (o.curve_server_key.empty() || o.curve_secret_key_file.empty()) {
    return InvalidArgumentError("--curve-server-key and --curve-secret-key-file go together");
  }
  if (Status s = ValidateCurveKey(o.curve_server_key, "--curve-server-key"); !s.ok()) return s;
  auto secret = ReadCurveKeyFile(o.curve_secret_key_file, "--curve-secret-key-file");
  if (!secret) return secret.error();
  auto pub = CurvePublicFromSecret(*secret);
  if (!pub) return pub.error();
  o.curve_secret_key = *secret;
  o.curve_public_key = *pub;
  return Status::Ok();
}

int RunZmqLoad(int argc, char** argv, const std::string& target_name) {
  CLI::App app{"Load generator against " + target_name +
               " (ROUTER/PULL): pipelined requests per client, latency per request, RESULT line"};
  ZmqTargetOptions zo;
  zo.name = target_name;
  WorkloadOptions wo;
  AddZmqTargetOptions(app, zo);
  AddWorkloadOptions(app, wo);
  if (const int code = ParseWorkloadCommand(app, argc, argv, wo); code >= 0) return code;
  if (Status s = LoadCurveKeys(zo); !s.ok()) {
    std::fprintf(stderr, "error: %s\n", s.ToString().c_str());
    return 2;
  }
  auto target = MakeTarget(zo, wo);
  if (!target) return 1;
  if (zo.subscribe.empty()) return RunLoad(wo, *target);
  auto sub = EventSubscriber::Start(
      zo.subscribe, SubscriberCurve{zo.curve_server_key, zo.curve_public_key, zo.curve_secret_key});
  if (!sub) {
    std::fprintf(stderr, "error: %s\n", sub.status().ToString().c_str());
    return 1;
  }
  uint64_t probes = 0;
  double waited_ms = 0;
  if (Status s = AwaitSubscribed(*target, **sub, wo, probes, waited_ms); !s.ok()) {
    std::fprintf(stderr, "error: --subscribe %s: %s\n", zo.subscribe.c_str(), s.ToString().c_str());
    return 1;
  }
  if (const int code = RunLoad(wo, *target); code != 0) return code;
  return ReportSubscriber(*target, **sub, wo, probes, waited_ms);
}

}  // namespace blockhub::bench
