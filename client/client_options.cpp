#include "client/client_options.h"

#include <fmt/format.h>
#include <xxhash.h>

#include <random>

#include "common/env_config.h"
#include "security/curve_keys.h"

namespace blockhub {
namespace {

Status NamedError(const char* name, const Status& s) {
  return InvalidArgumentError(fmt::format("environment variable {}: {}", name, s.message()));
}

// Applies one optional string variable.
Status ApplyString(const char* name, std::string& field) {
  auto v = EnvString(name);
  if (!v) return v.error();
  if (v->has_value()) field = **v;
  return Status::Ok();
}

Status ApplyMillis(const char* name, uint64_t min, uint64_t max, std::chrono::milliseconds& field) {
  auto v = EnvU64(name, min, max);
  if (!v) return v.error();
  if (v->has_value()) field = std::chrono::milliseconds(**v);
  return Status::Ok();
}

// DYN_REGISTRY_CLIENT_CURVE_SERVER_KEY (Z85) and DYN_REGISTRY_CLIENT_CURVE_SECRET_KEY_FILE (a
// PREFIX.key file of `blockhub keygen`): both or neither; errors name the variable.
Status ApplyCurve(ClientOptions& o) {
  constexpr const char* kServer = "DYN_REGISTRY_CLIENT_CURVE_SERVER_KEY";
  constexpr const char* kSecret = "DYN_REGISTRY_CLIENT_CURVE_SECRET_KEY_FILE";
  auto server = EnvString(kServer);
  if (!server) return server.error();
  auto secret_file = EnvString(kSecret);
  if (!secret_file) return secret_file.error();
  if (!server->has_value() && !secret_file->has_value()) return Status::Ok();
  if (!server->has_value()) {
    return InvalidArgumentError(
        fmt::format("environment variable {} needs {} (the hub's public key)", kSecret, kServer));
  }
  if (!secret_file->has_value()) {
    return InvalidArgumentError(fmt::format(
        "environment variable {} needs {} (this client's secret key file)", kServer, kSecret));
  }
  if (Status s = ValidateCurveKey(**server, "the hub's public key"); !s.ok())
    return NamedError(kServer, s);
  auto secret = ReadCurveKeyFile(**secret_file, "secret key file");
  if (!secret) return NamedError(kSecret, secret.error());
  o.curve_server_key = **server;
  o.curve_secret_key = std::move(*secret);
  return Status::Ok();
}

}  // namespace

Result<std::vector<HubEndpoint>> ParseHubList(std::string_view query_list,
                                              std::string_view register_list,
                                              std::string_view query_name,
                                              std::string_view register_name) {
  auto split = [](std::string_view list, std::string_view name,
                  std::vector<std::string>& out) -> Status {
    size_t start = 0;
    for (;;) {
      const size_t comma = list.find(',', start);
      std::string_view item = list.substr(
          start, comma == std::string_view::npos ? std::string_view::npos : comma - start);
      while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
      while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
      if (item.empty()) {
        return InvalidArgumentError(fmt::format("{}: empty endpoint in '{}'", name, list));
      }
      out.emplace_back(item);
      if (comma == std::string_view::npos) break;
      start = comma + 1;
    }
    if (out.size() > kMaxHubs) {
      return InvalidArgumentError(
          fmt::format("{}: {} endpoints, at most {} hubs", name, out.size(), kMaxHubs));
    }
    return Status::Ok();
  };
  std::vector<std::string> queries, registers;
  if (Status s = split(query_list, query_name, queries); !s.ok()) return s;
  if (Status s = split(register_list, register_name, registers); !s.ok()) return s;
  if (queries.size() != registers.size()) {
    return InvalidArgumentError(fmt::format(
        "{} lists {} endpoint(s) but {} lists {}: the i-th query endpoint pairs with the i-th "
        "register endpoint, so both lists need one entry per hub",
        query_name, queries.size(), register_name, registers.size()));
  }
  std::vector<HubEndpoint> hubs;
  for (size_t i = 0; i < queries.size(); ++i) {
    hubs.push_back({std::move(queries[i]), std::move(registers[i])});
  }
  return hubs;
}

Result<uint64_t> ParseClientId(std::string_view text) {
  if (text.empty()) return InvalidArgumentError("client id is empty");
  Result<uint64_t> number = InvalidArgumentError("not a number");
  if (text.size() > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) {
    uint64_t v = 0;
    std::string_view digits = text.substr(2);
    bool ok = digits.size() <= 16;
    for (char c : digits) {
      int d = (c >= '0' && c <= '9')   ? c - '0'
              : (c >= 'a' && c <= 'f') ? c - 'a' + 10
              : (c >= 'A' && c <= 'F') ? c - 'A' + 10
                                       : -1;
      if (d < 0) ok = false;
      v = (v << 4) | static_cast<uint64_t>(d < 0 ? 0 : d);
    }
    if (ok) number = v;
  } else {
    number = ParseU64(text);
  }
  if (number) {
    if (*number == 0) return InvalidArgumentError("client id 0 is reserved");
    return *number;
  }
  uint64_t h = XXH3_64bits(text.data(), text.size());
  return h == 0 ? uint64_t{1} : h;
}

uint64_t RandomClientId() {
  std::random_device rd;
  std::mt19937_64 gen((static_cast<uint64_t>(rd()) << 32) ^ rd());
  uint64_t v = 0;
  while (v == 0) v = gen();
  return v;
}

std::string RoutingIdFor(uint64_t client_id) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string id = "bh-";
  for (int shift = 60; shift >= 0; shift -= 4) id.push_back(kHex[(client_id >> shift) & 0xf]);
  return id;
}

