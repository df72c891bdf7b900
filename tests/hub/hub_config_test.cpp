// HubConfig validation and eviction-kind names.
#include "hub/core/hub_config.h"

#include <doctest/doctest.h>

namespace blockhub {
namespace {

TEST_CASE("eviction kinds parse and print") {
  for (auto k :
       {EvictionKind::kNone, EvictionKind::kLru, EvictionKind::kTail, EvictionKind::kPositional}) {
    auto parsed = ParseEvictionKind(EvictionKindName(k));
    REQUIRE(parsed.has_value());
    CHECK(*parsed == k);
  }
  CHECK_FALSE(ParseEvictionKind("fifo").has_value());
}

TEST_CASE("a policy that does not fit the key format is a start-up error") {
  HubConfig c;
  CHECK(ValidateHubConfig(c).ok());
  c.eviction = EvictionKind::kTail;
  CHECK_FALSE(ValidateHubConfig(c).ok());  // bytes keys
  c.limits.key_format = KeyFormat::kU64;
  CHECK(ValidateHubConfig(c).ok());
  c.eviction = EvictionKind::kPositional;
  CHECK_FALSE(ValidateHubConfig(c).ok());
  c.limits.key_format = KeyFormat::kPositional;
  CHECK(ValidateHubConfig(c).ok());
  c.capacity = 0;
  CHECK_FALSE(ValidateHubConfig(c).ok());
  c.capacity = 10;
  c.lease_ttl = std::chrono::milliseconds(0);
  CHECK_FALSE(ValidateHubConfig(c).ok());
  c.lease_ttl = std::chrono::milliseconds(5);
  CHECK(EffectiveMaxLeases(c) == 10);
  c.max_leases = 3;
  CHECK(EffectiveMaxLeases(c) == 3);
}

}  // namespace
}  // namespace blockhub
