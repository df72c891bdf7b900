#include "hub/server/server_config.h"

#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <functional>
#include <memory>
#include <string_view>
#include <vector>

#include "codec/key_format.h"
#include "common/env_config.h"
#include "common/logging.h"
#include "security/curve_keys.h"

namespace blockhub {
namespace {

using Apply = std::function<Status(std::string_view)>;

// Options whose value comes from a flag, else its environment variable, else the default. Each
// value is applied (parsed and stored) by its own function; errors are prefixed with the flag or
// the variable so the user knows which one to fix. Items are resolved in the order added, so an
// env-only item added before a flag item with the same target is overridden by it.
class OptionTable {
 public:
  explicit OptionTable(CLI::App& app) : app_(app) {}

  // `flag` may be empty for a variable with no flag of its own.
  void Add(const std::string& flag, const char* env, const std::string& type,
           const std::string& description, const std::string& default_text, Apply apply) {
    auto item = std::make_unique<Item>(Item{flag, env, {}, nullptr, std::move(apply)});
    if (!flag.empty()) {
      std::string help = description + " [env " + env + "; default " + default_text + "]";
      item->option = app_.add_option(flag, item->value, help)->type_name(type);
    }
    items_.push_back(std::move(item));
  }

  Status Resolve() {
    for (const auto& item : items_) {
      if (item->option != nullptr && item->option->count() > 0) {
        if (Status s = item->apply(item->value); !s.ok()) {
          return InvalidArgumentError(item->flag + ": " + s.message());
        }
        continue;
      }
      auto env = EnvString(item->env);
      if (!env->has_value()) continue;
      if (Status s = item->apply(**env); !s.ok()) {
        return InvalidArgumentError(std::string("environment variable ") + item->env + ": " +
                                    s.message());
      }
    }
    return Status::Ok();
  }

