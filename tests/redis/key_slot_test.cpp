// KeySlot against known values and against a real cluster's CLUSTER KEYSLOT.
#include "hub/store/redis/key_slot.h"

#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "tests/support/redis_cluster.h"

namespace blockhub::redis {
namespace {

TEST_CASE("KeySlot: CRC16 XMODEM and hash tags") {
  CHECK(Crc16("123456789") == 0x31C3);
  CHECK(KeySlot("foo") == 12182);
  CHECK(HashTagOf("{user1000}.following") == "user1000");
  CHECK(KeySlot("{user1000}.following") == KeySlot("user1000"));
  CHECK(HashTagOf("foo{}{bar}") == "foo{}{bar}");  // empty first tag: the whole key
  CHECK(HashTagOf("foo{{bar}}zap") == "{bar");
  CHECK(HashTagOf("foo{bar}{zap}") == "bar");
  CHECK(HashTagOf("no-close{x") == "no-close{x");
}

TEST_CASE("KeySlot equals the cluster's CLUSTER KEYSLOT") {
  auto cluster = blockhub::testing::LocalRedisCluster::Start();
  REQUIRE_MESSAGE(cluster.has_value(), cluster.status().message());
  const int port = cluster->ports().front();
  for (const std::string& key :
       std::vector<std::string>{"a", "foo", "{tag}x", "x{tag}", "{}x", "blockhub:{00ff}:e",
                                std::string("\x00\xff\x10", 3), "a-much-longer-key-0123456789"}) {
    auto slot = blockhub::testing::RedisCommand(port, {"CLUSTER", "KEYSLOT", key});
    REQUIRE(slot.has_value());
    CHECK_MESSAGE(*slot == std::to_string(KeySlot(key)), key);
  }
}

}  // namespace
}  // namespace blockhub::redis
