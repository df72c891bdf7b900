// HubCore request handling: validation first (an ErrorResponse request has no effect), then each
// key in request order as if it were its own request (PROTOCOL.md §5, "Details that matter").
#include <algorithm>
#include <boost/unordered/unordered_flat_set.hpp>
#include <span>
#include <string>
#include <type_traits>

#include "codec/codec.h"
#include "hub/core/hub_core.h"
#include "hub/core/hub_core_impl.h"

namespace blockhub {

Status HubCore::Impl::CheckKey(std::string_view key) const {
  if (fixed_key_len != 0) {
    if (key.size() != fixed_key_len) {
      return BadKeyError("key of " + std::to_string(key.size()) + " bytes, the key format needs " +
                         std::to_string(fixed_key_len));
    }
  } else if (key.empty() || key.size() > config.limits.max_key_bytes) {
    return BadKeyError("key of " + std::to_string(key.size()) + " bytes (1 .. " +
                       std::to_string(config.limits.max_key_bytes) + ")");
  }
  return Status::Ok();
}

Status HubCore::Impl::CheckKeys(const KeyList& keys) const {
  if (keys.size() > config.limits.max_batch_keys) {
    return TooLargeError(std::to_string(keys.size()) + " keys (max_batch_keys " +
                         std::to_string(config.limits.max_batch_keys) + ")");
  }
  for (std::string_view k : keys) {
    if (Status s = CheckKey(k); !s.ok()) return s;
  }
  return Status::Ok();
}

Status HubCore::Impl::CheckEntries(const std::vector<Entry>& entries) const {
  if (entries.size() > config.limits.max_batch_keys) {
    return TooLargeError(std::to_string(entries.size()) + " entries (max_batch_keys " +
                         std::to_string(config.limits.max_batch_keys) + ")");
  }
  for (const Entry& e : entries) {
    if (e.value.size() > config.limits.max_value_bytes) return TooLargeError("value too large");
    if (e.metadata.size() > config.limits.max_metadata_bytes) {
      return TooLargeError("metadata too large");
    }
    if (Status s = CheckKey(e.key); !s.ok()) return s;
  }
  return Status::Ok();
}

Status HubCore::Impl::CheckLeaseRoom(const KeyList& keys, TimePoint now) {
  if (leases.size() + keys.size() <= max_leases) return Status::Ok();  // fast path
  // Near the bound: reclaim expired leases so size() counts live ones, then count exactly the
  // distinct keys that would get a NEW lease (not stored, no live lease by anyone).
  leases.Tick(now, SIZE_MAX);
  if (leases.size() + keys.size() <= max_leases) return Status::Ok();
  boost::unordered_flat_set<std::string_view> fresh;
  for (std::string_view k : keys) {
    if (store->Find(k) != CatalogStore::kNoHandle || leases.HasLive(k, now)) continue;
    fresh.insert(k);
  }
  if (leases.size() + fresh.size() <= max_leases) return Status::Ok();
  ++counters.lease_capacity_errors;
  return Status(StatusCode::kCapacity,
                "live leases at the bound (" + std::to_string(max_leases) + ")");
}

Message HubCore::Impl::Reply(ProtocolVersion version, Body body) const {
  Message m;
  m.version = version;
  m.epoch = version == ProtocolVersion::kV2 ? config.epoch : 0;
  m.body = std::move(body);
  return m;
}

Message HubCore::Impl::ErrorReply(ProtocolVersion version, const Status& error) const {
  // The codec's builder: v1 text carries the code name ("capacity: …") like every other v1 error.
  return MakeErrorResponse(version, config.epoch, error);
}

// One visitor per request: validates, then applies key by key. Keys are walked in chunks of
// kChunk whose lookups are batched (LookUpChunk); results and effects stay exactly those of
// applying the keys one at a time, in order.
struct HubCore::Impl::Dispatcher {
  HubCore::Impl& core;
  OwnerId owner;
  uint64_t client_id;  // the request header's (v2), for the member table
  TimePoint now;
  ProtocolVersion version;

