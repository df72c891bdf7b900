// Transport: the client's two channels to each hub of its hub list (PROTOCOL.md §1) behind an
// interface, so the Client's request bookkeeping does not depend on ZeroMQ. Hubs are numbered
// 0..hub_count()-1 in list order. MakeZmqTransport builds the real one (per hub a DEALER for
// queries and a PUSH for registrations, all DEALERs with the same routing id; an eventfd for
// wake-ups; a socket monitor per DEALER reports broken connections; optionally a SUB on the
// hub's change events, with a monitor of its own).
//
// Ownership and threads: a Transport is created on any thread and then used by exactly one thread
// (the Client's I/O thread), except Wake(), which any thread may call at any time. Errors from the
// socket library never escape: every method returns Status/Result.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "client/client_options.h"
#include "common/clock.h"
#include "common/status.h"

namespace blockhub {

// One reply frame and the hub it came from — or, with `disconnected`, the news that the hub's
// established query connection broke (its process died or closed it; no frame). With an event
// subscription also: an EventBatch body from the events channel (`event`), or the news that the
// event connection broke (`events_lost`).
struct TransportReply {
  size_t hub = 0;
  std::string frame;
  bool disconnected = false;
  bool event = false;
  bool events_lost = false;
  bool multicast = false;  // a MulticastMessage body from a member topic of the events channel
};

class Transport {
 public:
  virtual ~Transport() = default;

  // How many hubs this transport talks to (at least 1).
  virtual size_t hub_count() const = 0;
  // Queues one query frame (request id ‖ message) to `hub`. Unavailable when its send queue is
  // full.
  virtual Status SendQuery(size_t hub, std::string_view frame) = 0;
  // Queues one registration frame to `hub` without blocking: true when queued, false when the
  // queue is at its high-water mark (nothing was queued; retry once Wait reports it writable).
  virtual Result<bool> TrySendRegistration(size_t hub, std::string_view frame) = 0;
  // Waits at most `timeout` for a reply from any hub, a Wake(), or (when `register_writable` names
  // a hub) room on that hub's registration channel. Appends every reply and disconnect event now
  // available.
  virtual Status Wait(Duration timeout, std::optional<size_t> register_writable,
                      std::vector<TransportReply>& replies) = 0;
  // Interrupts a Wait from any thread.
  virtual void Wake() = 0;
  // Adds (or, with on = false, drops) a topic prefix on the events channel (a member's multicast
  // topic); nothing when there is no events channel.
  virtual Status Subscribe(std::string_view topic, bool on) = 0;
  // Closes every channel; queued registrations get up to `linger` to leave.
  virtual void Close(Duration linger) = 0;
};

struct ZmqTransportConfig {
  std::vector<HubEndpoint> hubs;  // at least one
  std::string routing_id;         // DEALER routing id (stable per client id, the same on every hub)
  int hwm = 10000;
  // CurveZMQ on every socket when set (Z85): the hub's public key, this client's key pair.
  std::string curve_server_key;
  std::string curve_public_key;
  std::string curve_secret_key;
  // A SUB socket on the hub's change events (subscribed to everything) when set.
  std::string events_addr;
};

Result<std::unique_ptr<Transport>> MakeZmqTransport(const ZmqTransportConfig& config);

}  // namespace blockhub
