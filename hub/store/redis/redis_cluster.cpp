#include "hub/store/redis/redis_cluster.h"

#include <algorithm>
#include <system_error>
#include <thread>
#include <utility>

#include "hub/store/redis/key_slot.h"

namespace blockhub::redis {
namespace {

const Command kAsking = {"ASKING"};

// "cluster_enabled:1" in an INFO cluster reply; nullopt when the field is missing.
std::optional<bool> ClusterEnabled(const Reply& info) {
  if (info.type != Reply::Type::kString) return std::nullopt;
  const std::string_view text = info.str;
  const size_t at = text.find("cluster_enabled:");
  if (at == std::string_view::npos || at + 16 >= text.size()) return std::nullopt;
  return text[at + 16] == '1';
}

bool IsTransientClusterError(const Reply& r) {
  return r.IsErrorWord("CLUSTERDOWN") || r.IsErrorWord("TRYAGAIN") || r.IsErrorWord("LOADING");
}

}  // namespace

// A command of the current call that has no final result yet.
struct RedisCluster::Pending {
  size_t index = 0;  // into the batch
  int redirections = 0;
  std::optional<NodeAddress> ask;  // send ASKING + the command to this node next
  Status last_error;               // why the last attempt did not settle it
};

// The commands of one round that go to one node, and what came back.
struct RedisCluster::Group {
  NodeAddress node;
  RedisConnection* connection = nullptr;
  std::vector<Pending> items;
  std::vector<const Command*> wire;  // the pipeline: the items' argv, ASKING before asked ones
  std::vector<size_t> reply_at;      // items[i]'s reply is result.replies[reply_at[i]]
  PipelineResult result;
  Duration latency{0};
};

RedisCluster::RedisCluster(std::vector<NodeAddress> seeds, ClusterOptions options)
    : seeds_(std::move(seeds)), options_(std::move(options)) {
  options_.connection.clock = nullptr;
}

RedisCluster::RedisCluster(RedisCluster&&) noexcept = default;
RedisCluster& RedisCluster::operator=(RedisCluster&&) noexcept = default;
RedisCluster::~RedisCluster() = default;

RedisConnection& RedisCluster::ConnectionTo(const NodeAddress& node) {
  auto& slot = connections_[node];
  if (!slot) slot = std::make_unique<RedisConnection>(node.host, node.port, options_.connection);
  return *slot;
}

Result<RedisCluster> RedisCluster::Connect(std::string_view seeds, ClusterOptions options,
                                           TimePoint deadline) {
  auto nodes = ParseNodeList(seeds);
  if (!nodes.has_value()) return nodes.status();
  RedisCluster cluster(std::move(*nodes), std::move(options));
  Duration wait = cluster.options_.retry_initial;
  while (true) {
    std::string errors;
    for (const NodeAddress& seed : cluster.seeds_) {
      auto info = cluster.ConnectionTo(seed).Run({"INFO", "cluster"}, deadline);
      // A refused AUTH, or a server that wants one, will not change by waiting.
      if (!info.has_value() && info.status().code() == StatusCode::kPermissionDenied)
        return info.status();
      if (info.has_value() && (info->IsErrorWord("NOAUTH") || info->IsErrorWord("WRONGPASS")))
        return Status(StatusCode::kPermissionDenied,
                      "redis node " + seed.ToString() + ": " + info->str);
      std::optional<bool> enabled;
      if (info.has_value()) enabled = ClusterEnabled(*info);
      if (!enabled.has_value()) {
        errors += "; " + seed.ToString() + ": " +
                  (info.has_value() ? "no cluster_enabled in INFO cluster: " + DebugString(*info)
                                    : info.status().message());
        continue;
      }
      if (!*enabled) {
        if (cluster.seeds_.size() > 1)
          return InvalidArgumentError("redis node " + seed.ToString() +
                                      " is a plain Redis server (cluster_enabled:0); a plain "
                                      "server must be the only node listed");
        cluster.mode_ = Mode::kPlain;
        cluster.plain_node_ = seed;
        return cluster;
      }
      cluster.mode_ = Mode::kCluster;
      if (Status s = cluster.RefreshMap(deadline); !s.ok()) return s;
      return cluster;
    }
    const TimePoint now = cluster.Now();
    if (now >= deadline) return UnavailableError("no redis seed node answered in time" + errors);
    std::this_thread::sleep_for(std::min<Duration>(wait, deadline - now));
    wait = std::min<Duration>(wait * 2, cluster.options_.retry_max);
  }
}

Status RedisCluster::RefreshMap(TimePoint deadline) {
  if (mode_ == Mode::kPlain) return Status::Ok();
  std::vector<NodeAddress> candidates = map_.AllNodes();
  for (const NodeAddress& s : seeds_)
    if (std::find(candidates.begin(), candidates.end(), s) == candidates.end())
      candidates.push_back(s);
  std::string errors;
  for (const NodeAddress& node : candidates) {
    if (Now() >= deadline) break;
    auto reply = ConnectionTo(node).Run({"CLUSTER", "SLOTS"}, deadline);
    if (!reply.has_value()) {
      errors += "; " + node.ToString() + ": " + reply.status().message();
      continue;
    }
    auto map = SlotMap::FromClusterSlots(*reply, node.host);
    if (!map.has_value() || map->assigned_slots() == 0) {
      errors += "; " + node.ToString() + ": " +
                (map.has_value() ? "no slot assigned" : map.status().message());
      continue;
    }
    const std::vector<NodeAddress> now_serving = map->ServingMasters();
    for (const NodeAddress& old_master : map_.ServingMasters())
      if (std::find(now_serving.begin(), now_serving.end(), old_master) == now_serving.end())
        ++stats_.masters_lost;
    map_ = std::move(*map);
    ++stats_.map_refreshes;
    return Status::Ok();
  }
  return UnavailableError("no redis node answered CLUSTER SLOTS" + errors);
}

std::optional<NodeAddress> RedisCluster::MasterOf(std::string_view key) const {
  if (mode_ == Mode::kPlain) return plain_node_;
  const NodeAddress* master = map_.MasterOf(KeySlot(key));
  if (master == nullptr) return std::nullopt;
  return *master;
}

std::optional<NodeAddress> RedisCluster::RouteOf(const Pending& p,
                                                 std::span<const ClusterCommand> batch) const {
  if (p.ask.has_value()) return p.ask;
  return MasterOf(batch[p.index].key);
}

void RedisCluster::RunGroups(std::vector<Group>& groups, TimePoint deadline) {
  auto run = [this, deadline](Group& g) {
    const TimePoint start = Now();
    g.result = g.connection->PipelineRefs(g.wire, deadline);
    g.latency = Now() - start;
  };
  std::vector<std::thread> threads;
  threads.reserve(groups.size());
  for (size_t i = 1; i < groups.size(); ++i) {
    try {
      threads.emplace_back(run, std::ref(groups[i]));
    } catch (const std::system_error&) {
      run(groups[i]);  // no thread available: this group runs on the calling thread
    }
  }
  if (!groups.empty()) run(groups[0]);
  for (std::thread& t : threads) t.join();
}

// Moves each item of `group` to its final result in `out`, or (redirected, failed, transient
// cluster error) to `next`. Returns true when the call must wait before the next round.
bool RedisCluster::Settle(Group& g, std::vector<Pending>& next,
                          std::vector<std::optional<Result<Reply>>>& out, bool& saw_moved) {
  const std::string node = g.node.ToString();
  ++stats_.round_trips;
  if (g.result.sent) {
    stats_.node_latency[node].Observe(g.latency);
    stats_.commands_sent += g.items.size();
  }
  if (!g.result.status.ok()) ++stats_.connection_errors;
  bool must_wait = false;
  auto give_up = [&](Pending& p, const std::string& why) {
    ++stats_.unavailable;
    out[p.index] = UnavailableError("redis node " + node + ": " + why);
  };
  for (size_t i = 0; i < g.items.size(); ++i) {
    Pending& p = g.items[i];
    p.ask.reset();
    if (g.reply_at[i] >= g.result.replies.size()) {
      p.last_error = g.result.status;
      must_wait = true;
      next.push_back(std::move(p));
      continue;
    }
    Reply& reply = g.result.replies[g.reply_at[i]];
    if (auto redirect = ParseRedirect(reply, g.node.host)) {
      if (++p.redirections > options_.max_redirections) {
        give_up(p, "more than " + std::to_string(options_.max_redirections) +
                       " redirections, the last: " + reply.str);
        continue;
      }
      if (redirect->kind == Redirect::Kind::kMoved) {
        ++stats_.moved;
        saw_moved = true;
        map_.SetMaster(redirect->slot, redirect->target);
      } else {
        ++stats_.ask;
        p.ask = redirect->target;
      }
      next.push_back(std::move(p));
    } else if (IsTransientClusterError(reply)) {
      ++stats_.cluster_errors;
      p.last_error = UnavailableError(reply.str);
      must_wait = true;
      next.push_back(std::move(p));
    } else {
      out[p.index] = std::move(reply);
    }
  }
  return must_wait;
}

std::vector<Result<Reply>> RedisCluster::Execute(std::span<const ClusterCommand> batch,
                                                 TimePoint deadline) {
  ++stats_.calls;
  std::vector<std::optional<Result<Reply>>> out(batch.size());
  std::vector<Pending> pending(batch.size());
  for (size_t i = 0; i < batch.size(); ++i) pending[i].index = i;
  bool refreshed = false;
  Duration wait = options_.retry_initial;
  while (!pending.empty()) {
    bool must_wait = false;
    std::vector<Pending> next;
    std::map<NodeAddress, size_t> group_of;
    std::vector<Group> groups;
    for (Pending& p : pending) {
      std::optional<NodeAddress> node = RouteOf(p, batch);
      if (!node.has_value()) {
        p.last_error = UnavailableError("slot " + std::to_string(KeySlot(batch[p.index].key)) +
                                        " has no master in the slot map");
        must_wait = true;
        next.push_back(std::move(p));
        continue;
      }
      auto [it, added] = group_of.try_emplace(*node, groups.size());
      if (added) groups.push_back(Group{*node, &ConnectionTo(*node), {}, {}, {}, {}, {}});
      Group& g = groups[it->second];
      if (p.ask.has_value()) g.wire.push_back(&kAsking);
      g.reply_at.push_back(g.wire.size());
      g.wire.push_back(&batch[p.index].argv);
      g.items.push_back(std::move(p));
    }
    RunGroups(groups, deadline);
    bool saw_moved = false;
    for (Group& g : groups) must_wait = Settle(g, next, out, saw_moved) || must_wait;
    // Batch order again, so that the commands of a node keep their order in the next round.
    std::sort(next.begin(), next.end(),
              [](const Pending& a, const Pending& b) { return a.index < b.index; });
    pending = std::move(next);
    if (pending.empty()) break;
    if (saw_moved && !refreshed) {
      refreshed = RefreshMap(deadline).ok();
    }
    if (!must_wait) continue;  // redirections only: bounded by max_redirections
    const TimePoint now = Now();
    if (now >= deadline) {
      for (Pending& p : pending) {
        ++stats_.unavailable;
        const std::string where =
            mode_ == Mode::kPlain ? std::string()
                                  : " for key slot " + std::to_string(KeySlot(batch[p.index].key));
        out[p.index] = UnavailableError("redis: no answer before the deadline" + where + ": " +
                                        p.last_error.message());
      }
      break;
    }
    std::this_thread::sleep_for(std::min<Duration>(wait, deadline - now));
    wait = std::min<Duration>(wait * 2, options_.retry_max);
    (void)RefreshMap(deadline);  // a promoted replica or a fixed cluster shows up here
  }
  std::vector<Result<Reply>> results;
  results.reserve(out.size());
  for (auto& r : out) results.push_back(std::move(*r));
  return results;
}

}  // namespace blockhub::redis