  static std::span<const std::string_view> Chunk(const KeyList& keys, size_t base) {
    return std::span<const std::string_view>(keys).subspan(base,
                                                           std::min(kChunk, keys.size() - base));
  }

  Message operator()(const CanOffload& r) const {
    if (Status s = core.CheckKeys(r.keys); !s.ok()) return core.ErrorReply(version, s);
    if (Status s = core.CheckLeaseRoom(r.keys, now); !s.ok()) return core.ErrorReply(version, s);
    CanOffloadResponse out;
    if (version == ProtocolVersion::kV2) {
      out.lease_ttl_ms = static_cast<uint32_t>(core.config.lease_ttl.count());
    }
    out.statuses.reserve(r.keys.size());
    for (size_t base = 0; base < r.keys.size(); base += kChunk) {
      const auto chunk = Chunk(r.keys, base);
      core.LookUpChunk(chunk, /*leases_too=*/true);
      for (size_t i = 0; i < chunk.size(); ++i) {
        if (const CatalogStore::Handle h = core.found[i]; h != CatalogStore::kNoHandle) {
          core.policy->OnUse(h);
          ++core.counters.offload_already_stored;
          out.statuses.push_back(OffloadStatus::kAlreadyStored);
          continue;
        }
        LeaseTable::AcquireResult a = core.leases.Acquire(chunk[i], owner, now);
        out.statuses.push_back(a == LeaseTable::AcquireResult::kLeased ? OffloadStatus::kLeased
                                                                       : OffloadStatus::kGranted);
      }
    }
    return core.Reply(version, std::move(out));
  }

  Message operator()(const Match& r) const {
    if (Status s = core.CheckKeys(r.keys); !s.ok()) return core.ErrorReply(version, s);
    const bool leading = version == ProtocolVersion::kV2 && r.mode == MatchMode::kLeadingRun;
    MatchResponse out;
    out.entries.reserve(r.keys.size());
    for (size_t base = 0; base < r.keys.size(); base += kChunk) {
      const auto chunk = Chunk(r.keys, base);
      core.LookUpChunk(chunk, /*leases_too=*/false);
      for (size_t i = 0; i < chunk.size(); ++i) {
        const CatalogStore::Handle h = core.found[i];
        if (h == CatalogStore::kNoHandle) {
          ++core.counters.match_misses;
          if (leading) return core.Reply(version, std::move(out));
          continue;
        }
        core.policy->OnUse(h);
        ++core.counters.match_hits;
        out.entries.push_back(core.store->Get(h));
      }
    }
    return core.Reply(version, std::move(out));
  }

  Message operator()(const Remove& r) const {
    if (Status s = core.CheckKeys(r.keys); !s.ok()) return core.ErrorReply(version, s);
    RemoveResponse out;
    for (size_t base = 0; base < r.keys.size(); base += kChunk) {
      // Erasing changes the store: prefetch only, then look each key up in order.
      const auto chunk = Chunk(r.keys, base);
      core.PrefetchChunk(chunk, /*leases_too=*/false);
      for (std::string_view k : chunk) {
        // Stored entries only: a lease on an unstored key belongs to an upload in progress.
        CatalogStore::Handle h = core.store->Find(k);
        if (h == CatalogStore::kNoHandle) continue;
        core.EraseOne(h, /*evicted=*/false, /*notify=*/true);
        ++out.removed;
      }
    }
    return core.Reply(version, out);
  }

  Message operator()(const Touch& r) const {
    if (Status s = core.CheckKeys(r.keys); !s.ok()) return core.ErrorReply(version, s);
    TouchResponse out;
    for (size_t base = 0; base < r.keys.size(); base += kChunk) {
      core.LookUpChunk(Chunk(r.keys, base), /*leases_too=*/false);
      for (CatalogStore::Handle h : core.found) {
        if (h == CatalogStore::kNoHandle) continue;
        core.policy->OnUse(h);
        ++out.touched;
      }
    }
    return core.Reply(version, out);
  }

