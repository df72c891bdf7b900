#include "tools/bench/loadgen_workload.h"

#include <CLI/CLI.hpp>
#include <cmath>
#include <cstdio>

#include "common/bytes.h"

namespace blockhub::bench {

std::string_view OpName(Op op) {
  switch (op) {
    case Op::kCanOffload:
      return "can-offload";
    case Op::kRegister:
      return "register";
    case Op::kRegisterSync:
      return "register-sync";
    case Op::kMatch:
      return "match";
    case Op::kMixed:
      return "mixed";
  }
  return "?";
}

uint64_t WorkloadOptions::StoredKeys() const {
  return static_cast<uint64_t>(std::llround(stored_ratio * static_cast<double>(keys)));
}

void AddWorkloadOptions(CLI::App& app, WorkloadOptions& o) {
  app.add_option("--op", o.op_text, "can-offload|register|register-sync|match|mixed")
      ->capture_default_str();
  app.add_option("--clients", o.clients, "client threads, each with its own connection and id")
      ->check(CLI::Range(1, 1024))
      ->capture_default_str();
  app.add_option("--inflight", o.inflight, "requests in flight per client (pipelined)")
      ->check(CLI::Range(1, 4096))
      ->capture_default_str();
  app.add_option("--batch", o.batch, "keys per request")
      ->check(CLI::Range(1, 65536))
      ->capture_default_str();
  app.add_option("--keys", o.keys, "key space")
      ->check(CLI::Range(uint64_t{1}, uint64_t{1} << 40))
      ->capture_default_str();
  app.add_option("--stored-ratio", o.stored_ratio,
                 "share of the key space pre-loaded, and of queried keys drawn from it")
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str();
  app.add_option("--key-format", o.key_format_text, "u64|key128|composite|positional|bytes")
      ->capture_default_str();
  app.add_option("--duration", o.duration_s, "seconds of load (ignored with --requests)")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_option("--requests", o.requests, "requests per client instead of a duration");
  app.add_option("--seed", o.seed, "seed of key choice, client ids and fresh keys")
      ->capture_default_str();
  app.add_option("--protocol", o.protocol, "protocol version of the timed requests")
      ->check(CLI::Range(1, 2))
      ->capture_default_str();
  app.add_flag("!--no-preload", o.preload, "skip the RegisterSync pre-load of the stored keys");
  app.add_flag("!--no-progress", o.progress, "no progress bar even on a terminal");
  app.add_option("--timeout", o.timeout_s, "seconds a reply or the final barrier may take")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
}

int ParseWorkloadCommand(CLI::App& app, int argc, char** argv, WorkloadOptions& options) {
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  if (Status s = FinishWorkloadOptions(options); !s.ok()) {
    std::fprintf(stderr, "error: %s\n", s.ToString().c_str());
    return 2;
  }
  return -1;
}

Status FinishWorkloadOptions(WorkloadOptions& o) {
  if (o.op_text == "can-offload") {
    o.op = Op::kCanOffload;
  } else if (o.op_text == "register") {
    o.op = Op::kRegister;
  } else if (o.op_text == "register-sync") {
    o.op = Op::kRegisterSync;
  } else if (o.op_text == "match") {
    o.op = Op::kMatch;
  } else if (o.op_text == "mixed") {
    o.op = Op::kMixed;
  } else {
    return InvalidArgumentError("--op: unknown operation '" + o.op_text + "'");
  }
  auto format = ParseKeyFormat(o.key_format_text);
  if (!format) return InvalidArgumentError("--key-format: " + format.error().message());
  o.key_format = *format;
  if (o.protocol == 1 && (o.op == Op::kRegisterSync || o.op == Op::kMixed)) {
    return InvalidArgumentError("--op " + o.op_text + " needs --protocol 2 (RegisterSync is v2)");
  }
  return Status::Ok();
}

size_t KeyLength(KeyFormat format) {
  switch (format) {
    case KeyFormat::kU64:
      return 8;
    case KeyFormat::kKey128:
    case KeyFormat::kComposite:
    case KeyFormat::kBytes:
      return 16;
    case KeyFormat::kPositional:
      return 20;
  }
  return 8;
}

void AppendKey(KeyFormat format, uint64_t id, std::string& out) {
  char buf[20];
  StoreU64(buf, id);
  switch (format) {
    case KeyFormat::kU64:
      out.append(buf, 8);
      return;
    case KeyFormat::kKey128:
    case KeyFormat::kComposite:
    case KeyFormat::kBytes:
      StoreU64(buf + 8, Mix64(id));
      out.append(buf, 16);
      return;
    case KeyFormat::kPositional:
      // worker_id: a few workers; sequence_hash: the id; position: a small number.
      StoreU64(buf, id >> 62);
      StoreU64(buf + 8, id);
      StoreU32(buf + 16, static_cast<uint32_t>(id & 0xffff));
      out.append(buf, 20);
      return;
  }
}

void KeyBatch::Add(uint64_t id) { AppendKey(format_, id, data_); }


RequestPlanner::RequestPlanner(const WorkloadOptions& options, uint32_t client)
    : options_(options),
      rng_(Mix64(options.seed * 1'000'003 + client)),
      client_id_(Mix64(options.seed ^ Mix64(0xc11e47 + client))),
      // Fresh registration ids start at a random 64-bit point per (seed, op, client): disjoint
      // from the key space and from every other run with overwhelming probability.
      fresh_base_(Mix64(Mix64(options.seed) ^ (static_cast<uint64_t>(options.op) << 32) ^
                        (0xf7e5ull << 40) ^ client)),
      stored_(options.StoredKeys()) {}

RequestKind RequestPlanner::Next(KeyBatch& keys) {
  keys.Reset(options_.key_format);
  RequestKind kind = RequestKind::kCanOffload;
  switch (options_.op) {
    case Op::kCanOffload:
      kind = RequestKind::kCanOffload;
      break;
    case Op::kMatch:
      kind = RequestKind::kMatch;
      break;
    case Op::kRegister:
      kind = RequestKind::kRegister;
      break;
    case Op::kRegisterSync:
      kind = RequestKind::kRegisterSync;
      break;
    case Op::kMixed: {
      // A worker's mix: mostly "may I offload?", then lookups, then acknowledged registrations.
      const uint64_t r = rng_.Below(10);
      kind = r < 5 ? RequestKind::kCanOffload
                   : (r < 8 ? RequestKind::kMatch : RequestKind::kRegisterSync);
      break;
    }
  }
  if (kind == RequestKind::kRegister || kind == RequestKind::kRegisterSync) {
    FreshKeys(keys);
  } else {
    QueryKeys(keys);
  }
  return kind;
}

void RequestPlanner::QueryKeys(KeyBatch& keys) {
  const uint64_t total = options_.keys;
  for (uint32_t i = 0; i < options_.batch; ++i) {
    uint64_t index;
    const bool want_stored = rng_.Unit() < options_.stored_ratio;
    if ((want_stored && stored_ > 0) || stored_ == total) {
      index = rng_.Below(stored_);
    } else {
      index = stored_ + rng_.Below(total - stored_);
    }
    keys.Add(Mix64(index));
  }
}

void RequestPlanner::FreshKeys(KeyBatch& keys) {
  for (uint32_t i = 0; i < options_.batch; ++i) keys.Add(Mix64(fresh_base_ + fresh_next_++));
}

IdRange PreloadShare(const WorkloadOptions& options, uint32_t client) {
  const uint64_t stored = options.StoredKeys();
  const uint64_t per = (stored + options.clients - 1) / options.clients;
  IdRange r;
  r.begin = std::min(stored, per * client);
  r.end = std::min(stored, r.begin + per);
  return r;
}

}  // namespace blockhub::bench
