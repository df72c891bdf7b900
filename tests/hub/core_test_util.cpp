#include "tests/hub/core_test_util.h"

#include <cstring>
#include <stdexcept>

#include "hub/store/memory_catalog_store.h"

namespace blockhub::testing {

std::string U64(uint64_t v) {
  std::string s(8, '\0');
  std::memcpy(s.data(), &v, 8);
  return s;
}

uint64_t ReadU64(std::string_view bytes) {
  uint64_t v = 0;
  std::memcpy(&v, bytes.data(), std::min<size_t>(8, bytes.size()));
  return v;
}

std::string Positional(uint64_t worker, uint64_t hash, uint32_t position) {
  return EncodePositionalKey(PositionalKey{worker, hash, position});
}

std::string PositionMeta(uint32_t position, uint64_t parent_hash) {
  std::string s(24, '\0');
  std::memcpy(s.data(), &position, 4);
  std::memcpy(s.data() + 4, &parent_hash, 8);
  return s;
}

HubConfig U64Config(EvictionKind eviction, uint64_t capacity) {
  HubConfig c;
  c.limits.key_format = KeyFormat::kU64;
  c.eviction = eviction;
  c.capacity = capacity;
  c.lease_ttl = std::chrono::milliseconds(1000);
  c.epoch = 0xE90C;
  return c;
}

CoreHarness::CoreHarness(HubConfig config) : core_(std::move(config), MakeMemoryCatalogStore()) {}

std::string_view CoreHarness::Keep(std::string s) { return kept_.emplace_back(std::move(s)); }

KeyList CoreHarness::Keys(const std::vector<uint64_t>& keys) {
  KeyList out;
  for (uint64_t k : keys) out.push_back(Keep(U64(k)));
  return out;
}

Message CoreHarness::Send(OwnerId owner, Body body, TimePoint now, ProtocolVersion version) {
  Message m;
  m.version = version;
  m.client_id = owner;
  m.body = std::move(body);
  return core_.Handle(owner, m, now);
}

template <typename T>
static const T& As(const Message& m) {
  if (const auto* e = std::get_if<ErrorResponse>(&m.body)) {
    throw std::runtime_error("ErrorResponse: " + e->message);
  }
  return std::get<T>(m.body);
}

std::vector<OffloadStatus> CoreHarness::CanOffload(OwnerId owner, const std::vector<uint64_t>& keys,
                                                   TimePoint now) {
  Message r = Send(owner, blockhub::CanOffload{Keys(keys)}, now);
  return As<CanOffloadResponse>(r).statuses;
}

std::vector<RegisterStatus> CoreHarness::RegisterSync(OwnerId owner,
                                                      const std::vector<uint64_t>& keys,
                                                      TimePoint now, uint64_t value_base) {
  blockhub::RegisterSync reg;
  for (uint64_t k : keys) reg.entries.push_back(Entry{Keep(U64(k)), Keep(U64(value_base + k)), {}});
  Message r = Send(owner, std::move(reg), now);
  return As<RegisterSyncResponse>(r).statuses;
}

RegisterStatus CoreHarness::RegisterEntry(std::string_view key, std::string_view value,
                                          std::string_view metadata, TimePoint now) {
  blockhub::RegisterSync reg;
  reg.entries.push_back(
      Entry{Keep(std::string(key)), Keep(std::string(value)), Keep(std::string(metadata))});
  Message r = Send(1, std::move(reg), now);
  return As<RegisterSyncResponse>(r).statuses.at(0);
}

std::vector<uint64_t> CoreHarness::Match(const std::vector<uint64_t>& keys, TimePoint now,
                                         MatchMode mode) {
  Message r = Send(1, blockhub::Match{mode, Keys(keys)}, now);
  std::vector<uint64_t> out;
  for (const Entry& e : As<MatchResponse>(r).entries) out.push_back(ReadU64(e.key));
  return out;
}

uint64_t CoreHarness::Remove(const std::vector<uint64_t>& keys, TimePoint now) {
  return As<RemoveResponse>(Send(1, blockhub::Remove{Keys(keys)}, now)).removed;
}

uint64_t CoreHarness::Touch(const std::vector<uint64_t>& keys, TimePoint now) {
  return As<TouchResponse>(Send(1, blockhub::Touch{Keys(keys)}, now)).touched;
}

std::vector<RenewStatus> CoreHarness::Renew(OwnerId owner, const std::vector<uint64_t>& keys,
                                            TimePoint now) {
  return As<RenewResponse>(Send(owner, blockhub::Renew{Keys(keys)}, now)).statuses;
}

uint64_t CoreHarness::Release(OwnerId owner, const std::vector<uint64_t>& keys, TimePoint now) {
  return As<ReleaseResponse>(Send(owner, blockhub::Release{Keys(keys)}, now)).released;
}

bool CoreHarness::Stored(uint64_t key) {
  bool found = false;
  std::string k = U64(key);
  core_.ForEachEntry([&](const Entry& e) { found = found || e.key == k; });
  return found;
}

}  // namespace blockhub::testing
