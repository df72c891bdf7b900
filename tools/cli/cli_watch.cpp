#include "tools/cli/cli_watch.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <signal.h>
#include <unistd.h>
#include <zmq.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <vector>

#include "codec/printers.h"
#include "common/bytes.h"

namespace blockhub::cli {
namespace {

namespace json = boost::json;
using Clock = std::chrono::steady_clock;

constexpr const char* kMonitorEndpoint = "inproc://blockhub-watch-monitor";
constexpr int kMonitorEvents =
    ZMQ_EVENT_HANDSHAKE_SUCCEEDED | ZMQ_EVENT_DISCONNECTED | ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL |
    ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL | ZMQ_EVENT_HANDSHAKE_FAILED_AUTH;

// SIGINT/SIGTERM write a byte to this pipe, which the poll loop watches (no lost wake-ups).
int g_signal_pipe_write = -1;

extern "C" void OnStopSignal(int) {
  if (g_signal_pipe_write >= 0) {
    const char byte = 1;
    [[maybe_unused]] ssize_t n = write(g_signal_pipe_write, &byte, 1);
  }
}

std::string EpochText(uint64_t epoch) { return fmt::format("{:016x}", epoch); }

// One line on stdout, flushed at once (watch usually feeds a pipe).
void EmitLine(const std::string& line) {
  std::fwrite(line.data(), 1, line.size(), stdout);
  std::fputc('\n', stdout);
  std::fflush(stdout);
}

void EmitJson(const json::object& o) { EmitLine(json::serialize(o)); }

void PrintEvent(const CommonSettings& s, uint64_t epoch, uint64_t seq, const Event& e) {
  const std::string_view type = EventKindName(e.kind);
  const std::string key = FormatKey(s.key_format, e.key);
  if (s.json) {
    json::object o{{"type", type},
                   {"seq", seq},
                   {"epoch", EpochText(epoch)},
                   {"key", key},
                   {"key_hex", ToHex(e.key)}};
    if (e.kind == EventKind::kStored) {
      o["value"] = RenderValue(e.value);
      o["value_hex"] = ToHex(e.value);
      o["metadata"] = RenderMetadata(e.metadata);
      o["metadata_hex"] = ToHex(e.metadata);
    }
    EmitJson(o);
    return;
  }
  std::string line = fmt::format("{} seq={} epoch={} {}", type, seq, EpochText(epoch), key);
  if (e.kind == EventKind::kStored) {
    line += fmt::format(" -> {}  metadata {}", RenderValue(e.value), RenderMetadata(e.metadata));
  }
  EmitLine(line);
}

void PrintStep(const CommonSettings& s, uint64_t epoch, const SequenceStep& step) {
  if (step.new_epoch) {
    if (s.json) {
      EmitJson({{"type", "epoch"},
                {"epoch", EpochText(epoch)},
                {"previous", EpochText(step.previous_epoch)}});
    } else {
      EmitLine(fmt::format("epoch changed previous={} epoch={}", EpochText(step.previous_epoch),
                           EpochText(epoch)));
    }
  }
  if (step.gap) {
    if (s.json) {
      EmitJson({{"type", "gap"},
                {"epoch", EpochText(epoch)},
                {"expected", step.expected},
                {"got", step.got},
                {"lost", step.lost}});
    } else {
      EmitLine(fmt::format("gap epoch={} expected={} got={} lost={}", EpochText(epoch),
                           step.expected, step.got, step.lost));
    }
  }
  if (step.rewind) {
    std::fprintf(stderr,
                 "blockhub: watch: epoch %s went back from sequence %llu to %llu (a duplicate "
                 "batch or a reused epoch); following the new numbering\n",
                 EpochText(epoch).c_str(), static_cast<unsigned long long>(step.expected),
                 static_cast<unsigned long long>(step.got));
  }
}

// Owns the ZeroMQ context, the SUB socket, its monitor and the signal pipe; closes all of them.
class Watcher {
 public:
  ~Watcher() {
    if (monitor_ != nullptr) zmq_close(monitor_);
    if (sub_ != nullptr) {
      zmq_socket_monitor(sub_, nullptr, 0);
      zmq_close(sub_);
    }
    if (ctx_ != nullptr) zmq_ctx_term(ctx_);
    RestoreSignals();
    for (int fd : pipe_) {
      if (fd >= 0) close(fd);
    }
  }

