// NodeAddress lists, SlotMap from a CLUSTER SLOTS reply, and MOVED/ASK parsing (pure).
#include "hub/store/redis/slot_map.h"

#include <doctest/doctest.h>

namespace blockhub::redis {
namespace {

Reply Node(const std::string& ip, int port) {
  return Reply::Array({Reply::String(ip), Reply::Integer(port), Reply::String("id")});
}

TEST_CASE("ParseNodeList: HOST:PORT entries, errors name the bad entry") {
  auto list = ParseNodeList("127.0.0.1:7000, redis.local:7001");
  REQUIRE(list.has_value());
  CHECK(*list == std::vector<NodeAddress>{{"127.0.0.1", 7000}, {"redis.local", 7001}});
  CHECK(ParseNodeList("127.0.0.1:7000")->size() == 1);
  for (const char* bad :
       {"", "host", "host:", ":7000", "host:0", "host:65536", "host:7x", "a:1,"}) {
    auto r = ParseNodeList(bad);
    CHECK_MESSAGE(r.status().code() == StatusCode::kInvalidArgument, bad);
  }
}

TEST_CASE("SlotMap: ranges, masters with their replicas, MOVED updates one slot") {
  const Reply slots = Reply::Array({
      Reply::Array({Reply::Integer(0), Reply::Integer(5460), Node("10.0.0.1", 7000),
                    Node("10.0.0.4", 7003)}),
      Reply::Array({Reply::Integer(5461), Reply::Integer(10922), Node("", 7001)}),
      Reply::Array({Reply::Integer(10923), Reply::Integer(16383), Node("10.0.0.1", 7000)}),
  });
  auto map = SlotMap::FromClusterSlots(slots, "seed");
  REQUIRE_MESSAGE(map.has_value(), map.status().message());
  CHECK(map->assigned_slots() == kClusterSlots);
  CHECK(map->shards().size() == 2);  // two ranges of 7000 are one shard
  CHECK(*map->MasterOf(0) == NodeAddress{"10.0.0.1", 7000});
  CHECK(*map->MasterOf(16383) == NodeAddress{"10.0.0.1", 7000});
  CHECK(*map->MasterOf(5461) == NodeAddress{"seed", 7001});  // empty ip: the asked host
  CHECK(map->shards()[0].replicas == std::vector<NodeAddress>{{"10.0.0.4", 7003}});
  CHECK(map->AllNodes() ==
        std::vector<NodeAddress>{{"10.0.0.1", 7000}, {"seed", 7001}, {"10.0.0.4", 7003}});
  CHECK(map->ServingMasters() == std::vector<NodeAddress>{{"10.0.0.1", 7000}, {"seed", 7001}});
  map->SetMaster(42, {"10.0.0.9", 7009});
  CHECK(*map->MasterOf(42) == NodeAddress{"10.0.0.9", 7009});
  CHECK(*map->MasterOf(43) == NodeAddress{"10.0.0.1", 7000});
  for (int slot = 5461; slot <= 10922; ++slot)
    map->SetMaster(static_cast<uint16_t>(slot), {"10.0.0.9", 7009});
  CHECK(map->ServingMasters() == std::vector<NodeAddress>{{"10.0.0.1", 7000}, {"10.0.0.9", 7009}});

  SlotMap partial = *SlotMap::FromClusterSlots(
      Reply::Array({Reply::Array({Reply::Integer(10), Reply::Integer(19), Node("h", 1)})}), "s");
  CHECK(partial.assigned_slots() == 10);
  CHECK(partial.MasterOf(9) == nullptr);

  CHECK_FALSE(SlotMap::FromClusterSlots(Reply::Error("ERR"), "s").has_value());
  CHECK_FALSE(
      SlotMap::FromClusterSlots(
          Reply::Array({Reply::Array({Reply::Integer(5), Reply::Integer(16384), Node("h", 1)})}),
          "s")
          .has_value());
}

TEST_CASE("ParseRedirect: MOVED and ASK, anything else is not a redirection") {
  auto moved = ParseRedirect(Reply::Error("MOVED 3999 127.0.0.1:6381"), "x");
  REQUIRE(moved.has_value());
  CHECK(moved->kind == Redirect::Kind::kMoved);
  CHECK(moved->slot == 3999);
  CHECK(moved->target == NodeAddress{"127.0.0.1", 6381});
  auto ask = ParseRedirect(Reply::Error("ASK 7 :6380"), "10.1.1.1");
  REQUIRE(ask.has_value());
  CHECK(ask->kind == Redirect::Kind::kAsk);
  CHECK(ask->target == NodeAddress{"10.1.1.1", 6380});
  CHECK_FALSE(ParseRedirect(Reply::String("MOVED 1 h:1"), "x").has_value());
  CHECK_FALSE(ParseRedirect(Reply::Error("MOVEDX 1 h:1"), "x").has_value());
  CHECK_FALSE(ParseRedirect(Reply::Error("MOVED 16384 h:1"), "x").has_value());
  CHECK_FALSE(ParseRedirect(Reply::Error("ASK 1"), "x").has_value());
  CHECK_FALSE(ParseRedirect(Reply::Error("ERR wrong"), "x").has_value());
}

}  // namespace
}  // namespace blockhub::redis
