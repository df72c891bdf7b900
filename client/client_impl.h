// Client::Impl: the machinery behind Client (client.h) — the I/O thread, the in-flight request
// table, the registration pipeline (client_impl.cpp) and, with a hub list, the failover between
// hubs driven by a HubSelector (client_hubs.cpp). Internal to the client library.
//
// Threads: callers hand work over through two mutex-protected hand-off points (commands_ under
// cmd_mu_, the batcher and outbound registration frames under reg_mu_) and wake the I/O thread
// through Transport::Wake(). Everything else (request ids, the in-flight table, deadlines, the
// transport) belongs to the I/O thread alone. Counters are atomics, readable from any thread.
#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <queue>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "client/batcher.h"
#include "client/client.h"
#include "client/client_options.h"
#include "client/hub_selector.h"
#include "client/transport.h"
#include "client/local_cache.h"
#include "common/clock.h"
#include "common/status.h"

namespace blockhub {

class Client::Impl {
 public:
  // Called exactly once per submitted request: with the reply message (the frame without its
  // request id) or with the error that ended the request (Timeout, Unavailable).
  using Completion = std::function<void(Result<std::string> reply)>;

  Impl(ClientOptions options, std::unique_ptr<Transport> transport);
  ~Impl();

  void Start();
  Status Close();

  // Queues an encoded request message (no request id) with a deadline of now + request_timeout.
  void Submit(std::string message, Completion done);
  Status Register(std::vector<BlockEntry> entries);
  Status Flush();

  const ClientOptions& options() const { return options_; }
  LocalCache& cache() { return cache_; }
  ClientCounters counters() const;
  uint64_t epoch_changes() const { return epoch_changes_.load(); }

 private:
  struct Command {
    std::string message;
    Completion done;
    TimePoint deadline;
  };
  struct InFlight {
    Completion done;  // null for a probe
    uint64_t seq = 0;
    std::string frame;          // request id ‖ message, kept for a re-send (several hubs only)
    TimePoint deadline{};       // of the request
    TimePoint attempt_start{};  // of the current attempt
    size_t hub = 0;             // of the current attempt
    uint64_t tried = 0;         // bit mask of the hubs tried
  };
  struct HubStats {
    std::atomic<uint64_t> attempts{0}, replies{0}, attempt_timeouts{0}, disconnects{0},
        registrations_sent{0};
    std::atomic<uint8_t> state{0};
  };
  struct DeadlineItem {
    TimePoint deadline;
    uint32_t id;
    uint64_t seq;
    bool operator>(const DeadlineItem& o) const { return deadline > o.deadline; }
  };
  struct OutFrame {
    std::string frame;
    size_t entries = 0;
  };

  void Loop();
  void SendCommands();
  void HandleReply(size_t hub, std::string frame);
  // Sends (or re-sends) in-flight request `id` to the hub the selector picks; false when the
  // transport refused it (the request was completed with the error).
  bool SendAttempt(uint32_t id, InFlight& req, TimePoint now);
  // Judges `hub` dead (an attempt or probe passed its deadline, or its connection broke) and
  // moves its requests in flight to other hubs.
  void HubFailed(size_t hub, TimePoint now, bool disconnected);
  void SendProbes(TimePoint now);
  void PublishHubStates();
  void ObserveEpoch(const std::string& frame);
  // The hub's change events (client_impl.cpp): a batch keeps the cache in step (removed and
  // evicted keys dropped; a gap, a new epoch or a malformed batch clears it); a lost stream
  // (disconnect, or no batch for events_timeout) clears it and stops learning until a batch.
  void HandleEventBatch(std::string_view body, TimePoint now);
  void EventsLost(std::string_view why);

 public:
  // Worker membership (client_impl.cpp). On the I/O thread: an AnnounceResponse named this
  // client's member id (0 = withdrawn): follow its multicast topic.
  void OnAnnounced(uint64_t member_id);
  uint64_t member_id() const { return member_id_.load(); }

