#include "client/client_impl.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <utility>

#include "codec/codec.h"
#include "common/bytes.h"

namespace blockhub {
namespace {

// The I/O thread wakes at least this often even when idle (bounded reaction to anything missed).
constexpr Duration kIdleWait = std::chrono::milliseconds(250);

std::string EncodeRegisterFrame(const ClientOptions& o, const std::vector<BlockEntry>& batch) {
  Register body;
  body.entries.reserve(batch.size());
  for (const auto& e : batch) body.entries.push_back({e.key, e.value, e.metadata});
  Message msg{o.protocol, o.client_id, 0, std::move(body)};
  std::string frame;
  // Sizes were validated by Register(); an encode failure here would be a codec bug.
  if (Status s = Encode(msg, frame); !s.ok()) {
    spdlog::error("blockhub client: cannot encode a Register batch: {}", s.ToString());
  }
  return frame;
}

}  // namespace

Client::Impl::Impl(ClientOptions options, std::unique_ptr<Transport> transport)
    : options_(std::move(options)),
      transport_(std::move(transport)),
      batcher_(options_.batch_size, options_.batch_timeout) {}

Client::Impl::~Impl() { (void)Close(); }

void Client::Impl::Start() {
  io_thread_ = std::thread([this] { Loop(); });
}

ClientCounters Client::Impl::counters() const {
  ClientCounters c;
  c.requests_sent = requests_sent_.load();
  c.replies_matched = replies_matched_.load();
  c.late_replies = late_replies_.load();
  c.malformed_replies = malformed_replies_.load();
  c.timeouts = timeouts_.load();
  c.registrations_queued = registrations_queued_.load();
  c.registrations_sent = registrations_sent_.load();
  c.registration_frames_sent = registration_frames_sent_.load();
  c.registrations_unsent = registrations_unsent_.load();
  c.epoch_changes = epoch_changes_.load();
  c.epoch = epoch_seen_.load();
  return c;
}

// ---- caller side ----

void Client::Impl::Submit(std::string message, Completion done) {
  {
    std::lock_guard lock(cmd_mu_);
    if (accepting_) {
      commands_.push_back(
          {std::move(message), std::move(done), clock_.Now() + options_.request_timeout});
      done = nullptr;
    }
  }
  if (done) {
    done(UnavailableError("the client is closed"));
    return;
  }
  transport_->Wake();
}

Status Client::Impl::Register(std::vector<BlockEntry> entries) {
  for (const auto& e : entries) {
    if (e.key.empty() || e.key.size() > 0xffff || e.value.size() > 0xffff ||
        e.metadata.size() > 0xffff) {
      return InvalidArgumentError(
          "Register: a key must be 1..65535 bytes, a value and metadata "
          "at most 65535 bytes");
    }
  }
  bool wake = false;
  size_t accepted = 0;
  {
    std::unique_lock lock(reg_mu_);
    const TimePoint deadline = clock_.Now() + options_.request_timeout;
    for (auto& e : entries) {
      while (!reg_closed_ &&
             batcher_.pending() + outbound_entries_ >= options_.max_pending_registrations) {
        transport_->Wake();
        if (reg_cv_.wait_until(lock, deadline) == std::cv_status::timeout &&
            batcher_.pending() + outbound_entries_ >= options_.max_pending_registrations) {
          return UnavailableError(fmt::format(
              "Register: registration queue full for {} ms (hub not draining); {} of {} entries "
              "accepted, the rest were not",
              options_.request_timeout.count(), accepted, entries.size()));
        }
      }
      if (reg_closed_) return UnavailableError("Register: the client is closed");
      wake |= batcher_.Add(std::move(e), clock_.Now()) || batcher_.pending() == 1;
      ++queued_total_;
      ++accepted;
      registrations_queued_.fetch_add(1);
    }
  }
  if (wake) transport_->Wake();
  return Status::Ok();
}

Status Client::Impl::Flush() {
  std::unique_lock lock(reg_mu_);
  const uint64_t target = queued_total_;
  flush_target_ = std::max(flush_target_, target);
  transport_->Wake();
  const TimePoint deadline = clock_.Now() + options_.request_timeout;
  bool done =
      reg_cv_.wait_until(lock, deadline, [&] { return sent_total_ >= target || reg_closed_; });
  if (sent_total_ >= target) return Status::Ok();
  if (!done) {
    return TimeoutError(fmt::format("Flush: {} registration entries not sent within {} ms",
                                    target - sent_total_, options_.request_timeout.count()));
  }
  return UnavailableError("Flush: the client closed first");
}

Status Client::Impl::Close() {
  std::lock_guard close_lock(close_mu_);
  if (closed_) return close_status_;
  closed_ = true;
  if (!io_thread_.joinable()) return close_status_;  // never started
  const TimePoint deadline = clock_.Now() + options_.request_timeout;
  uint64_t unsent = 0;
  {
    std::unique_lock lock(reg_mu_);
    flush_target_ = queued_total_;
    transport_->Wake();
    reg_cv_.wait_until(lock, deadline, [&] { return sent_total_ >= queued_total_; });
    reg_closed_ = true;
    unsent = queued_total_ - sent_total_;
    reg_cv_.notify_all();
  }
  {
    std::lock_guard lock(cmd_mu_);
    accepting_ = false;
  }
  stop_.store(true);
  transport_->Wake();
  io_thread_.join();
  // Frames already handed to the transport get the rest of the budget to leave.
  transport_->Close(std::max(Duration(0), deadline - clock_.Now()));
  if (unsent > 0) {
    registrations_unsent_.store(unsent);
    spdlog::warn("blockhub client {:016x}: closed with {} registration entries not sent",
                 options_.client_id, unsent);
    close_status_ =
        UnavailableError(fmt::format("Close: {} registration entries could not be sent", unsent));
  }
  return close_status_;
}

// ---- I/O thread ----

void Client::Impl::Loop() {
  std::vector<std::string> replies;
  while (!stop_.load()) {
    SendCommands();
    TimePoint now = clock_.Now();
    bool want_writable = PumpRegistrations(now);
    ExpireRequests(now);
    replies.clear();
    if (Status s = transport_->Wait(NextWait(clock_.Now()), want_writable, replies); !s.ok()) {
      spdlog::error("blockhub client: {}", s.ToString());
    }
    for (auto& r : replies) HandleReply(std::move(r));
  }
  FailEverything(UnavailableError("the client is closed"));
}

void Client::Impl::SendCommands() {
  std::vector<Command> batch;
  {
    std::lock_guard lock(cmd_mu_);
    batch.swap(commands_);
  }
  std::string frame;
  for (auto& cmd : batch) {
    while (next_id_ == 0 || in_flight_.contains(next_id_)) ++next_id_;
    const uint32_t id = next_id_++;
    frame.clear();
    ByteWriter(frame).U32(id);
    frame += cmd.message;
    if (Status s = transport_->SendQuery(frame); !s.ok()) {
      cmd.done(std::move(s));
      continue;
    }
    requests_sent_.fetch_add(1);
    const uint64_t seq = next_seq_++;
    in_flight_.emplace(id, InFlight{std::move(cmd.done), seq});
    deadlines_.push({cmd.deadline, id, seq});
  }
}

void Client::Impl::HandleReply(std::string frame) {
  if (frame.size() < kRequestIdBytes) {
    malformed_replies_.fetch_add(1);
    return;
  }
  const uint32_t id = LoadU32(frame.data());
  auto it = in_flight_.find(id);
  if (it == in_flight_.end()) {
    late_replies_.fetch_add(1);  // its request timed out (or was never ours): drop it
    return;
  }
  Completion done = std::move(it->second.done);
  in_flight_.erase(it);
  replies_matched_.fetch_add(1);
  ObserveEpoch(frame);
  frame.erase(0, kRequestIdBytes);
  done(std::move(frame));
}

void Client::Impl::ObserveEpoch(const std::string& frame) {
  // v2 response header: version 2, type, epoch u64 (PROTOCOL.md §2).
  constexpr size_t kEpochAt = kRequestIdBytes + 2;
  if (frame.size() < kEpochAt + 8 || static_cast<uint8_t>(frame[kRequestIdBytes]) != 2) return;
  const uint64_t epoch = LoadU64(frame.data() + kEpochAt);
  if (epoch == epoch_) return;
  const uint64_t old = epoch_;
  epoch_ = epoch;
  epoch_seen_.store(epoch);
  if (old == 0) return;  // first contact
  epoch_changes_.fetch_add(1);
  spdlog::info("blockhub client: hub epoch changed {:016x} -> {:016x} (hub restarted)", old, epoch);
  if (options_.on_epoch_change) options_.on_epoch_change(old, epoch);
}

void Client::Impl::ExpireRequests(TimePoint now) {
  while (!deadlines_.empty() && deadlines_.top().deadline <= now) {
    DeadlineItem item = deadlines_.top();
    deadlines_.pop();
    auto it = in_flight_.find(item.id);
    if (it == in_flight_.end() || it->second.seq != item.seq) continue;  // already answered
    Completion done = std::move(it->second.done);
    in_flight_.erase(it);
    timeouts_.fetch_add(1);
    done(TimeoutError(
        fmt::format("no reply from the hub within {} ms", options_.request_timeout.count())));
  }
}

bool Client::Impl::PumpRegistrations(TimePoint now) {
  std::lock_guard lock(reg_mu_);
  while (!batcher_.empty() &&
         (batcher_.Due(now) || flush_target_ > queued_total_ - batcher_.pending())) {
    std::vector<BlockEntry> batch = batcher_.TakeBatch();
    outbound_.push_back({EncodeRegisterFrame(options_, batch), batch.size()});
    outbound_entries_ += batch.size();
  }
  bool progressed = false;
  while (!outbound_.empty()) {
    Result<bool> sent = transport_->TrySendRegistration(outbound_.front().frame);
    if (!sent) {
      if (register_error_ != sent.error().message()) {
        register_error_ = sent.error().message();
        spdlog::error("blockhub client: {}", register_error_);
      }
      break;
    }
    if (!*sent) break;  // at the high-water mark: wait for room
    const size_t n = outbound_.front().entries;
    outbound_.pop_front();
    outbound_entries_ -= n;
    sent_total_ += n;
    registrations_sent_.fetch_add(n);
    registration_frames_sent_.fetch_add(1);
    progressed = true;
  }
  if (progressed) reg_cv_.notify_all();
  return !outbound_.empty();
}

Duration Client::Impl::NextWait(TimePoint now) {
  TimePoint until = now + kIdleWait;
  if (!deadlines_.empty()) until = std::min(until, deadlines_.top().deadline);
  {
    std::lock_guard lock(reg_mu_);
    if (auto d = batcher_.NextDeadline()) until = std::min(until, *d);
    if (!batcher_.empty() &&
        (batcher_.Due(now) || flush_target_ > queued_total_ - batcher_.pending())) {
      until = now;
    }
  }
  return std::max(Duration(0), until - now);
}

void Client::Impl::FailEverything(const Status& why) {
  std::vector<Command> pending;
  {
    std::lock_guard lock(cmd_mu_);
    pending.swap(commands_);
  }
  for (auto& cmd : pending) cmd.done(why);
  for (auto& [id, req] : in_flight_) req.done(why);
  in_flight_.clear();
  deadlines_ = {};
}

}  // namespace blockhub
