// Transport: the client's two channels to the hub (PROTOCOL.md §1) behind an interface, so the
// Client's request bookkeeping does not depend on ZeroMQ. MakeZmqTransport builds the real one
// (DEALER for queries, PUSH for registrations, an eventfd for wake-ups).
//
// Ownership and threads: a Transport is created on any thread and then used by exactly one thread
// (the Client's I/O thread), except Wake(), which any thread may call at any time. Errors from the
// socket library never escape: every method returns Status/Result.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "common/status.h"

namespace blockhub {

class Transport {
 public:
  virtual ~Transport() = default;

  // Queues one query frame (request id ‖ message). Unavailable when the send queue is full.
  virtual Status SendQuery(std::string_view frame) = 0;
  // Queues one registration frame without blocking: true when queued, false when the queue is at
  // its high-water mark (nothing was queued; retry once Wait reports it writable).
  virtual Result<bool> TrySendRegistration(std::string_view frame) = 0;
  // Waits at most `timeout` for a reply, a Wake(), or (when `want_register_writable`) room on the
  // registration channel. Appends every reply frame now available to `replies`.
  virtual Status Wait(Duration timeout, bool want_register_writable,
                      std::vector<std::string>& replies) = 0;
  // Interrupts a Wait from any thread.
  virtual void Wake() = 0;
  // Closes both channels; queued registrations get up to `linger` to leave.
  virtual void Close(Duration linger) = 0;
};

struct ZmqTransportConfig {
  std::string query_addr;
  std::string register_addr;
  std::string routing_id;  // DEALER routing id (stable per client id)
  int hwm = 10000;
};

Result<std::unique_ptr<Transport>> MakeZmqTransport(const ZmqTransportConfig& config);

}  // namespace blockhub