Status ClientOptions::Validate() const {
  if (query_addr.empty()) return InvalidArgumentError("query address is empty");
  if (register_addr.empty()) return InvalidArgumentError("register address is empty");
  if (auto h = hubs(); !h) return h.error();
  if (batch_size == 0) return InvalidArgumentError("batch size must be at least 1");
  if (batch_timeout.count() <= 0) return InvalidArgumentError("batch timeout must be positive");
  if (request_timeout.count() <= 0) return InvalidArgumentError("request timeout must be positive");
  if (hwm < 0) return InvalidArgumentError("hwm must not be negative");
  if (max_pending_registrations < batch_size) {
    return InvalidArgumentError("max pending registrations must be at least the batch size");
  }
  if (curve_server_key.empty() != curve_secret_key.empty()) {
    return InvalidArgumentError(
        "CurveZMQ needs both the hub's public key and the client's secret key");
  }
  if (!curve_server_key.empty()) {
    if (Status s = ValidateCurveKey(curve_server_key, "the hub's CurveZMQ public key"); !s.ok()) {
      return s;
    }
    if (Status s = ValidateCurveKey(curve_secret_key, "the client's CurveZMQ secret key");
        !s.ok()) {
      return s;
    }
  }
  if (protocol != ProtocolVersion::kV1 && protocol != ProtocolVersion::kV2) {
    return InvalidArgumentError("protocol must be 1 or 2");
  }
  if (events_addr.find(',') != std::string::npos) {
    return InvalidArgumentError("events address: one endpoint (the hub whose events to follow)");
  }
  if (events_timeout.count() <= 0) return InvalidArgumentError("events timeout must be positive");
  if (member_ttl.count() < 0) return InvalidArgumentError("member TTL must not be negative");
  if (member_ttl.count() > 0 && protocol != ProtocolVersion::kV2) {
    return InvalidArgumentError("worker membership (member TTL) needs protocol 2");
  }
  if (member_ttl.count() > 0 && member_ttl.count() < 20) {
    return InvalidArgumentError("member TTL: at least 20 ms (it is renewed at half of it)");
  }
  return Status::Ok();
}

namespace {

// Calls `fn(item)` for each comma-separated item of `text` (spaces around items trimmed); none
// for blank text. Stops at the first error `fn` returns.
template <typename Fn>
Status ForEachListItem(std::string_view text, Fn fn) {
  auto trim = [](std::string_view s) {
    while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
    while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
    return s;
  };
  if (trim(text).empty()) return Status::Ok();
  size_t start = 0;
  while (start <= text.size()) {
    size_t comma = text.find(',', start);
    if (comma == std::string_view::npos) comma = text.size();
    if (Status s = fn(trim(text.substr(start, comma - start))); !s.ok()) return s;
    start = comma + 1;
  }
  return Status::Ok();
}

}  // namespace

Result<MemberMetadataPairs> ParseMemberMetadata(std::string_view text) {
  MemberMetadataPairs out;
  Status s = ForEachListItem(text, [&out](std::string_view item) -> Status {
    const size_t eq = item.find('=');
    if (eq == std::string_view::npos || eq == 0) {
      return InvalidArgumentError(fmt::format(
          "metadata entry '{}': expected key=value with a non-empty key (entries k=v,k=v)", item));
    }
    std::string key(item.substr(0, eq));
    for (const auto& [k, v] : out) {
      if (k == key) return InvalidArgumentError(fmt::format("metadata key '{}' given twice", key));
    }
    out.emplace_back(std::move(key), std::string(item.substr(eq + 1)));
    return Status::Ok();
  });
  if (!s.ok()) return s;
  return out;
}

Result<MemberFilterTerms> ParseMemberFilter(std::string_view text) {
  MemberFilterTerms out;
  Status s = ForEachListItem(text, [&out](std::string_view item) -> Status {
    const size_t eq = item.find('=');
    const std::string_view key = item.substr(0, eq);
    if (key.empty()) {
      return InvalidArgumentError(
          fmt::format("filter term '{}': expected key=value or key (terms k=v,k)", item));
    }
    MemberFilterTerm term{std::string(key), std::nullopt};
    if (eq != std::string_view::npos) term.value = std::string(item.substr(eq + 1));
    out.push_back(std::move(term));
    return Status::Ok();
  });
  if (!s.ok()) return s;
  return out;
}

