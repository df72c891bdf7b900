// MemberTable: the hub's live workers (codec/FORMAT.md "Members"). One record per member id (the
// lease owner of its Announce): name, metadata, when it announced, when it was last heard from and
// its TTL. A member is live until last_heard + ttl; a member past that is absent for every
// operation even before Expire removes it (a request from it then does not revive it).
//
// Expiry: a min-heap of (deadline, id) with at most one current item per member (`queued_ns`). A
// heartbeat only moves last_heard (no heap work); when an item comes due, the member is removed if
// its real deadline has passed, else the item is pushed again at the real deadline. Items left by
// withdrawals or replaced by a shorter renewal are stale and skipped when they come due.
//
// Owned by HubCore; one thread; not thread-safe.
#pragma once

#include <boost/unordered/unordered_flat_map.hpp>
#include <cstdint>
#include <optional>
#include <queue>
#include <string>
#include <utility>
#include <vector>

#include "codec/message.h"
#include "common/clock.h"

namespace blockhub {

struct MemberRecord {
  uint64_t client_id = 0;
  std::string name;
  std::vector<std::pair<std::string, std::string>> metadata;  // in the order announced
  TimePoint announced_at;
  TimePoint last_heard;
  Duration ttl{0};
  int64_t queued_ns = 0;  // the deadline of this member's current heap item

  TimePoint deadline() const { return last_heard + ttl; }
  bool Matches(const MemberFilter& filter) const;
};

class MemberTable {
 public:
  enum class AnnounceResult : uint8_t { kJoined, kRenewed, kFull };

  // Upserts `id` (metadata replaced, announced_at kept on a renewal). kFull: a new member beyond
  // `max_members` (no effect; the caller may Expire and try again). Call TakeExpired(id) first so
  // that an expired record departs (and is counted) before it is announced anew.
  AnnounceResult Announce(uint64_t id, uint64_t client_id, const Announce& request, Duration ttl,
                          TimePoint now, uint64_t max_members);
  // Removes `id` if it is held but past its deadline (its departure, not yet swept); true if so.
  bool TakeExpired(uint64_t id, TimePoint now);
  // Removes a live member; false if `id` was none (an expired one is removed too, but reported
  // false: it had already departed).
  bool Withdraw(uint64_t id, TimePoint now);
  // A request from `id`: a live member's last_heard becomes `now`.
  void Heartbeat(uint64_t id, TimePoint now) {
    if (members_.empty()) return;
    auto it = members_.find(id);
    if (it != members_.end() && it->second.deadline() > now) it->second.last_heard = now;
  }
  // Removes members whose deadline is <= now, popping at most `max_work` heap items; appends the
  // removed ids to `departed`.
  void Expire(TimePoint now, size_t max_work, std::vector<uint64_t>& departed);
  std::optional<TimePoint> NextDeadline() const;

  // Live members matching `filter`, ascending id. Pointers stay valid until the next mutation.
  std::vector<std::pair<uint64_t, const MemberRecord*>> Match(const MemberFilter& filter,
                                                              TimePoint now) const;
  bool IsLive(uint64_t id, TimePoint now) const {
    auto it = members_.find(id);
    return it != members_.end() && it->second.deadline() > now;
  }
  // Members held, including expired ones Expire has not removed yet.
  size_t size() const { return members_.size(); }

 private:
  static int64_t Ns(TimePoint t) { return t.time_since_epoch().count(); }
  void Queue(uint64_t id, MemberRecord& m);

  boost::unordered_flat_map<uint64_t, MemberRecord> members_;
  using Item = std::pair<int64_t, uint64_t>;  // (deadline ns, id)
  std::priority_queue<Item, std::vector<Item>, std::greater<Item>> queue_;
};

}  // namespace blockhub
