#include "hub/core/member_table.h"

#include <algorithm>

namespace blockhub {

bool MemberRecord::Matches(const MemberFilter& filter) const {
  for (const FilterTerm& t : filter) {
    const auto it = std::find_if(metadata.begin(), metadata.end(),
                                 [&](const auto& p) { return p.first == t.key; });
    if (it == metadata.end()) return false;
    if (t.value && it->second != *t.value) return false;
  }
  return true;
}

void MemberTable::Queue(uint64_t id, MemberRecord& m) {
  m.queued_ns = Ns(m.deadline());
  queue_.push({m.queued_ns, id});
}

MemberTable::AnnounceResult MemberTable::Announce(uint64_t id, uint64_t client_id,
                                                  const blockhub::Announce& request, Duration ttl,
                                                  TimePoint now, uint64_t max_members) {
  auto it = members_.find(id);
  const bool live = it != members_.end() && it->second.deadline() > now;
  if (it == members_.end() && members_.size() >= max_members) return AnnounceResult::kFull;
  if (it == members_.end()) it = members_.try_emplace(id).first;
  MemberRecord& m = it->second;
  if (!live) {
    m.announced_at = now;
    m.queued_ns = 0;
  }
  m.client_id = client_id;
  m.name.assign(request.name);
  m.metadata.clear();
  m.metadata.reserve(request.metadata.size());
  for (const MetadataPair& p : request.metadata) m.metadata.emplace_back(p.key, p.value);
  m.last_heard = now;
  m.ttl = ttl;
  // One current heap item per member: a new one only when this deadline is earlier.
  if (!live || Ns(m.deadline()) < m.queued_ns) Queue(id, m);
  return live ? AnnounceResult::kRenewed : AnnounceResult::kJoined;
}

bool MemberTable::TakeExpired(uint64_t id, TimePoint now) {
  auto it = members_.find(id);
  if (it == members_.end() || it->second.deadline() > now) return false;
  members_.erase(it);
  return true;
}

bool MemberTable::Withdraw(uint64_t id, TimePoint now) {
  auto it = members_.find(id);
  if (it == members_.end()) return false;
  const bool live = it->second.deadline() > now;
  members_.erase(it);
  return live;
}

void MemberTable::Expire(TimePoint now, size_t max_work, std::vector<uint64_t>& departed) {
  const int64_t now_ns = Ns(now);
  for (size_t work = 0; work < max_work && !queue_.empty(); ++work) {
    const Item item = queue_.top();
    if (item.first > now_ns) break;
    queue_.pop();
    auto it = members_.find(item.second);
    if (it == members_.end() || it->second.queued_ns != item.first) continue;  // stale
    if (it->second.deadline() <= now) {
      departed.push_back(item.second);
      members_.erase(it);
    } else {
      Queue(item.second, it->second);  // heard from since: due at its real deadline
    }
  }
}

std::optional<TimePoint> MemberTable::NextDeadline() const {
  if (queue_.empty()) return std::nullopt;
  return TimePoint(Duration(queue_.top().first));
}

std::vector<std::pair<uint64_t, const MemberRecord*>> MemberTable::Match(
    const MemberFilter& filter, TimePoint now) const {
  std::vector<std::pair<uint64_t, const MemberRecord*>> out;
  for (const auto& [id, m] : members_) {
    if (m.deadline() > now && m.Matches(filter)) out.emplace_back(id, &m);
  }
  std::sort(out.begin(), out.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  return out;
}

}  // namespace blockhub
