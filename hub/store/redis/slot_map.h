// SlotMap: which master serves each of the 16,384 hash slots, with each master's replicas (from
// CLUSTER SLOTS), and the parser of MOVED / ASK redirection errors.
//
// Plain value type; thread-compatible. Part of the Redis cluster client (hub/store/redis).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "hub/store/redis/key_slot.h"
#include "hub/store/redis/node_address.h"
#include "hub/store/redis/reply.h"

namespace blockhub::redis {

struct Shard {
  NodeAddress master;
  std::vector<NodeAddress> replicas;
};

class SlotMap {
 public:
  SlotMap() { owner_.fill(kNoShard); }

  // Parses a CLUSTER SLOTS reply: [[start, end, [ip, port, id, …], [replica ip, port, …]…]…].
  // An empty ip (a node that does not know its own address) means `asked_host`.
  static Result<SlotMap> FromClusterSlots(const Reply& reply, std::string_view asked_host);

  // The master of `slot`, or nullptr when no node serves it.
  const NodeAddress* MasterOf(uint16_t slot) const;
  // After MOVED: `slot` is served by `master` (a shard is added if it is a new master).
  void SetMaster(uint16_t slot, const NodeAddress& master);

  const std::vector<Shard>& shards() const { return shards_; }
  // Every known node, masters first, each once.
  std::vector<NodeAddress> AllNodes() const;
  // The masters that serve at least one slot, each once.
  std::vector<NodeAddress> ServingMasters() const;
  size_t assigned_slots() const;

 private:
  static constexpr int16_t kNoShard = -1;
  int16_t ShardOf(const NodeAddress& master);

  std::vector<Shard> shards_;
  std::array<int16_t, kClusterSlots> owner_{};
};

// A redirection error reply: "MOVED <slot> <host>:<port>" or "ASK <slot> <host>:<port>".
struct Redirect {
  enum class Kind : uint8_t { kMoved, kAsk };
  Kind kind = Kind::kMoved;
  uint16_t slot = 0;
  NodeAddress target;
};

// The redirection in `reply`, or nullopt when it is not a well-formed MOVED/ASK error. An empty
// host (a node announcing an unknown endpoint) means `replying_host`.
std::optional<Redirect> ParseRedirect(const Reply& reply, std::string_view replying_host);

}  // namespace blockhub::redis
