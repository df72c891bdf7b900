// HubCore's Stats: every counter and gauge by its documented name (hub/STATS.md). Names are
// unique, stable and snake_case; the server appends its own after these.
#include "hub/core/hub_core_impl.h"

namespace blockhub {

const HubCounters& HubCore::Impl::SyncedCounters() {
  const LeaseCounters& l = leases.counters();
  counters.leases_granted = l.granted;
  counters.leases_refreshed = l.refreshed;
  counters.leases_offload_refreshed = l.offload_refreshed;
  counters.leases_denied = l.denied;
  counters.leases_released_by_register = l.released_by_register;
  counters.leases_released = l.released;
  counters.leases_expired = l.expired;
  counters.leases_released_by_departure = l.released_by_departure;
  return counters;
}

StatsResponse HubCore::Impl::StatsBody() {
  const HubCounters& c = SyncedCounters();
  StatsResponse out;
  out.counters = {
      {"leases_granted", c.leases_granted},
      {"leases_refreshed", c.leases_refreshed},
      {"leases_offload_refreshed", c.leases_offload_refreshed},
      {"leases_denied", c.leases_denied},
      {"leases_released_by_register", c.leases_released_by_register},
      {"leases_released", c.leases_released},
      {"leases_expired", c.leases_expired},
      {"lease_capacity_errors", c.lease_capacity_errors},
      {"entries_stored", c.entries_stored},
      {"entries_already_stored", c.entries_already_stored},
      {"entries_rejected", c.entries_rejected},
      {"entries_removed", c.entries_removed},
      {"entries_evicted", c.entries_evicted},
      {"match_hits", c.match_hits},
      {"match_misses", c.match_misses},
      {"offload_already_stored", c.offload_already_stored},
      {"members_announced", c.members_announced},
      {"members_joined", c.members_joined},
      {"members_withdrawn", c.members_withdrawn},
      {"members_expired", c.members_expired},
      {"member_capacity_errors", c.member_capacity_errors},
      {"multicasts", c.multicasts},
      {"multicast_recipients", c.multicast_recipients},
      {"leases_released_by_departure", c.leases_released_by_departure},
      // gauges
      {"entries", store->size()},
      {"capacity", config.capacity},
      {"active_leases", leases.size()},
      {"max_leases", max_leases},
      {"lease_ttl_ms", static_cast<uint64_t>(config.lease_ttl.count())},
      {"members", members.size()},
      {"max_members", config.max_members},
  };
  return out;
}

}  // namespace blockhub
