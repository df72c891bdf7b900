#include "hub/store/redis/slot_map.h"

#include <algorithm>
#include <charconv>
#include <string>

namespace blockhub::redis {
namespace {

// [ip, port, id, …] of CLUSTER SLOTS.
Result<NodeAddress> NodeOf(const Reply& node, std::string_view asked_host) {
  if (node.type != Reply::Type::kArray || node.elements.size() < 2 ||
      node.elements[0].type != Reply::Type::kString ||
      node.elements[1].type != Reply::Type::kInteger)
    return MalformedError("CLUSTER SLOTS: a node entry is not [ip, port, …]: " + DebugString(node));
  const int64_t port = node.elements[1].integer;
  if (port < 1 || port > 65535) return MalformedError("CLUSTER SLOTS: bad port");
  std::string host = node.elements[0].str;
  if (host.empty() || host == "?") host = std::string(asked_host);
  return NodeAddress{std::move(host), static_cast<int>(port)};
}

}  // namespace

Result<SlotMap> SlotMap::FromClusterSlots(const Reply& reply, std::string_view asked_host) {
  if (reply.type != Reply::Type::kArray)
    return MalformedError("CLUSTER SLOTS: not an array: " + DebugString(reply));
  SlotMap map;
  for (const Reply& range : reply.elements) {
    if (range.type != Reply::Type::kArray || range.elements.size() < 3 ||
        range.elements[0].type != Reply::Type::kInteger ||
        range.elements[1].type != Reply::Type::kInteger)
      return MalformedError("CLUSTER SLOTS: a range is not [start, end, master, …]");
    const int64_t start = range.elements[0].integer;
    const int64_t end = range.elements[1].integer;
    if (start < 0 || end < start || end >= kClusterSlots)
      return MalformedError("CLUSTER SLOTS: bad slot range");
    auto master = NodeOf(range.elements[2], asked_host);
    if (!master.has_value()) return master.status();
    const int16_t shard = map.ShardOf(*master);
    for (size_t i = 3; i < range.elements.size(); ++i) {
      auto replica = NodeOf(range.elements[i], asked_host);
      if (!replica.has_value()) return replica.status();
      auto& replicas = map.shards_[shard].replicas;
      if (std::find(replicas.begin(), replicas.end(), *replica) == replicas.end())
        replicas.push_back(std::move(*replica));
    }
    std::fill(map.owner_.begin() + start, map.owner_.begin() + end + 1, shard);
  }
  return map;
}

int16_t SlotMap::ShardOf(const NodeAddress& master) {
  for (size_t i = 0; i < shards_.size(); ++i)
    if (shards_[i].master == master) return static_cast<int16_t>(i);
  shards_.push_back(Shard{master, {}});
  return static_cast<int16_t>(shards_.size() - 1);
}

const NodeAddress* SlotMap::MasterOf(uint16_t slot) const {
  if (slot >= kClusterSlots || owner_[slot] == kNoShard) return nullptr;
  return &shards_[owner_[slot]].master;
}

void SlotMap::SetMaster(uint16_t slot, const NodeAddress& master) {
  if (slot >= kClusterSlots) return;
  owner_[slot] = ShardOf(master);
}

std::vector<NodeAddress> SlotMap::AllNodes() const {
  std::vector<NodeAddress> out;
  auto add = [&out](const NodeAddress& n) {
    if (std::find(out.begin(), out.end(), n) == out.end()) out.push_back(n);
  };
  for (const Shard& s : shards_) add(s.master);
  for (const Shard& s : shards_)
    for (const NodeAddress& r : s.replicas) add(r);
  return out;
}

std::vector<NodeAddress> SlotMap::ServingMasters() const {
  std::vector<bool> serving(shards_.size(), false);
  for (int16_t o : owner_)
    if (o != kNoShard) serving[o] = true;
  std::vector<NodeAddress> out;
  for (size_t i = 0; i < shards_.size(); ++i)
    if (serving[i] && std::find(out.begin(), out.end(), shards_[i].master) == out.end())
      out.push_back(shards_[i].master);
  return out;
}

size_t SlotMap::assigned_slots() const {
  return static_cast<size_t>(
      std::count_if(owner_.begin(), owner_.end(), [](int16_t o) { return o != kNoShard; }));
}

std::optional<Redirect> ParseRedirect(const Reply& reply, std::string_view replying_host) {
  Redirect r;
  std::string_view text = reply.str;
  if (reply.IsErrorWord("MOVED")) {
    r.kind = Redirect::Kind::kMoved;
    text.remove_prefix(6);
  } else if (reply.IsErrorWord("ASK")) {
    r.kind = Redirect::Kind::kAsk;
    text.remove_prefix(4);
  } else {
    return std::nullopt;
  }
  const size_t space = text.find(' ');
  if (space == std::string_view::npos) return std::nullopt;
  unsigned slot = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + space, slot);
  if (ec != std::errc() || end != text.data() + space || slot >= kClusterSlots) return std::nullopt;
  r.slot = static_cast<uint16_t>(slot);
  std::string target(text.substr(space + 1));
  if (!target.empty() && target.front() == ':') target = std::string(replying_host) + target;
  auto address = ParseNodeAddress(target);
  if (!address.has_value()) return std::nullopt;
  r.target = std::move(*address);
  return r;
}

}  // namespace blockhub::redis