 private:
  // With options.member_ttl: announces (and renews at half the TTL) from the I/O thread.
  void MaybeAnnounce(TimePoint now);
  void HandleMulticast(std::string_view body);
  // Close(): withdraws an automatic membership (bounded by `deadline`).
  void Withdraw(TimePoint deadline);
  void ExpireRequests(TimePoint now);
  // Moves due batches into frames and hands frames to the transport; true while frames wait for
  // room on the registration channel.
  bool PumpRegistrations(TimePoint now);
  Duration NextWait(TimePoint now);
  void FailEverything(const Status& why);

  ClientOptions options_;
  std::unique_ptr<Transport> transport_;
  SteadyClock clock_;
  LocalCache cache_;  // DYN_REGISTRY_CLIENT_LOCAL_CACHE (off when its capacity is 0)
  std::thread io_thread_;
  std::atomic<bool> stop_{false};
  bool closed_ = false;  // Close() ran (caller side)
  std::mutex close_mu_;
  Status close_status_;

  // Caller -> I/O thread: queries.
  std::mutex cmd_mu_;
  std::vector<Command> commands_;
  bool accepting_ = true;

  // I/O thread only.
  uint32_t next_id_ = 1;
  uint64_t next_seq_ = 1;
  std::unordered_map<uint32_t, InFlight> in_flight_;
  HubSelector selector_;
  bool multi_hub_ = false;  // failover logic only with more than one hub
  std::vector<HubEndpoint> hub_endpoints_;
  std::vector<HubStats> hub_stats_;  // sized once; read by counters() from any thread
  std::atomic<size_t> current_hub_{0};
  std::string scratch_;  // one hub: the frame being sent
  std::priority_queue<DeadlineItem, std::vector<DeadlineItem>, std::greater<DeadlineItem>>
      deadlines_;
  uint64_t epoch_ = 0;
  bool events_on_ = false;  // subscribed to the hub's events (cache on, events_addr set)
  bool events_live_ = false;
  bool events_warned_ = false;  // "no events yet" logged
  uint64_t events_epoch_ = 0;
  uint64_t events_next_seq_ = 0;
  TimePoint events_last_{};  // last batch, or the start / the loss
  bool member_auto_ = false;         // options.member_ttl > 0
  bool announce_in_flight_ = false;  // an automatic Announce awaits its reply
  bool announce_warned_ = false;     // a failure was logged (until the next success)
  TimePoint next_announce_{};
  uint64_t subscribed_member_ = 0;  // the member topic the events channel follows
  std::atomic<bool> member_stop_{false};  // Close began: no more automatic announces
  std::atomic<uint64_t> member_id_{0};
  bool member_sub_pending_ = false;  // subscribed to the member topic, no batch seen since
  std::atomic<bool> member_live_{false};

  // Registrations, shared under reg_mu_.
  std::mutex reg_mu_;
  std::condition_variable reg_cv_;
  Batcher batcher_;
  std::deque<OutFrame> outbound_;
  size_t outbound_entries_ = 0;
  uint64_t queued_total_ = 0;
  uint64_t sent_total_ = 0;
  uint64_t flush_target_ = 0;  // entries [0, flush_target_) go out without waiting for the batch
  bool reg_closed_ = false;
  std::string register_error_;  // last transport error on the registration channel

  // Counters.
  std::atomic<uint64_t> requests_sent_{0}, replies_matched_{0}, late_replies_{0},
      malformed_replies_{0}, timeouts_{0}, registrations_queued_{0}, registrations_sent_{0},
      registration_frames_sent_{0}, registrations_unsent_{0}, epoch_changes_{0}, epoch_seen_{0},
      failovers_{0}, retries_{0}, probes_{0}, events_batches_{0}, events_received_{0},
      events_gaps_{0}, events_lost_{0}, events_malformed_{0}, member_announces_{0},
      member_announce_errors_{0}, multicasts_received_{0};
  std::atomic<bool> events_live_flag_{false};
};

}  // namespace blockhub
