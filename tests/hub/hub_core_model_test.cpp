// Randomized check of HubCore against a std::map reference model: 100,000 mixed operations from
// 16 owners over 64 keys with random time steps. Every response must equal the model's, and no
// key is ever Granted to an owner while another owner holds a live lease on it.
#include <doctest/doctest.h>

#include <map>
#include <random>
#include <set>
#include <vector>

#include "hub/core/hub_core.h"
#include "tests/hub/core_test_util.h"

namespace blockhub::testing {
namespace {

constexpr uint64_t kCapacity = 40;
constexpr uint64_t kMaxLeases = 10;
constexpr int64_t kTtlMs = 1000;

// The reference: the protocol's rules written as directly as possible.
struct Model {
  struct Lease {
    OwnerId owner;
    int64_t deadline;
  };
  std::map<uint64_t, uint64_t> stored;
  std::map<uint64_t, Lease> leases;

  bool Live(uint64_t k, int64_t now) const {
    auto it = leases.find(k);
    return it != leases.end() && it->second.deadline > now;
  }
  size_t LiveCount(int64_t now) const {
    size_t n = 0;
    for (const auto& [k, l] : leases) n += l.deadline > now ? 1 : 0;
    return n;
  }
  // nullopt = capacity error.
  std::optional<std::vector<OffloadStatus>> CanOffload(OwnerId o, const std::vector<uint64_t>& ks,
                                                       int64_t now) {
    std::set<uint64_t> fresh;
    for (uint64_t k : ks) {
      if (!stored.count(k) && !Live(k, now)) fresh.insert(k);
    }
    if (LiveCount(now) + fresh.size() > kMaxLeases) return std::nullopt;
    std::vector<OffloadStatus> out;
    for (uint64_t k : ks) {
      if (stored.count(k)) {
        out.push_back(OffloadStatus::kAlreadyStored);
      } else if (Live(k, now) && leases[k].owner != o) {
        out.push_back(OffloadStatus::kLeased);
      } else {
        leases[k] = Lease{o, now + kTtlMs};
        out.push_back(OffloadStatus::kGranted);
      }
    }
    return out;
  }
  std::vector<RegisterStatus> Register(const std::vector<uint64_t>& ks, uint64_t value) {
    std::vector<RegisterStatus> out;
    for (uint64_t k : ks) {
      if (stored.count(k)) {
        out.push_back(RegisterStatus::kAlreadyStored);
      } else if (stored.size() >= kCapacity) {
        out.push_back(RegisterStatus::kRejected);
      } else {
        stored[k] = value;
        leases.erase(k);
        out.push_back(RegisterStatus::kStored);
      }
    }
    return out;
  }
};

TEST_CASE("randomized: 100,000 operations from 16 owners match the reference model") {
  HubConfig cfg = U64Config(EvictionKind::kNone, kCapacity);
  cfg.max_leases = kMaxLeases;
  cfg.lease_ttl = std::chrono::milliseconds(kTtlMs);
  CoreHarness h(cfg);
  Model model;
  std::mt19937_64 rng(20240611);
  auto pick = [&](uint64_t n) { return std::uniform_int_distribution<uint64_t>(0, n - 1)(rng); };
  int64_t now = 0;
  size_t granted = 0, leased = 0, capacity_errors = 0;
  for (int op = 0; op < 100'000; ++op) {
    now += static_cast<int64_t>(pick(4) == 0 ? pick(1500) : pick(60));
    const OwnerId owner = 1 + pick(16);
    std::vector<uint64_t> keys(1 + pick(6));
    for (uint64_t& k : keys) k = pick(64);
    const TimePoint t = At(now);
    switch (pick(10)) {
      case 0:
      case 1:
      case 2: {
        // Independent of the model's answer: the grant must not overlap another live owner.
        std::map<uint64_t, OwnerId> holders;
        for (uint64_t k : keys) {
          if (model.Live(k, now)) holders[k] = model.leases[k].owner;
        }
        auto expect = model.CanOffload(owner, keys, now);
        Message r = h.Send(owner, CanOffload{h.Keys(keys)}, t);
        if (!expect) {
          REQUIRE(std::holds_alternative<ErrorResponse>(r.body));
          CHECK(std::get<ErrorResponse>(r.body).code == StatusCode::kCapacity);
          ++capacity_errors;
          break;
        }
        const auto& got = std::get<CanOffloadResponse>(r.body).statuses;
        REQUIRE(got == *expect);
        for (size_t i = 0; i < keys.size(); ++i) {
          if (got[i] == OffloadStatus::kGranted) {
            ++granted;
            auto it = holders.find(keys[i]);
            REQUIRE((it == holders.end() || it->second == owner));
          }
          leased += got[i] == OffloadStatus::kLeased ? 1 : 0;
        }
        break;
      }
      case 3: {
        const uint64_t value = pick(1000);
        REQUIRE(h.RegisterSync(owner, keys, t, value) == model.Register(keys, value));
        break;
      }
      case 4: {
        std::vector<uint64_t> expect;
        const bool leading = pick(2) == 0;
        for (uint64_t k : keys) {
          if (model.stored.count(k)) {
            expect.push_back(k);
          } else if (leading) {
            break;
          }
        }
        REQUIRE(h.Match(keys, t, leading ? MatchMode::kLeadingRun : MatchMode::kAll) == expect);
        break;
      }
      case 5: {
        uint64_t removed = 0;
        for (uint64_t k : keys) removed += model.stored.erase(k);
        REQUIRE(h.Remove(keys, t) == removed);
        break;
      }
      case 6: {
        uint64_t touched = 0;
        for (uint64_t k : keys) touched += model.stored.count(k);
        REQUIRE(h.Touch(keys, t) == touched);
        break;
      }
      case 7: {
        std::vector<RenewStatus> expect;
        for (uint64_t k : keys) {
          if (model.stored.count(k)) {
            expect.push_back(RenewStatus::kAlreadyStored);
          } else if (model.Live(k, now) && model.leases[k].owner == owner) {
            model.leases[k].deadline = now + kTtlMs;
            expect.push_back(RenewStatus::kRenewed);
          } else {
            expect.push_back(RenewStatus::kNotHeld);
          }
        }
        REQUIRE(h.Renew(owner, keys, t) == expect);
        break;
      }
      case 8: {
        uint64_t released = 0;
        for (uint64_t k : keys) {
          if (model.Live(k, now) && model.leases[k].owner == owner) {
            model.leases.erase(k);
            ++released;
          }
        }
        REQUIRE(h.Release(owner, keys, t) == released);
        break;
      }
      default:
        h.core().Tick(t, pick(8));
        break;
    }
    REQUIRE(h.core().entry_count() == model.stored.size());
    REQUIRE(h.core().active_leases() >= model.LiveCount(now));
  }
  // The run exercised every outcome.
  CHECK(granted > 1000);
  CHECK(leased > 1000);
  CHECK(capacity_errors > 10);
  CHECK(h.core().counters().entries_rejected > 10);
}

}  // namespace
}  // namespace blockhub::testing