  // Usage errors (a bad endpoint or key) are InvalidArgument; anything else is an I/O failure.
  Status Open(const std::string& endpoint, const ClientOptions& client) {
    if (pipe2(pipe_, O_CLOEXEC | O_NONBLOCK) != 0) return IoError("pipe failed");
    g_signal_pipe_write = pipe_[1];
    struct sigaction sa {};
    sa.sa_handler = OnStopSignal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0;  // no SA_RESTART: the poll returns EINTR, then sees the pipe
    sigaction(SIGINT, &sa, &old_int_);
    sigaction(SIGTERM, &sa, &old_term_);
    signals_set_ = true;

    ctx_ = zmq_ctx_new();
    if (ctx_ == nullptr) return IoError("zmq_ctx_new failed");
    sub_ = zmq_socket(ctx_, ZMQ_SUB);
    if (sub_ == nullptr) return IoError(fmt::format("zmq_socket: {}", zmq_strerror(zmq_errno())));
    const int linger = 0;
    zmq_setsockopt(sub_, ZMQ_LINGER, &linger, sizeof(linger));
    if (!client.curve_server_key.empty()) {
      if (Status st = SetCurve(client); !st.ok()) return st;
    }
    // Every topic: a prefix subscription would turn the other kinds into undetectable holes.
    zmq_setsockopt(sub_, ZMQ_SUBSCRIBE, "", 0);
    if (zmq_socket_monitor(sub_, kMonitorEndpoint, kMonitorEvents) != 0) {
      return IoError(fmt::format("zmq_socket_monitor: {}", zmq_strerror(zmq_errno())));
    }
    monitor_ = zmq_socket(ctx_, ZMQ_PAIR);
    if (monitor_ == nullptr || zmq_connect(monitor_, kMonitorEndpoint) != 0) {
      return IoError(fmt::format("monitor socket: {}", zmq_strerror(zmq_errno())));
    }
    if (zmq_connect(sub_, endpoint.c_str()) != 0) {
      return InvalidArgumentError(
          fmt::format("--events-addr '{}': {} (a ZeroMQ endpoint such as "
                      "tcp://HOST:PORT, the hub's events= endpoint)",
                      endpoint, zmq_strerror(zmq_errno())));
    }
    return Status::Ok();
  }

  void* sub() const { return sub_; }
  void* monitor() const { return monitor_; }
  int signal_fd() const { return pipe_[0]; }

 private:
  // The events socket is a CurveZMQ client like the query and registration sockets.
  Status SetCurve(const ClientOptions& client) {
    char public_key[41] = {};
    if (zmq_curve_public(public_key, client.curve_secret_key.c_str()) != 0) {
      return InvalidArgumentError("CurveZMQ: the secret key is not a valid Z85 key");
    }
    const std::string pub = public_key;
    for (auto [option, key] : {std::pair{ZMQ_CURVE_SERVERKEY, &client.curve_server_key},
                               std::pair{ZMQ_CURVE_PUBLICKEY, &pub},
                               std::pair{ZMQ_CURVE_SECRETKEY, &client.curve_secret_key}}) {
      if (zmq_setsockopt(sub_, option, key->c_str(), key->size() + 1) != 0) {
        return InvalidArgumentError(
            fmt::format("CurveZMQ key refused: {}", zmq_strerror(zmq_errno())));
      }
    }
    return Status::Ok();
  }

  void RestoreSignals() {
    if (!signals_set_) return;
    sigaction(SIGINT, &old_int_, nullptr);
    sigaction(SIGTERM, &old_term_, nullptr);
    g_signal_pipe_write = -1;
    signals_set_ = false;
  }

