// NodeAddress: a Redis node's "HOST:PORT", and the parser of a seed list
// ("HOST:PORT,HOST:PORT,…"). Plain value type; thread-compatible. Part of the Redis cluster
// client (hub/store/redis).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace blockhub::redis {

struct NodeAddress {
  std::string host;
  int port = 0;

  std::string ToString() const { return host + ":" + std::to_string(port); }
  friend bool operator==(const NodeAddress&, const NodeAddress&) = default;
  friend auto operator<=>(const NodeAddress&, const NodeAddress&) = default;
};

// "HOST:PORT" (the port after the last ':', 1..65535; the host non-empty).
Result<NodeAddress> ParseNodeAddress(std::string_view text);
// A comma-separated list of at least one HOST:PORT; spaces around entries are ignored.
Result<std::vector<NodeAddress>> ParseNodeList(std::string_view csv);

}  // namespace blockhub::redis
