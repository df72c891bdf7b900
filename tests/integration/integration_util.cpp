#include "tests/integration/integration_util.h"

#include <cstdio>
#include <cstdlib>
#include <utility>

namespace blockhub::testing {
namespace {

std::string EncodeOrDie(const Message& msg) {
  std::string out;
  if (Status s = Encode(msg, out); !s.ok()) {
    std::fprintf(stderr, "test bug: cannot encode: %s\n", s.ToString().c_str());
    std::abort();
  }
  return out;
}

}  // namespace

std::string U64Key(uint64_t v) {
  std::string out(8, '\0');
  for (int i = 0; i < 8; ++i) out[i] = static_cast<char>((v >> (8 * i)) & 0xff);
  return out;
}

std::string EncodeV1(Body body) {
  Message m;
  m.version = ProtocolVersion::kV1;
  m.body = std::move(body);
  return EncodeOrDie(m);
}

std::string EncodeV2(uint64_t client_id, Body body) {
  Message m;
  m.version = ProtocolVersion::kV2;
  m.client_id = client_id;
  m.body = std::move(body);
  return EncodeOrDie(m);
}

Result<Message> DecodeReply(const RawReply& reply) {
  DecodeLimits limits;
  limits.max_batch_keys = UINT32_MAX;
  limits.max_key_bytes = 65535;
  limits.max_value_bytes = 65535;
  limits.max_metadata_bytes = 65535;
  return DecodeResponse(reply.message(), limits);
}

Result<Message> Ask(RawDealer& dealer, uint32_t request_id, std::string_view message,
                    RawReply* holder) {
  auto reply = dealer.Request(request_id, message);
  if (!reply) return reply.error();
  *holder = std::move(*reply);
  return DecodeReply(*holder);
}

bool RetryUntil(const std::function<bool()>& attempt, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  do {
    if (attempt()) return true;
  } while (std::chrono::steady_clock::now() < deadline);
  return false;
}

uint64_t StatValue(RawDealer& dealer, std::string_view name) {
  static uint32_t next_id = 0x5000'0000;
  RawReply holder;
  auto reply = Ask(dealer, ++next_id, EncodeV2(77, Stats{}), &holder);
  if (!reply) return UINT64_MAX;
  const auto* stats = std::get_if<StatsResponse>(&reply->body);
  if (stats == nullptr) return UINT64_MAX;
  for (const auto& [n, v] : stats->counters) {
    if (n == name) return v;
  }
  return UINT64_MAX;
}

std::vector<std::pair<std::string, std::string>> EntryPairs(const Message& match_response) {
  std::vector<std::pair<std::string, std::string>> out;
  if (const auto* m = std::get_if<MatchResponse>(&match_response.body)) {
    for (const Entry& e : m->entries) out.emplace_back(std::string(e.key), std::string(e.value));
  }
  return out;
}

}  // namespace blockhub::testing
