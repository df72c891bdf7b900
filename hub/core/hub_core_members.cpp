// HubCore's worker membership (codec/FORMAT.md "Members"): Announce / withdraw, Enumerate,
// Multicast, member expiry, and the release of a departed member's leases.
//
// Why releasing a departed member's leases is safe: a lease only keeps other workers from
// uploading the same block at the same time. If the member is in fact still alive (it missed its
// heartbeats), the worst case is that another worker uploads the block too; registration is first
// writer wins and content-addressed blocks are identical, so the catalog stays correct, and the
// old holder learns it lost the lease (Renew answers NotHeld, Release counts 0).
#include <algorithm>
#include <string>

#include "hub/core/hub_core.h"
#include "hub/core/hub_core_impl.h"

namespace blockhub {

uint64_t HubCore::Impl::UnixMs(TimePoint t) const {
  const auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch() + wall_offset);
  return ms.count() < 0 ? 0 : static_cast<uint64_t>(ms.count());
}

void HubCore::Impl::ReleaseLeasesOf(std::vector<uint64_t>& owners, TimePoint now) {
  if (owners.empty()) return;
  std::sort(owners.begin(), owners.end());
  leases.ReleaseOwners(owners, now);
}

void HubCore::Impl::ExpireMembers(TimePoint now, size_t max_work) {
  departed.clear();
  members.Expire(now, max_work, departed);
  counters.members_expired += departed.size();
  ReleaseLeasesOf(departed, now);
}

Message HubCore::Impl::HandleAnnounce(OwnerId owner, uint64_t client_id, const Announce& r,
                                      TimePoint now) {
  // Validation first: unique metadata keys.
  if (r.ttl_ms != 0 && r.metadata.size() > 1) {
    std::vector<std::string_view> keys;
    keys.reserve(r.metadata.size());
    for (const MetadataPair& p : r.metadata) keys.push_back(p.key);
    std::sort(keys.begin(), keys.end());
    if (std::adjacent_find(keys.begin(), keys.end()) != keys.end()) {
      return ErrorReply(ProtocolVersion::kV2,
                        MalformedError("a metadata key appears more than once"));
    }
  }
  // A record past its deadline has departed already: its expiry (and lease release) comes first.
  if (members.TakeExpired(owner, now)) {
    ++counters.members_expired;
    departed.assign(1, owner);
    ReleaseLeasesOf(departed, now);
  }
  AnnounceResponse out;
  out.member_id = owner;
  if (r.ttl_ms == 0) {
    out.existed = members.Withdraw(owner, now);
    if (out.existed) {
      ++counters.members_withdrawn;
      departed.assign(1, owner);
      ReleaseLeasesOf(departed, now);
    }
    return Reply(ProtocolVersion::kV2, out);
  }
  const auto ttl = std::min<std::chrono::milliseconds>(std::chrono::milliseconds(r.ttl_ms),
                                                       config.max_member_ttl);
  MemberTable::AnnounceResult result =
      members.Announce(owner, client_id, r, ttl, now, config.max_members);
  if (result == MemberTable::AnnounceResult::kFull) {
    // Members past their deadline make room before the request is refused.
    ExpireMembers(now, SIZE_MAX);
    result = members.Announce(owner, client_id, r, ttl, now, config.max_members);
  }
  if (result == MemberTable::AnnounceResult::kFull) {
    ++counters.member_capacity_errors;
    return ErrorReply(ProtocolVersion::kV2,
                      Status(StatusCode::kCapacity, "live members at the bound (" +
                                                        std::to_string(config.max_members) + ")"));
  }
  ++counters.members_announced;
  if (result == MemberTable::AnnounceResult::kJoined) ++counters.members_joined;
  out.existed = result == MemberTable::AnnounceResult::kRenewed;
  out.ttl_ms = static_cast<uint32_t>(ttl.count());
  return Reply(ProtocolVersion::kV2, out);
}

Message HubCore::Impl::HandleEnumerate(const Enumerate& r, TimePoint now) {
  EnumerateResponse out;
  out.now_ms = UnixMs(now);
  const auto matched = members.Match(r.filter, now);
  out.members.reserve(matched.size());
  for (const auto& [id, m] : matched) {
    MemberInfo& info = out.members.emplace_back();
    info.member_id = id;
    info.client_id = m->client_id;
    info.name = m->name;
    info.metadata.reserve(m->metadata.size());
    for (const auto& [k, v] : m->metadata) info.metadata.push_back({k, v});
    info.announced_at_ms = UnixMs(m->announced_at);
    info.last_heard_ms = UnixMs(m->last_heard);
    info.ttl_ms = static_cast<uint32_t>(
        std::chrono::duration_cast<std::chrono::milliseconds>(m->ttl).count());
  }
  return Reply(ProtocolVersion::kV2, std::move(out));
}

Message HubCore::Impl::HandleMulticast(OwnerId sender, const Multicast& r, TimePoint now) {
  if (member_sink == nullptr) {
    return ErrorReply(ProtocolVersion::kV2,
                      Status(StatusCode::kWrongChannel,
                             "multicast needs the hub's events socket (--events-addr), which is "
                             "off"));
  }
  MulticastResponse out;
  for (const auto& [id, m] : members.Match(r.filter, now)) {
    member_sink->Deliver(id, sender, r.payload);
    ++out.matched;
  }
  ++counters.multicasts;
  counters.multicast_recipients += out.matched;
  return Reply(ProtocolVersion::kV2, out);
}

void HubCore::SetMemberSink(MemberMessageSink* sink) { impl_->member_sink = sink; }

void HubCore::SetWallClockOffset(Duration offset) { impl_->wall_offset = offset; }

uint64_t HubCore::member_count() const { return impl_->members.size(); }

std::optional<TimePoint> HubCore::NextDeadline() const {
  std::optional<TimePoint> lease = impl_->leases.NextDeadline();
  std::optional<TimePoint> member = impl_->members.NextDeadline();
  if (!lease) return member;
  if (!member) return lease;
  return std::min(*lease, *member);
}

}  // namespace blockhub
