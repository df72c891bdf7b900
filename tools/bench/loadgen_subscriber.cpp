#include "tools/bench/loadgen_subscriber.h"

#include <zmq.h>

#include <algorithm>
#include <cerrno>
#include <utility>

#include "codec/events.h"

namespace blockhub::bench {
namespace {

using SubClock = std::chrono::steady_clock;

int64_t NowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(SubClock::now().time_since_epoch())
      .count();
}

Status SubError(const std::string& what) {
  return UnavailableError("subscriber " + what + ": " + zmq_strerror(zmq_errno()));
}

std::string_view View(zmq_msg_t& m) {
  return {static_cast<const char*>(zmq_msg_data(&m)), zmq_msg_size(&m)};
}

}  // namespace

Result<std::unique_ptr<EventSubscriber>> EventSubscriber::Start(const std::string& endpoint,
                                                                const SubscriberCurve& curve) {
  void* ctx = zmq_ctx_new();
  if (ctx == nullptr) return SubError("zmq_ctx_new");
  void* sub = zmq_socket(ctx, ZMQ_SUB);
  if (sub == nullptr) {
    Status s = SubError("zmq_socket");
    zmq_ctx_term(ctx);
    return s;
  }
  const int zero = 0;
  bool keys_ok = true;
  if (!curve.server_key.empty()) {
    for (auto [option, key] : {std::pair{ZMQ_CURVE_SERVERKEY, &curve.server_key},
                               std::pair{ZMQ_CURVE_PUBLICKEY, &curve.public_key},
                               std::pair{ZMQ_CURVE_SECRETKEY, &curve.secret_key}}) {
      keys_ok = keys_ok && zmq_setsockopt(sub, option, key->c_str(), key->size()) == 0;
    }
  }
  if (!keys_ok || zmq_setsockopt(sub, ZMQ_LINGER, &zero, sizeof zero) != 0 ||
      zmq_setsockopt(sub, ZMQ_SUBSCRIBE, "", 0) != 0 || zmq_connect(sub, endpoint.c_str()) != 0) {
    Status s = SubError("connect " + endpoint);
    zmq_close(sub);
    zmq_ctx_term(ctx);
    return s;
  }
  std::unique_ptr<EventSubscriber> me(new EventSubscriber(ctx, sub));
  me->thread_ = std::thread(&EventSubscriber::Drain, me.get());
  return me;
}

EventSubscriber::~EventSubscriber() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
  zmq_close(sub_);
  zmq_ctx_term(ctx_);
}

bool EventSubscriber::AwaitLive(std::chrono::milliseconds timeout) const {
  const auto deadline = SubClock::now() + timeout;
  while (!live()) {
    if (SubClock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
  return true;
}

void EventSubscriber::Drain() {
  zmq_msg_t topic;
  zmq_msg_t body;
  zmq_msg_init(&topic);
  zmq_msg_init(&body);
  while (!stop_.load(std::memory_order_relaxed)) {
    zmq_pollitem_t item{sub_, 0, ZMQ_POLLIN, 0};
    const int n = zmq_poll(&item, 1, 20);
    if (n < 0) {
      if (zmq_errno() == EINTR) continue;
      status_ = SubError("poll");
      break;
    }
    if (n == 0) continue;
    // Everything queued, without another poll per message.
    while (true) {
      if (zmq_msg_recv(&topic, sub_, ZMQ_DONTWAIT) < 0) {
        if (zmq_errno() != EAGAIN && zmq_errno() != EINTR) status_ = SubError("recv");
        break;
      }
      ++counts_.messages;
      if (!zmq_msg_more(&topic)) {
        ++counts_.malformed;  // a message of one frame
      } else {
        // The rest of a multipart message has arrived with its first frame.
        if (zmq_msg_recv(&body, sub_, 0) < 0) {
          status_ = SubError("recv body");
          break;
        }
        bool extra = false;
        while (zmq_msg_more(&body)) {  // more than two frames: drop the rest
          extra = true;
          if (zmq_msg_recv(&body, sub_, 0) < 0) break;
        }
        if (extra) {
          ++counts_.malformed;
        } else {
          Account(View(topic), View(body));
        }
      }
      live_.store(true, std::memory_order_release);
    }
    if (!status_.ok()) break;
  }
  zmq_msg_close(&topic);
  zmq_msg_close(&body);
}

void EventSubscriber::Account(std::string_view topic, std::string_view body) {
  if (topic.starts_with(kMemberTopicPrefix)) {  // a multicast to a member, not an event batch
    ++counts_.multicasts;
    return;
  }
  counts_.bytes += body.size();
  auto batch = DecodeEventBatch(body);
  if (!batch) {
    ++counts_.malformed;
    return;
  }
  if (counts_.epochs == 0 || batch->epoch != counts_.epoch) {
    ++counts_.epochs;
    counts_.epoch = batch->epoch;
    counts_.first_seq = 0;
    counts_.last_seq = 0;
    expected_ = 0;
  }
  const uint64_t count = batch->events.size();
  if (count == 0) {
    if (topic != kEventSyncTopic) {
      ++counts_.malformed;
      return;
    }
    ++counts_.heartbeats;
  } else {
    // A batch holds one kind, named by its topic.
    const EventKind kind = batch->events.front().kind;
    uint64_t same = 0;
    for (const Event& e : batch->events) same += e.kind == kind;
    if (same != count || topic != EventKindName(kind)) {
      ++counts_.malformed;
      return;
    }
    ++counts_.batches;
    counts_.events += count;
    (kind == EventKind::kStored    ? counts_.stored
     : kind == EventKind::kRemoved ? counts_.removed
                                   : counts_.evicted) += count;
    if (counts_.first_seq == 0) counts_.first_seq = batch->first_seq;
    counts_.last_seq = batch->first_seq + count - 1;
    last_arrival_ns_.store(NowNs(), std::memory_order_relaxed);
  }
  if (expected_ != 0 && batch->first_seq > expected_) {
    ++counts_.gaps;
    counts_.missing += batch->first_seq - expected_;
  } else if (expected_ != 0 && batch->first_seq < expected_) {
    ++counts_.out_of_order;
  }
  expected_ = std::max(expected_, batch->first_seq + count);
  counts_.through = expected_ - 1;
  through_.store(counts_.through, std::memory_order_relaxed);
}

Result<SubscriberCounts> EventSubscriber::Stop(uint64_t last_seq, std::chrono::milliseconds quiet,
                                               std::chrono::milliseconds timeout) {
  const auto deadline = SubClock::now() + timeout;
  const int64_t quiet_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(quiet).count();
  const int64_t waiting_since = NowNs();
  while (through_.load(std::memory_order_relaxed) < last_seq && SubClock::now() < deadline) {
    const int64_t since = std::max(waiting_since, last_arrival_ns_.load(std::memory_order_relaxed));
    if (NowNs() - since >= quiet_ns) break;  // nothing more is coming
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  stop_ = true;
  if (thread_.joinable()) thread_.join();
  if (!status_.ok()) return status_;
  return counts_;
}

}  // namespace blockhub::bench
