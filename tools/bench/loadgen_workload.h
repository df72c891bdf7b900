// Load-generator workload: the options every target shares (hub, echo, redis), the key space and
// the requests a client sends. Owned by the bench area (tools/bench/).
//
// The key space has `keys` keys, index i -> key bytes Mix(i) in the chosen key format. Indices
// [0, stored) are pre-loaded before timing (stored = round(stored_ratio * keys)); a queried key is
// drawn from the stored part with probability stored_ratio, else from the rest. Registrations
// (register, register-sync, the RegisterSync share of mixed) use FRESH keys, unique per
// (seed, op, client), so every timed registration is a real insert on every target.
//
// Plain values; a RequestPlanner belongs to one client thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "codec/key_format.h"
#include "common/random.h"
#include "common/status.h"

namespace CLI {
class App;
}

namespace blockhub::bench {

enum class Op : uint8_t { kCanOffload, kRegister, kRegisterSync, kMatch, kMixed };
std::string_view OpName(Op op);

struct WorkloadOptions {
  Op op = Op::kCanOffload;
  std::string op_text = "can-offload";
  uint32_t clients = 4;
  uint32_t inflight = 16;
  uint32_t batch = 100;
  uint64_t keys = 1'000'000;
  double stored_ratio = 0.5;
  KeyFormat key_format = KeyFormat::kU64;
  std::string key_format_text = "u64";
  double duration_s = 5.0;
  uint64_t requests = 0;  // per client; 0 = run for duration_s
  uint64_t seed = 1;
  int protocol = 2;
  uint32_t lease_ttl_ms = 30'000;  // redis only: the hub's lease TTL is its own configuration
  bool preload = true;
  bool progress = true;
  double timeout_s = 30.0;  // a reply or barrier slower than this fails the run

  uint64_t StoredKeys() const;
};

// Adds the shared options to `app`; call Finish() after parsing.
void AddWorkloadOptions(CLI::App& app, WorkloadOptions& options);
// Resolves text options and checks combinations (e.g. register-sync needs protocol 2).
Status FinishWorkloadOptions(WorkloadOptions& options);
// Parses argv into `app` (whose options include AddWorkloadOptions') and finishes `options`.
// Returns the exit code when the command should stop here (--help, a parse error: CLI11's own
// code; bad workload options: 2, said on stderr), or -1 to go on.
int ParseWorkloadCommand(CLI::App& app, int argc, char** argv, WorkloadOptions& options);

// The one request kind a client sends at a time (mixed picks one per request).
enum class RequestKind : uint8_t { kCanOffload, kMatch, kRegisterSync, kRegister };

// Key bytes of `id` in `format` (u64: 8, key128/composite: 16, positional: 20, bytes: 16).
size_t KeyLength(KeyFormat format);
void AppendKey(KeyFormat format, uint64_t id, std::string& out);

// A batch of fixed-length keys stored back to back; values are derived from the keys.
class KeyBatch {
 public:
  void Reset(KeyFormat format) {
    format_ = format;
    key_len_ = KeyLength(format);
    data_.clear();
  }
  void Add(uint64_t id);  // appends the key bytes of id
  size_t size() const { return key_len_ == 0 ? 0 : data_.size() / key_len_; }
  size_t key_len() const { return key_len_; }
  std::string_view key(size_t i) const { return {data_.data() + i * key_len_, key_len_}; }
  // The value registered for key i: 8 bytes (the key's first 8 bytes).
  std::string_view value(size_t i) const { return {data_.data() + i * key_len_, 8}; }

 private:
  KeyFormat format_ = KeyFormat::kU64;
  size_t key_len_ = 8;
  std::string data_;
};

// Key ids: Mix64 (bijective, so they look random and never collide); key choice: Rng
// (common/random.h).

// Plans the requests of one client: kind and keys. Deterministic for (options, client).
class RequestPlanner {
 public:
  RequestPlanner(const WorkloadOptions& options, uint32_t client);
  // Fills `keys` with the next request's keys and returns its kind.
  RequestKind Next(KeyBatch& keys);
  // The v2 client id (lease owner) of this client.
  uint64_t client_id() const { return client_id_; }

 private:
  void QueryKeys(KeyBatch& keys);
  void FreshKeys(KeyBatch& keys);

  const WorkloadOptions& options_;
  Rng rng_;
  uint64_t client_id_;
  uint64_t fresh_base_;
  uint64_t fresh_next_ = 0;
  uint64_t stored_;
};

// Ids of the pre-loaded keys a client registers: [begin, end) of [0, StoredKeys()).
struct IdRange {
  uint64_t begin = 0;
  uint64_t end = 0;
};
IdRange PreloadShare(const WorkloadOptions& options, uint32_t client);

}  // namespace blockhub::bench