 private:
  struct Item {
    std::string flag;
    const char* env;
    std::string value;
    CLI::Option* option;
    Apply apply;
  };
  CLI::App& app_;
  std::vector<std::unique_ptr<Item>> items_;  // stable addresses: CLI11 writes into `value`
};

template <typename T>
Apply Number(T& field, uint64_t min, uint64_t max) {
  return [&field, min, max](std::string_view text) -> Status {
    auto v = ParseU64(text, min, max);
    if (!v) return v.error();
    field = static_cast<T>(*v);
    return Status::Ok();
  };
}

Apply Endpoint(std::string& field) {
  return [&field](std::string_view text) -> Status {
    const size_t sep = text.find("://");
    if (sep == std::string_view::npos || sep == 0 || sep + 3 == text.size()) {
      return InvalidArgumentError("'" + std::string(text) +
                                  "' is not a ZeroMQ endpoint (transport://address)");
    }
    field = std::string(text);
    return Status::Ok();
  };
}

void AddNetworkOptions(OptionTable& t, ServerConfig& c) {
  t.Add("--query-addr", "DYN_REGISTRY_HUB_QUERY_ADDR", "ENDPOINT",
        "Query socket (ROUTER) bind endpoint; a port of * picks a free one", c.query_addr,
        Endpoint(c.query_addr));
  t.Add("--register-addr", "DYN_REGISTRY_HUB_REGISTER_ADDR", "ENDPOINT",
        "Registration socket (PULL) bind endpoint; a port of * picks a free one", c.register_addr,
        Endpoint(c.register_addr));
  t.Add("--hwm", "DYN_REGISTRY_HUB_HWM", "N",
        "ZeroMQ high-water mark (queued messages) of each socket, each direction; 0 = unlimited",
        std::to_string(c.hwm), Number(c.hwm, 0, INT32_MAX));
  t.Add("--events-addr", "DYN_REGISTRY_HUB_EVENTS_ADDR", "ENDPOINT",
        "Change-event socket (PUB) bind endpoint, or 'off' (the default). Every catalog change "
        "(stored, removed, evicted) is published in the order applied (codec/FORMAT.md "
        "\"Change events\"); a port of * picks a free one, reported in the ready line",
        "off", [&c](std::string_view text) -> Status {
          if (text == "off") {
            c.events_addr.clear();
            return Status::Ok();
          }
          return Endpoint(c.events_addr)(text);
        });
  t.Add("--events-hwm", "DYN_REGISTRY_HUB_EVENTS_HWM", "N",
        "Event batches queued per subscriber before the hub drops batches (counted in "
        "registry_events_dropped_total; subscribers then see a sequence gap); 0 = unlimited",
        std::to_string(c.events_hwm), Number(c.events_hwm, 0, INT32_MAX));
  t.Add("--events-heartbeat-ms", "DYN_REGISTRY_HUB_EVENTS_HEARTBEAT_MS", "MS",
        "With events on: an empty sync batch (topic 'sync', the next sequence number) after this "
        "long without any batch, and at once when a subscriber joins, so subscribers see a "
        "subscription go live, a lost last batch within one heartbeat, and a dead hub",
        std::to_string(c.events_heartbeat_ms), Number(c.events_heartbeat_ms, 10, 3'600'000));
  t.Add("--metrics-addr", "DYN_REGISTRY_HUB_METRICS_ADDR", "ADDR",
        "HTTP endpoint for /metrics, /healthz, /readyz: HOST:PORT, [IPV6]:PORT or :PORT (port 0 "
        "picks a free one, reported in the ready line), or 'off'. An address given here or in "
        "the variable must bind (else exit 1); when the default is taken (another hub on this "
        "machine) the hub warns and runs without the endpoint",
        c.metrics_addr, [&c](std::string_view text) -> Status {
          auto parsed = ParseMetricsAddr(text);
          if (!parsed) return parsed.error();
          c.metrics = *parsed;
          c.metrics_addr = std::string(text);
          c.metrics_explicit = true;
          return Status::Ok();
        });
}

void AddSecurityOptions(OptionTable& t, ServerConfig& c) {
  t.Add("--curve-secret-key-file", "DYN_REGISTRY_HUB_CURVE_SECRET_KEY_FILE", "FILE",
        "CurveZMQ on both sockets: the hub's secret key (a PREFIX.key file of 'blockhub keygen'; "
        "the public key clients need is derived from it). Needs --authorized-keys",
        "off", [&c](std::string_view text) -> Status {
          c.curve_secret_key_file = std::string(text);
          if (text.empty()) return Status::Ok();
          if (!CurveAvailable()) return InvalidArgumentError("this libzmq has no CURVE support");
          auto secret = ReadCurveKeyFile(c.curve_secret_key_file, "the hub's secret key");
          if (!secret) return secret.error();
          c.curve_secret_z85 = std::move(*secret);
          return Status::Ok();
        });
  t.Add("--authorized-keys", "DYN_REGISTRY_HUB_AUTHORIZED_KEYS", "FILE",
        "With CurveZMQ: the clients allowed to connect, one 'ROLE PUBLIC_KEY_Z85 [NAME]' line "
        "each (roles reader, writer, admin; '#' comments); re-read on SIGHUP",
        "none", [&c](std::string_view text) -> Status {
          c.authorized_keys_file = std::string(text);
          if (text.empty()) return Status::Ok();
          auto keys = AuthorizedKeys::Load(c.authorized_keys_file);
          if (!keys) return keys.error();
          c.authorized_keys = std::make_shared<const AuthorizedKeys>(std::move(*keys));
          return Status::Ok();
        });
  t.Add("--max-peers", "DYN_REGISTRY_HUB_MAX_PEERS", "N",
        "Most connections each socket holds at once; a new connection beyond it is closed at "
        "once (logged, counted in registry_auth_failures_total{reason=\"too_many_peers\"}); "
        "0 = unbounded",
        "0", Number(c.max_peers, 0, UINT32_MAX));
}

// Both CurveZMQ files or neither (each was read and checked when its setting was applied).
Status CheckSecurity(const ServerConfig& c) {
  if (c.curve_secret_key_file.empty() && c.authorized_keys_file.empty()) return Status::Ok();
  if (c.authorized_keys_file.empty()) {
    return InvalidArgumentError(
        "--curve-secret-key-file needs --authorized-keys FILE (DYN_REGISTRY_HUB_AUTHORIZED_KEYS): "
        "the clients allowed to connect");
  }
  if (c.curve_secret_key_file.empty()) {
    return InvalidArgumentError(
        "--authorized-keys needs --curve-secret-key-file FILE "
        "(DYN_REGISTRY_HUB_CURVE_SECRET_KEY_FILE): without a hub key there is no CurveZMQ");
  }
  return Status::Ok();
}

// Persistence. PersistenceInputs records what the flag/variables said; Finish decides on/off.
struct PersistenceInputs {
  std::optional<bool> enabled;  // DYN_REGISTRY_PERSISTENCE_ENABLED
};

void AddPersistenceOptions(OptionTable& t, ServerConfig& c, PersistenceInputs& in) {
  persistence::PersistenceConfig& p = c.persistence;
  t.Add("", "DYN_REGISTRY_PERSISTENCE_ENABLED", "", "", "", [&in](std::string_view text) {
    auto v = ParseBool(text);
    if (!v) return v.error();
    in.enabled = *v;
    return Status::Ok();
  });
  t.Add("--data-dir", "DYN_REGISTRY_PERSISTENCE_PATH", "DIR",
        "Persistence data directory (write-ahead log + snapshots; created if missing, locked by "
        "one hub). Persistence is on when a directory is given or "
        "DYN_REGISTRY_PERSISTENCE_ENABLED=true (then ./blockhub-data by default); "
        "DYN_REGISTRY_PERSISTENCE_ENABLED=false turns it off unless this flag is given; an empty "
        "value means off",
        "off", [&p](std::string_view text) -> Status {
          p.data_dir = std::string(text);
          return Status::Ok();
        });
  t.Add("--snapshot-interval", "DYN_REGISTRY_PERSISTENCE_SNAPSHOT_INTERVAL", "N",
        "Catalog changes between snapshots (and at least half the catalog size)",
        std::to_string(p.snapshot_interval), Number(p.snapshot_interval, 1, UINT64_MAX));
  t.Add("--snapshot-retention", "DYN_REGISTRY_PERSISTENCE_SNAPSHOT_RETENTION", "N",
        "Snapshots kept; older ones and the log before them are deleted",
        std::to_string(p.snapshot_retention), Number(p.snapshot_retention, 1, 1000));
  t.Add("--commit-interval-ms", "DYN_REGISTRY_PERSISTENCE_COMMIT_INTERVAL_MS", "MS",
        "Longest delay before fire-and-forget registrations are fsync'd (RegisterSync replies "
        "never wait for it)",
        std::to_string(p.commit_interval.count()), [&p](std::string_view text) -> Status {
          auto v = ParseU64(text, 0, 10'000);
          if (!v) return v.error();
          p.commit_interval = std::chrono::milliseconds(*v);
          return Status::Ok();
        });
  t.Add("--max-unsynced", "DYN_REGISTRY_PERSISTENCE_MAX_UNSYNCED", "N",
        "With persistence: catalog changes not yet fsync'd, and RegisterSync replies held for "
        "their fsync, at most (each; plus one request's worth). At the bound the hub stops "
        "reading requests until the log catches up (ZeroMQ then queues up to --hwm and TCP "
        "pushes back): nothing is dropped",
        std::to_string(c.max_unsynced), Number(c.max_unsynced, 1, UINT32_MAX));
}

// The flag wins; otherwise ENABLED decides (true: the PATH variable or ./blockhub-data; false:
// off); otherwise the PATH variable alone turns persistence on.
void ResolvePersistence(bool dir_flag_given, const PersistenceInputs& in, ServerConfig& c) {
  if (dir_flag_given || !in.enabled.has_value()) return;
  if (!*in.enabled) {
    c.persistence.data_dir.clear();
  } else if (c.persistence.data_dir.empty()) {
    c.persistence.data_dir = kDefaultDataDir;
  }
}

void AddCatalogOptions(OptionTable& t, ServerConfig& c) {
  constexpr uint64_t kMaxCapacity = 0xFFFF'FFFEull;  // the catalog's handles are u32
  HubConfig& h = c.hub;
  t.Add("--capacity", "DYN_REGISTRY_HUB_CAPACITY", "N", "Stored entries the catalog holds",
        std::to_string(h.capacity), Number(h.capacity, 1, kMaxCapacity));
  t.Add("--max-leases", "DYN_REGISTRY_HUB_MAX_LEASES", "N",
        "Live leases the hub holds at once (a CanOffload over the bound gets error 6)",
        "the capacity", Number(h.max_leases, 1, UINT64_MAX));
  // The Dynamo variable first, so the millisecond variable and the flag override it.
  t.Add("", "DYN_REGISTRY_HUB_LEASE_TIMEOUT_SECS", "", "", "", [&h](std::string_view text) {
    auto v = ParseU64(text, 1, UINT32_MAX / 1000);
    if (!v) return v.error();
    h.lease_ttl = std::chrono::milliseconds(*v * 1000);
    return Status::Ok();
  });
  t.Add("--lease-timeout-ms", "DYN_REGISTRY_HUB_LEASE_TIMEOUT_MS", "MS",
        "Lease lifetime in milliseconds (Dynamo's DYN_REGISTRY_HUB_LEASE_TIMEOUT_SECS is honoured "
        "too; the millisecond setting wins when both are set)",
        "30000", [&h](std::string_view text) {
          auto v = ParseU64(text, 1, UINT32_MAX);
          if (!v) return v.error();
          h.lease_ttl = std::chrono::milliseconds(*v);
          return Status::Ok();
        });
  t.Add("--key-format", "DYN_REGISTRY_HUB_KEY_FORMAT", "FORMAT",
        "Key format: bytes|u64|key128|composite|positional", "bytes", [&h](std::string_view text) {
          auto f = ParseKeyFormat(text);
          if (!f) return f.error();
          h.limits.key_format = *f;
          return Status::Ok();
        });
  t.Add("--eviction", "DYN_REGISTRY_HUB_EVICTION", "POLICY",
        "Eviction when full: none|lru|tail|positional (none rejects new entries)", "lru",
        [&h](std::string_view text) {
          auto e = ParseEvictionKind(text);
          if (!e) return e.error();
          h.eviction = *e;
          return Status::Ok();
        });
}

void AddLimitOptions(OptionTable& t, ServerConfig& c) {
  DecodeLimits& l = c.hub.limits;
  t.Add("--max-batch-keys", "DYN_REGISTRY_HUB_MAX_BATCH_KEYS", "N",
        "Most keys or entries in one request", std::to_string(l.max_batch_keys),
        Number(l.max_batch_keys, 1, UINT32_MAX));
  t.Add("--max-key-bytes", "DYN_REGISTRY_HUB_MAX_KEY_BYTES", "N",
        "Longest key in bytes (the bytes key format)", std::to_string(l.max_key_bytes),
        Number(l.max_key_bytes, 1, 65535));
  t.Add("--max-value-bytes", "DYN_REGISTRY_HUB_MAX_VALUE_BYTES", "N", "Longest value in bytes",
        std::to_string(l.max_value_bytes), Number(l.max_value_bytes, 0, 65535));
  t.Add("--max-metadata-bytes", "DYN_REGISTRY_HUB_MAX_METADATA_BYTES", "N",
        "Longest metadata in bytes", std::to_string(l.max_metadata_bytes),
        Number(l.max_metadata_bytes, 0, 65535));
  t.Add("--max-members", "DYN_REGISTRY_HUB_MAX_MEMBERS", "N",
        "Most live workers announced at once (Announce); a new member beyond it gets error 6 "
        "(capacity), renewals and withdrawals always succeed",
        std::to_string(c.hub.max_members), Number(c.hub.max_members, 1, UINT32_MAX));
  t.Add("--max-member-ttl-ms", "DYN_REGISTRY_HUB_MAX_MEMBER_TTL_MS", "MS",
        "Longest member TTL: an Announce asking for more gets this (its reply says so)",
        std::to_string(c.hub.max_member_ttl.count()), [&c](std::string_view text) -> Status {
          auto v = ParseU64(text, 1, UINT32_MAX);
          if (!v) return v.error();
          c.hub.max_member_ttl = std::chrono::milliseconds(*v);
          return Status::Ok();
        });
  t.Add("--max-member-metadata-bytes", "DYN_REGISTRY_HUB_MAX_MEMBER_METADATA_BYTES", "N",
        "Longest member name, and most key+value bytes of a member's metadata (and of a filter); "
        "beyond it error 4 (too_large)",
        std::to_string(l.max_member_metadata_bytes), Number(l.max_member_metadata_bytes, 0, 65535));
  t.Add("--max-multicast-bytes", "DYN_REGISTRY_HUB_MAX_MULTICAST_BYTES", "N",
        "Longest Multicast payload in bytes; beyond it error 4 (too_large)",
        std::to_string(l.max_multicast_bytes), Number(l.max_multicast_bytes, 0, 65535));
  t.Add("--max-frame-bytes", "DYN_REGISTRY_HUB_MAX_FRAME_BYTES", "N",
        "Largest ZeroMQ frame accepted on either socket (ZMQ_MAXMSGSIZE): a peer sending a larger "
        "one is disconnected before the frame is buffered; 0 = the largest frame a valid request "
        "can need under the limits above",
        "0 (derived)", Number(c.max_frame_bytes, 0, INT64_MAX));
  t.Add("--log-level", "DYN_REGISTRY_LOG_LEVEL", "LEVEL",
        "Log level (stderr): trace|debug|info|warn|error|critical|off", c.log_level,
        [&c](std::string_view text) -> Status {
          auto level = ParseLogLevel(text);
          if (!level) return level.error();
          c.log_level = std::string(text);
          return Status::Ok();
        });
}

constexpr const char* kFooter = R"(
Every option may also be set by its environment variable; a flag wins over its variable. A bad
value in either is a start-up error naming it (exit code 2).
Once both sockets are bound and the data dir recovered, blockhubd prints one line to stdout:
  ready query=<bound endpoint> register=<bound endpoint>[ metrics=http://<host>:<port>]
and logs to stderr. SIGINT/SIGTERM: stop answering queries (shutting_down), apply the
registrations already received, flush the log, exit 0. SIGHUP: re-read --authorized-keys (a
file that does not parse keeps the keys in use and logs an error; a removed key's connections
get permission_denied from then on, its new ones are refused). Exit code 1: a start-up failure that is
not a bad value (address in use, data dir not writable or locked by another hub) or a failed
write-ahead log while running.)";

}  // namespace

Result<std::optional<ServerConfig>> ParseServerConfig(int argc, const char* const* argv,
                                                      std::ostream& out) {
  ServerConfig config;
  CLI::App app("blockhubd: the blockhub deduplication hub (block catalog + leases over ZeroMQ)",
               "blockhubd");
  app.footer(kFooter);
  app.set_version_flag("--version", config.hub.hub_version);
  OptionTable table(app);
  AddNetworkOptions(table, config);
  AddSecurityOptions(table, config);
  AddCatalogOptions(table, config);
  AddLimitOptions(table, config);
  PersistenceInputs persistence_inputs;
  AddPersistenceOptions(table, config, persistence_inputs);
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp&) {
    out << app.help();
    return std::optional<ServerConfig>();
  } catch (const CLI::CallForVersion&) {
    out << config.hub.hub_version << "\n";
    return std::optional<ServerConfig>();
  } catch (const CLI::ParseError& e) {
    return InvalidArgumentError(e.what());
  }
  if (Status s = table.Resolve(); !s.ok()) return s;
  ResolvePersistence(app.count("--data-dir") > 0, persistence_inputs, config);
  if (config.hub.max_leases == 0) config.hub.max_leases = config.hub.capacity;
  if (Status s = CheckSecurity(config); !s.ok()) return s;
  if (config.max_frame_bytes == 0) config.max_frame_bytes = MaxFrameBytesFor(config.hub.limits);
  // Cross-setting checks (e.g. --eviction tail needs u64 or positional keys).
  if (Status s = ValidateHubConfig(config.hub); !s.ok()) {
    return InvalidArgumentError("inconsistent settings: " + s.message());
  }
  return std::optional<ServerConfig>(std::move(config));
}

int64_t MaxFrameBytesFor(const DecodeLimits& l) {
  // Per entry: length prefixes and fixed-size fields are well under 64 bytes; keys of the fixed
  // formats are at most 64 bytes.
  const int64_t key = std::max<int64_t>(l.max_key_bytes, 64);
  const int64_t entry = key + l.max_value_bytes + l.max_metadata_bytes + 64;
  const int64_t batch = 4096 + static_cast<int64_t>(l.max_batch_keys) * entry;
  // Membership requests: an Announce (name, then pairs of at least 5 bytes each carrying M bytes
  // in all) or a Multicast (a filter likewise, then the payload).
  const int64_t member = 4096 + 6 * static_cast<int64_t>(l.max_member_metadata_bytes) +
                         static_cast<int64_t>(l.max_multicast_bytes);
  return std::max(batch, member);
}

std::string DescribeServerConfig(const ServerConfig& c) {
  const HubConfig& h = c.hub;
  return fmt::format(
      "query={} register={} events={} hwm={} capacity={} max_leases={} lease_timeout_ms={} "
      "key_format={} "
      "eviction={} max_batch_keys={} max_key_bytes={} max_value_bytes={} max_metadata_bytes={} "
      "metrics={} data_dir={} snapshot_interval={} snapshot_retention={} commit_interval_ms={} "
      "log_level={} max_frame_bytes={} curve={} authorized_keys={} max_peers={} max_members={} "
      "max_member_ttl_ms={} max_member_metadata_bytes={} max_multicast_bytes={}",
      c.query_addr, c.register_addr, c.events_addr.empty() ? "off" : c.events_addr, c.hwm,
      h.capacity, h.max_leases, h.lease_ttl.count(), KeyFormatName(h.limits.key_format),
      EvictionKindName(h.eviction), h.limits.max_batch_keys, h.limits.max_key_bytes,
      h.limits.max_value_bytes, h.limits.max_metadata_bytes,
      c.metrics ? FormatHostPort(*c.metrics) : "off",
      c.persistence.data_dir.empty() ? "off" : c.persistence.data_dir,
      c.persistence.snapshot_interval, c.persistence.snapshot_retention,
      c.persistence.commit_interval.count(), c.log_level, c.max_frame_bytes,
      c.curve_secret_z85.empty() ? "off" : "on",
      c.authorized_keys ? std::to_string(c.authorized_keys->size()) : "-", c.max_peers,
      h.max_members, h.max_member_ttl.count(), h.limits.max_member_metadata_bytes,
      h.limits.max_multicast_bytes);
}

bool IsLoopbackEndpoint(std::string_view e) {
  if (e.starts_with("ipc://") || e.starts_with("inproc://")) return true;
  if (!e.starts_with("tcp://")) return false;
  std::string_view host = e.substr(6);
  if (const size_t semi = host.find(';'); semi != std::string_view::npos) {
    host = host.substr(semi + 1);  // "source;destination": the bound one is after the ';'
  }
  const size_t colon = host.rfind(':');
  if (colon != std::string_view::npos) host = host.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  return host.starts_with("127.") || host == "::1" || host == "localhost" || host == "lo";
}

}  // namespace blockhub
