// blockhub-bench codec: encode/decode throughput of the wire codec for the hub's two hot
// messages, a 100-key CanOffload (u64 keys) and a 100-entry Register (u64 -> u64 value).
// Single thread, reusing one output buffer, as the hub and the client do.
#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "codec/codec.h"
#include "common/bytes.h"
#include "tools/bench/bench_command.h"

namespace blockhub::bench {
namespace {

using BenchClock = std::chrono::steady_clock;

// Runs `op` in rounds of 1000 until `seconds` have passed; returns operations per second.
template <typename Op>
double Rate(double seconds, Op&& op) {
  constexpr int kRound = 1000;
  uint64_t done = 0;
  auto start = BenchClock::now();
  auto deadline = start + std::chrono::duration<double>(seconds);
  BenchClock::time_point now;
  do {
    for (int i = 0; i < kRound; ++i) op();
    done += kRound;
    now = BenchClock::now();
  } while (now < deadline);
  return static_cast<double>(done) / std::chrono::duration<double>(now - start).count();
}

void Report(const std::string& name, double msgs_per_s, size_t keys) {
  std::printf("RESULT %s.msgs_per_s %.0f msg/s\n", name.c_str(), msgs_per_s);
  std::printf("RESULT %s.keys_per_s %.0f keys/s\n", name.c_str(), msgs_per_s * keys);
}

// Encodes and decodes `msg` (a request arriving on `channel`); returns 1 on a codec failure.
int BenchMessage(const std::string& name, const Message& msg, Channel channel, size_t keys,
                 double seconds) {
  DecodeLimits limits;
  limits.key_format = KeyFormat::kU64;
  std::string buffer;
  if (Status s = Encode(msg, buffer); !s.ok()) {
    std::fprintf(stderr, "%s: encode failed: %s\n", name.c_str(), s.ToString().c_str());
    return 1;
  }
  const std::string frame = buffer;
  std::printf("# %s: %zu-byte frame\n", name.c_str(), frame.size());
  size_t sink = 0;  // observed so the work cannot be optimised away
  double enc = Rate(seconds, [&] {
    buffer.clear();
    (void)Encode(msg, buffer);
    sink += buffer.size();
  });
  bool all_ok = true;
  double dec = Rate(seconds, [&] {
    auto r = DecodeRequest(frame, limits, channel);
    all_ok = all_ok && r.has_value();
    sink += r.has_value();
  });
  if (!all_ok || sink == 0) {
    std::fprintf(stderr, "%s: decode failed\n", name.c_str());
    return 1;
  }
  Report(name + ".encode", enc, keys);
  Report(name + ".decode", dec, keys);
  return 0;
}

int Run(int argc, char** argv) {
  CLI::App app{"Codec throughput: encode and decode of a CanOffload and a Register (v1 or v2)"};
  double seconds = 2.0;
  size_t keys = 100;
  int version = 1;
  app.add_option("--seconds", seconds, "seconds per measurement")->check(CLI::PositiveNumber);
  app.add_option("--keys", keys, "keys per CanOffload / entries per Register")
      ->check(CLI::Range(1, 65536));
  app.add_option("--version", version, "protocol version")->check(CLI::Range(1, 2));
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }

  std::vector<std::string> key_bytes, value_bytes;
  key_bytes.reserve(keys);
  value_bytes.reserve(keys);
  for (size_t i = 0; i < keys; ++i) {
    key_bytes.emplace_back(8, '\0');
    StoreU64(key_bytes.back().data(), 0x9e3779b97f4a7c15ull * (i + 1));
    value_bytes.emplace_back(8, '\0');
    StoreU64(value_bytes.back().data(), i);
  }
  CanOffload can_offload;
  Register reg;
  for (size_t i = 0; i < keys; ++i) {
    can_offload.keys.push_back(key_bytes[i]);
    reg.entries.push_back({key_bytes[i], value_bytes[i], {}});
  }
  auto v = version == 1 ? ProtocolVersion::kV1 : ProtocolVersion::kV2;
  std::string prefix = "codec.v" + std::to_string(version);
  std::string n = std::to_string(keys);
  int rc = BenchMessage(prefix + ".can_offload" + n, Message{v, 7, 0, std::move(can_offload)},
                        Channel::kQuery, keys, seconds);
  rc |= BenchMessage(prefix + ".register" + n, Message{v, 7, 0, std::move(reg)},
                     Channel::kRegistration, keys, seconds);
  return rc;
}

Registrar registrar("codec", "codec encode/decode throughput (100-key CanOffload, Register)", Run);

}  // namespace
}  // namespace blockhub::bench