  void* ctx_ = nullptr;
  void* sub_ = nullptr;
  void* monitor_ = nullptr;
  int pipe_[2] = {-1, -1};
  bool signals_set_ = false;
  struct sigaction old_int_ {};
  struct sigaction old_term_ {};
};

// Reads every frame of one message into `frames`. False on a receive failure (EAGAIN: none).
bool ReceiveMessage(void* socket, std::vector<std::string>& frames) {
  frames.clear();
  for (;;) {
    zmq_msg_t msg;
    zmq_msg_init(&msg);
    if (zmq_msg_recv(&msg, socket, frames.empty() ? ZMQ_DONTWAIT : 0) < 0) {
      zmq_msg_close(&msg);
      return false;
    }
    frames.emplace_back(static_cast<const char*>(zmq_msg_data(&msg)), zmq_msg_size(&msg));
    const bool more = zmq_msg_more(&msg) != 0;
    zmq_msg_close(&msg);
    if (!more) return true;
  }
}

// The connection's state for stderr: `watching EP` once the subscription is live (the first
// message: the hub answers a new subscription with a sync batch), `disconnected` / `reconnected`
// later, and the first failed handshake (CurveZMQ keys refused, or not CurveZMQ on both sides).
struct ConnectionState {
  bool live = false;          // a message arrived: `watching` was written
  bool disconnected = false;  // since the last successful handshake
  bool handshake_failure_told = false;
};

void DrainMonitor(void* monitor, const std::string& endpoint, ConnectionState& c) {
  std::vector<std::string> frames;
  while (ReceiveMessage(monitor, frames)) {
    if (frames.empty() || frames[0].size() < 2) continue;
    uint16_t id = 0;
    std::memcpy(&id, frames[0].data(), sizeof(id));
    if (id == ZMQ_EVENT_HANDSHAKE_SUCCEEDED && c.disconnected) {
      std::fprintf(stderr, "reconnected %s\n", endpoint.c_str());
      c.disconnected = false;
    } else if (id == ZMQ_EVENT_DISCONNECTED) {
      std::fprintf(stderr, "disconnected %s (reconnecting)\n", endpoint.c_str());
      c.disconnected = true;
    } else if ((id == ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL ||
                id == ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL ||
                id == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH) &&
               !c.handshake_failure_told) {
      std::fprintf(stderr,
                   "blockhub: watch: the handshake with %s failed (CurveZMQ keys refused, or "
                   "CurveZMQ on one side only); retrying\n",
                   endpoint.c_str());
      c.handshake_failure_told = true;
    }
    std::fflush(stderr);
  }
}

// The topics of EventBatch messages; anything else on the socket (member.* multicasts) is not
// for watch.
bool IsEventTopic(std::string_view topic) {
  return topic == kEventSyncTopic || topic == EventKindName(EventKind::kStored) ||
         topic == EventKindName(EventKind::kRemoved) || topic == EventKindName(EventKind::kEvicted);
}

}  // namespace

int RunWatch(const CommonSettings& s, const WatchOptions& w) {
  Watcher watcher;
  if (Status st = watcher.Open(w.events_addr, s.client); !st.ok()) {
    return ReportError(s, st,
                       st.code() == StatusCode::kInvalidArgument ? kExitUsage : kExitHubError);
  }
  const auto start = Clock::now();
  const std::optional<Clock::time_point> deadline =
      w.timeout_ms ? std::optional(start + std::chrono::milliseconds(*w.timeout_ms)) : std::nullopt;

  SequenceTracker tracker;
  uint64_t printed = 0;
  uint64_t malformed = 0;
  ConnectionState connection;
  std::vector<std::string> frames;
  zmq_pollitem_t items[3] = {{watcher.sub(), 0, ZMQ_POLLIN, 0},
                             {watcher.monitor(), 0, ZMQ_POLLIN, 0},
                             {nullptr, watcher.signal_fd(), ZMQ_POLLIN, 0}};
  for (;;) {
    long wait_ms = -1;
    if (deadline) {
      const auto left =
          std::chrono::ceil<std::chrono::milliseconds>(*deadline - Clock::now()).count();
      if (left <= 0) break;
      wait_ms = static_cast<long>(left);
    }
    if (zmq_poll(items, 3, wait_ms) < 0) {
      if (zmq_errno() == EINTR) continue;
      return ReportError(s, IoError(fmt::format("zmq_poll: {}", zmq_strerror(zmq_errno()))),
                         kExitHubError);
    }
    if (items[2].revents & ZMQ_POLLIN) return kExitOk;  // SIGINT / SIGTERM
    if (items[1].revents & ZMQ_POLLIN) DrainMonitor(watcher.monitor(), w.events_addr, connection);
    if ((items[0].revents & ZMQ_POLLIN) == 0) continue;
    // A bounded run of messages per wake-up, so that signals and the deadline are seen in time.
    for (int n = 0; n < 1024 && ReceiveMessage(watcher.sub(), frames); ++n) {
      if (!connection.live) {
        // The first message (the hub's sync batch for a new subscription): from now on nothing
        // the hub publishes is missed, or it shows as a gap.
        std::fprintf(stderr, "watching %s\n", w.events_addr.c_str());
        std::fflush(stderr);
        connection.live = true;
      }
      // Two frames: topic, EventBatch. The topic names the kind, or `sync` for a batch without
      // events; the batch itself says everything. Other topics are not event batches.
      if (!frames.empty() && !IsEventTopic(frames[0])) continue;
      auto batch = frames.size() == 2
                       ? DecodeEventBatch(frames[1])
                       : Result<EventBatch>(MalformedError(
                             fmt::format("{} frames instead of 2 (topic, batch)", frames.size())));
      if (!batch) {
        // Its events are unknown; the next batch's first_seq shows them as a gap.
        if (malformed++ < 10) {
          std::fprintf(stderr, "blockhub: watch: skipped an undecodable event message: %s\n",
                       batch.error().ToString().c_str());
        }
        continue;
      }
      PrintStep(s, batch->epoch, tracker.Observe(*batch));
      for (size_t i = 0; i < batch->events.size(); ++i) {
        const Event& e = batch->events[i];
        if (!w.filter.Matches(e)) continue;
        PrintEvent(s, batch->epoch, batch->first_seq + i, e);
        if (w.count && ++printed >= *w.count) return kExitOk;
      }
    }
  }
  // The deadline passed.
  if (w.count && printed < *w.count) {
    return ReportError(s,
                       TimeoutError(fmt::format("watch: {} of {} events within {} ms", printed,
                                                *w.count, *w.timeout_ms)),
                       kExitHubError);
  }
  return kExitOk;
}

}  // namespace blockhub::cli
