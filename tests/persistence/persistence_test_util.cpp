#include "tests/persistence/persistence_test_util.h"

#include "common/bytes.h"
#include "hub/store/memory_catalog_store.h"

namespace blockhub::persistence::testing {

std::unique_ptr<HubCore> MakeCore(uint64_t capacity, EvictionKind eviction) {
  HubConfig config;
  config.capacity = capacity;
  config.eviction = eviction;
  return std::make_unique<HubCore>(config, MakeMemoryCatalogStore());
}

Content ContentOf(const HubCore& core) {
  Content out;
  core.ForEachEntry([&](const Entry& e) {
    out[std::string(e.key)] = {std::string(e.value), std::string(e.metadata)};
  });
  return out;
}

std::string Key(uint64_t i) {
  std::string k(8, '\0');
  StoreU64(k.data(), i);
  return k;
}

void RegisterRange(HubCore& core, uint64_t from, uint64_t to, TimePoint now) {
  std::vector<std::string> keys, values;
  for (uint64_t i = from; i < to; ++i) {
    keys.push_back(Key(i));
    values.push_back("v" + std::to_string(i));
  }
  Register reg;
  for (size_t j = 0; j < keys.size(); ++j) {
    reg.entries.push_back(Entry{keys[j], values[j], (from + j) % 2 ? "m" : ""});
  }
  core.Apply(/*owner=*/1, reg, now);
}

uint64_t RemoveKeys(HubCore& core, const std::vector<uint64_t>& ids, TimePoint now) {
  std::vector<std::string> keys;
  for (uint64_t i : ids) keys.push_back(Key(i));
  Remove remove;
  for (const auto& k : keys) remove.keys.push_back(k);
  Message reply = core.Handle(1, Message{ProtocolVersion::kV2, 1, 0, remove}, now);
  const auto* r = std::get_if<RemoveResponse>(&reply.body);
  return r ? r->removed : 0;
}

PersistenceConfig TestConfig(const std::string& dir) {
  PersistenceConfig c;
  c.data_dir = dir;
  c.snapshot_interval = 1'000'000;  // snapshots only when a test asks
  c.commit_interval = std::chrono::milliseconds(1);
  return c;
}

bool PumpUntil(Persistence& p, const std::function<bool()>& done, std::chrono::milliseconds limit) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (true) {
    p.Pump();
    if (done()) return true;
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    pollfd pfd{p.notify_fd(), POLLIN, 0};
    int timeout =
        p.PollTimeoutMs() == 0 ? 0 : static_cast<int>(std::min<int64_t>(left.count(), 100));
    if (::poll(&pfd, 1, timeout) > 0) p.DrainNotify();
  }
}

bool WaitDurable(Persistence& p) {
  uint64_t target = p.SyncPoint();
  return PumpUntil(p, [&] { return p.durable_seq() >= target; });
}

}  // namespace blockhub::persistence::testing
