// `blockhub watch`: subscribes to the hub's change events (its --events-addr PUB socket,
// codec/FORMAT.md "Change events") and prints one line per event — text or, with --json, one JSON
// object per line — plus a `gap` line when sequence numbers were lost and an `epoch` line when the
// hub restarted. Subscribes to every topic and filters locally (--type, --prefix), so gaps stay
// detectable (other topics, such as member.* multicasts, are skipped). Writes `watching <endpoint>`
// on stderr once the subscription is live: at the first message, which is the sync batch the hub
// sends to a new subscriber.
//
// Exit codes: 0 after --count events, at --timeout-ms without --count, or on SIGINT/SIGTERM;
// 1 when --timeout-ms passes before --count events (or a ZeroMQ failure); 2 usage error.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "tools/cli/cli_common.h"
#include "tools/cli/watch_tracker.h"

namespace blockhub::cli {

struct WatchOptions {
  std::string events_addr;  // a ZeroMQ endpoint to connect to
  EventFilter filter;
  std::optional<uint64_t> count;       // exit 0 after this many printed events
  std::optional<uint64_t> timeout_ms;  // exit after this long
};

int RunWatch(const CommonSettings& s, const WatchOptions& w);

}  // namespace blockhub::cli