Result<ClientOptions> ClientOptions::FromEnv() {
  ClientOptions o;
  for (auto [name, field] :
       {std::pair<const char*, std::string*>{"DYN_REGISTRY_CLIENT_QUERY_ADDR", &o.query_addr},
        {"DYN_REGISTRY_CLIENT_REGISTER_ADDR", &o.register_addr},
        {"DYN_REGISTRY_CLIENT_NAMESPACE", &o.ns},
        {"DYN_REGISTRY_CLIENT_EVENTS_ADDR", &o.events_addr}}) {
    if (Status s = ApplyString(name, *field); !s.ok()) return s;
  }
  if (auto h = ParseHubList(o.query_addr, o.register_addr, "DYN_REGISTRY_CLIENT_QUERY_ADDR",
                            "DYN_REGISTRY_CLIENT_REGISTER_ADDR");
      !h) {
    return h.error();
  }
  auto batch = EnvU64("DYN_REGISTRY_CLIENT_BATCH_SIZE", 1, 1u << 20);
  if (!batch) return batch.error();
  if (batch->has_value()) o.batch_size = static_cast<uint32_t>(**batch);
  if (Status s = ApplyMillis("DYN_REGISTRY_CLIENT_BATCH_TIMEOUT_MS", 1, 3'600'000, o.batch_timeout);
      !s.ok()) {
    return s;
  }
  if (Status s =
          ApplyMillis("DYN_REGISTRY_CLIENT_REQUEST_TIMEOUT_MS", 1, 86'400'000, o.request_timeout);
      !s.ok()) {
    return s;
  }
  auto id = EnvString("DYN_REGISTRY_CLIENT_ID");
  if (!id) return id.error();
  if (id->has_value()) {
    auto parsed = ParseClientId(**id);
    if (!parsed) return NamedError("DYN_REGISTRY_CLIENT_ID", parsed.error());
    o.client_id = *parsed;
  }
  auto protocol = EnvChoice("DYN_REGISTRY_CLIENT_PROTOCOL", {"1", "2"});
  if (!protocol) return protocol.error();
  if (protocol->has_value()) {
    o.protocol = **protocol == "1" ? ProtocolVersion::kV1 : ProtocolVersion::kV2;
  }
  auto hwm = EnvU64("DYN_REGISTRY_CLIENT_HWM", 0, 1u << 30);
  if (!hwm) return hwm.error();
  if (hwm->has_value()) o.hwm = static_cast<int>(**hwm);
  if (o.max_pending_registrations < o.batch_size) o.max_pending_registrations = o.batch_size;
  if (Status s = ApplyCurve(o); !s.ok()) return s;
  auto cache = EnvU64("DYN_REGISTRY_CLIENT_LOCAL_CACHE", 0, 1u << 30);
  if (!cache) return cache.error();
  if (cache->has_value()) o.local_cache_entries = static_cast<size_t>(**cache);
  if (Status s =
          ApplyMillis("DYN_REGISTRY_CLIENT_LOCAL_CACHE_TTL_MS", 1, 86'400'000, o.local_cache_ttl);
      !s.ok()) {
    return s;
  }
  if (Status s =
          ApplyMillis("DYN_REGISTRY_CLIENT_EVENTS_TIMEOUT_MS", 10, 86'400'000, o.events_timeout);
      !s.ok()) {
    return s;
  }
  if (o.events_addr.find(',') != std::string::npos) {
    return InvalidArgumentError(
        "DYN_REGISTRY_CLIENT_EVENTS_ADDR: one endpoint (the hub whose events the cache follows)");
  }
  if (Status s = ApplyMillis("DYN_REGISTRY_CLIENT_MEMBER_TTL_MS", 0, 86'400'000, o.member_ttl);
      !s.ok()) {
    return s;
  }
  auto metadata = EnvString("DYN_REGISTRY_CLIENT_MEMBER_METADATA");
  if (!metadata) return metadata.error();
  if (metadata->has_value()) {
    auto parsed = ParseMemberMetadata(**metadata);
    if (!parsed) return NamedError("DYN_REGISTRY_CLIENT_MEMBER_METADATA", parsed.error());
    o.member_metadata = std::move(*parsed);
  }
  if (Status s = o.Validate(); !s.ok()) return s;
  return o;
}

ClientOptionsBuilder& ClientOptionsBuilder::hubs(const std::vector<HubEndpoint>& v) {
  o_.query_addr.clear();
  o_.register_addr.clear();
  for (size_t i = 0; i < v.size(); ++i) {
    if (i > 0) {
      o_.query_addr += ',';
      o_.register_addr += ',';
    }
    o_.query_addr += v[i].query_addr;
    o_.register_addr += v[i].register_addr;
  }
  return *this;
}

Result<ClientOptions> ClientOptionsBuilder::Build() const {
  if (Status s = o_.Validate(); !s.ok()) return s;
  return o_;
}

}  // namespace blockhub