  Message operator()(const RegisterSync& r) const {
    if (Status s = core.CheckEntries(r.entries); !s.ok()) return core.ErrorReply(version, s);
    RegisterSyncResponse out;
    core.RegisterAll(r.entries, now, &out.statuses);
    return core.Reply(version, std::move(out));
  }

  Message operator()(const Renew& r) const {
    if (Status s = core.CheckKeys(r.keys); !s.ok()) return core.ErrorReply(version, s);
    RenewResponse out;
    out.statuses.reserve(r.keys.size());
    for (size_t base = 0; base < r.keys.size(); base += kChunk) {
      const auto chunk = Chunk(r.keys, base);
      core.LookUpChunk(chunk, /*leases_too=*/true);
      for (size_t i = 0; i < chunk.size(); ++i) {
        if (core.found[i] != CatalogStore::kNoHandle) {
          out.statuses.push_back(RenewStatus::kAlreadyStored);
        } else {
          out.statuses.push_back(core.leases.Renew(chunk[i], owner, now) ? RenewStatus::kRenewed
                                                                         : RenewStatus::kNotHeld);
        }
      }
    }
    return core.Reply(version, std::move(out));
  }

  Message operator()(const Release& r) const {
    if (Status s = core.CheckKeys(r.keys); !s.ok()) return core.ErrorReply(version, s);
    ReleaseResponse out;
    for (std::string_view k : r.keys) out.released += core.leases.Release(k, owner, now) ? 1 : 0;
    return core.Reply(version, out);
  }

  Message operator()(const Hello&) const {
    HelloResponse out;
    out.lease_ttl_ms = static_cast<uint32_t>(core.config.lease_ttl.count());
    out.key_format = static_cast<uint8_t>(core.config.limits.key_format);
    out.max_batch_keys = core.config.limits.max_batch_keys;
    out.capacity = core.config.capacity;
    out.hub_version = core.config.hub_version;
    return core.Reply(version, std::move(out));
  }

  Message operator()(const Stats&) const { return core.Reply(version, core.StatsBody()); }

  // Worker membership (v2 only: Dispatch refuses v2-only types in v1).
  Message operator()(const Announce& r) const {
    return core.HandleAnnounce(owner, client_id, r, now);
  }
  Message operator()(const Enumerate& r) const { return core.HandleEnumerate(r, now); }
  Message operator()(const Multicast& r) const { return core.HandleMulticast(owner, r, now); }

  // Register (registration channel only) and every response type.
  template <typename T>
  Message operator()(const T&) const {
    return core.ErrorReply(
        version, Status(StatusCode::kWrongChannel, "not a query request on this channel"));
  }
};

Message HubCore::Impl::Dispatch(OwnerId owner, const Message& request, TimePoint now) {
  const ProtocolVersion version = request.version;
  if (version != ProtocolVersion::kV1 && version != ProtocolVersion::kV2) {
    return ErrorReply(ProtocolVersion::kV1,
                      Status(StatusCode::kUnsupportedVersion, "unsupported version"));
  }
  const MessageType type = TypeOf(request.body);
  if (version == ProtocolVersion::kV1 && IsV2OnlyType(type)) {
    return ErrorReply(version, Status(StatusCode::kUnknownType, "type not in version 1"));
  }
  Message reply =
      std::visit(Dispatcher{*this, owner, request.client_id, now, version}, request.body);
  // Every v2 request of a live member that had an effect is a heartbeat (an Announce is its own).
  if (version == ProtocolVersion::kV2 && type != MessageType::kAnnounce &&
      !std::holds_alternative<ErrorResponse>(reply.body)) {
    members.Heartbeat(owner, now);
  }
  return reply;
}

}  // namespace blockhub
