// blockhub: command-line client for a running blockhub hub (or a Dynamo KVBM registry hub with
// --protocol 1). Connection settings come from DYN_REGISTRY_CLIENT_* variables, flags win.
// Exit codes: 0 ok, 1 hub/transport error (or an undecodable frame for `decode`), 2 usage error.
#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <string>
#include <vector>

#include "common/env_config.h"
#include "common/logging.h"
#include "common/version.h"
#include "security/curve_keys.h"
#include "tools/cli/cli_commands.h"
#include "tools/cli/cli_keygen.h"
#include "tools/cli/cli_members.h"
#include "tools/cli/cli_watch.h"

namespace blockhub::cli {
namespace {

constexpr const char* kKeyHelp =
    "Keys per --key-format: bytes = hex (0a0b..); u64 = decimal or 0x-hex; key128 = 32 hex digits "
    "or 0x-hex; composite = W:H; positional = W:H:P (parts decimal or 0x-hex)";

struct Args {
  std::string client_id;
  std::string key_format = "bytes";
  int protocol = 2;
  uint64_t timeout_ms = 0;
  std::vector<std::string> keys;
  std::vector<std::string> entries;
  std::vector<std::string> hex;
  bool prefix = false;
  std::string hello_name;
  std::string hello_metadata;
  std::string key_prefix = kDefaultKeyPrefix;
  std::string curve_server_key;
  std::string curve_secret_key_file;
  // watch
  std::string events_addr;
  std::string watch_types;
  std::string watch_prefix;
  uint64_t watch_count = 0;
  uint64_t watch_timeout_ms = 0;
  // members / multicast / listen
  std::string member_filter;
  std::string payload;
  std::string listen_events_addr;
  std::string listen_metadata;
  uint64_t listen_count = 0;
  uint64_t listen_timeout_ms = 0;
};

constexpr const char* kEventsAddrEnv = "DYN_REGISTRY_CLIENT_EVENTS_ADDR";

constexpr const char* kWatchHelp =
    "Follow the hub's catalog changes on its events socket (blockhubd --events-addr; the ready "
    "line shows events=EP). One line per event, flushed at once:\n"
    "  stored seq=N epoch=E KEY -> VALUE  metadata META\n"
    "  removed seq=N epoch=E KEY   |   evicted seq=N epoch=E KEY\n"
    "  gap epoch=E expected=N got=M lost=K     events were lost (never for the first batch seen)\n"
    "  epoch changed previous=E0 epoch=E1      the hub restarted (its sequence starts again at 1)\n"
    "KEY per --key-format, VALUE and META as `match` prints them, E as 16 hex digits. --json: one "
    "object per line: {\"type\":\"stored\",\"seq\":N,\"epoch\":\"E\",\"key\",\"key_hex\","
    "\"value\",\"value_hex\",\"metadata\",\"metadata_hex\"} (removed/evicted: type, seq, epoch, "
    "key, key_hex), {\"type\":\"gap\",\"epoch\",\"expected\",\"got\",\"lost\"}, "
    "{\"type\":\"epoch\",\"epoch\",\"previous\"}.\n"
    "Every topic is subscribed and --type/--prefix filter locally, so gaps stay visible; batches "
    "without events (sync) print nothing but count for gap detection. Writes `watching EP` on "
    "stderr once the subscription is live (the first batch: the hub answers a new subscriber "
    "with a sync batch), so what the hub applies after it is printed or shows as a gap. "
    "CurveZMQ: the common --curve-* options (or variables) apply to the events socket too.\n"
    "Exit: 0 after --count events, at --timeout-ms without --count, or on SIGINT/SIGTERM; 1 when "
    "--timeout-ms passes before --count events; 2 usage error (no endpoint, bad --type/--prefix/"
    "--events-addr)";

void AddCommonOptions(CLI::App& app, CommonSettings& s, Args& a) {
  app.add_option("--query-addr", s.client.query_addr,
                 "Hub query endpoint (ROUTER), or a comma-separated hub list "
                 "[env DYN_REGISTRY_CLIENT_QUERY_ADDR]")
      ->capture_default_str();
  app.add_option("--register-addr", s.client.register_addr,
                 "Hub registration endpoint (PULL), or a comma-separated list pairing with "
                 "--query-addr's [env DYN_REGISTRY_CLIENT_REGISTER_ADDR]")
      ->capture_default_str();
  app.add_option("--timeout-ms", a.timeout_ms,
                 "Request deadline in ms [env DYN_REGISTRY_CLIENT_REQUEST_TIMEOUT_MS]")
      ->default_val(s.client.request_timeout.count())
      ->check(CLI::Range(uint64_t{1}, uint64_t{86'400'000}));
  app.add_option("--client-id", a.client_id,
                 "Lease owner: a u64 (decimal or 0x-hex) or any text (hashed); default random "
                 "[env DYN_REGISTRY_CLIENT_ID]. Reuse it to act on leases taken earlier");
  app.add_option("--protocol", a.protocol,
                 "Protocol version: 2 (blockhub) or 1 (Dynamo hub; no register ack, no "
                 "renew/release/hello/stats) [env DYN_REGISTRY_CLIENT_PROTOCOL]")
      ->default_val(s.client.protocol == ProtocolVersion::kV1 ? 1 : 2)
      ->check(CLI::IsMember({1, 2}));
  app.add_option("--key-format", a.key_format,
                 "How keys are written and printed: bytes|u64|key128|composite|positional "
                 "(match the hub's --key-format)")
      ->capture_default_str()
      ->check(CLI::IsMember({"bytes", "u64", "key128", "composite", "positional"}));
  app.add_flag("--json", s.json, "Print one JSON object on stdout instead of text");
  app.add_option("--curve-server-key", a.curve_server_key,
                 "CurveZMQ: the hub's public key (Z85, its PREFIX.pub); needs "
                 "--curve-secret-key-file [env DYN_REGISTRY_CLIENT_CURVE_SERVER_KEY]");
  app.add_option(
      "--curve-secret-key-file", a.curve_secret_key_file,
      "CurveZMQ: this client's secret key file (a PREFIX.key of 'blockhub keygen'; "
      "the public key is derived from it) [env DYN_REGISTRY_CLIENT_CURVE_SECRET_KEY_FILE]");
}

CLI::App* AddKeysCommand(CLI::App& app, const char* name, const char* help, Args& a) {
  CLI::App* sub = app.add_subcommand(name, help);
  sub->add_option("KEY", a.keys, kKeyHelp)->required();
  return sub;
}

// The CurveZMQ flags over their variables; both keys or neither.
Status ApplyCurve(CommonSettings& s, const Args& a) {
  if (!a.curve_server_key.empty()) {
    if (Status st = ValidateCurveKey(a.curve_server_key, "--curve-server-key"); !st.ok()) return st;
    s.client.curve_server_key = a.curve_server_key;
  }
  if (!a.curve_secret_key_file.empty()) {
    auto secret = ReadCurveKeyFile(a.curve_secret_key_file, "--curve-secret-key-file");
    if (!secret) return secret.error();
    s.client.curve_secret_key = std::move(*secret);
  }
  if (s.client.curve_server_key.empty() != s.client.curve_secret_key.empty()) {
    return InvalidArgumentError(
        "CurveZMQ needs both --curve-server-key and --curve-secret-key-file (or their variables)");
  }
  return Status::Ok();
}

// Applies the flags that need conversion onto the settings; a failure is a usage error.
Status Finish(CommonSettings& s, const Args& a, const CLI::App& app) {
  // Name where each list came from: the flag when given, else the variable.
  const char* query_name =
      app.count("--query-addr") > 0 ? "--query-addr" : "DYN_REGISTRY_CLIENT_QUERY_ADDR";
  const char* register_name =
      app.count("--register-addr") > 0 ? "--register-addr" : "DYN_REGISTRY_CLIENT_REGISTER_ADDR";
  if (auto hubs =
          ParseHubList(s.client.query_addr, s.client.register_addr, query_name, register_name);
      !hubs) {
    return hubs.error();
  }
  s.client.request_timeout = std::chrono::milliseconds(a.timeout_ms);
  s.client.protocol = a.protocol == 1 ? ProtocolVersion::kV1 : ProtocolVersion::kV2;
  if (!a.client_id.empty()) {
    auto id = ParseClientId(a.client_id);
    if (!id) return InvalidArgumentError(fmt::format("--client-id: {}", id.error().message()));
    s.client.client_id = *id;
  }
  if (Status st = ApplyCurve(s, a); !st.ok()) return st;
  auto f = ParseKeyFormat(a.key_format);
  if (!f) return InvalidArgumentError(fmt::format("--key-format: {}", f.error().message()));
  s.key_format = *f;
  return s.client.Validate();
}

// The settings `watch` needs: the endpoint (flag, else variable), the key format, the filters.
Result<WatchOptions> FinishWatch(CommonSettings& s, const Args& a, const CLI::App& app,
                                 const CLI::App& watch) {
  auto f = ParseKeyFormat(a.key_format);
  if (!f) return InvalidArgumentError(fmt::format("--key-format: {}", f.error().message()));
  s.key_format = *f;
  // The events socket speaks CurveZMQ when the hub's other sockets do: the same keys.
  if (Status st = ApplyCurve(s, a); !st.ok()) return st;
  WatchOptions w;
  w.events_addr = watch.count("--events-addr") > 0 ? a.events_addr : s.client.events_addr;
  if (w.events_addr.empty()) {
    return InvalidArgumentError(fmt::format(
        "watch needs the hub's events endpoint: --events-addr EP or {} (the hub publishes on "
        "its --events-addr; its ready line shows events=EP)",
        kEventsAddrEnv));
  }
  if (watch.count("--type") > 0) {
    auto kinds = ParseEventTypes(a.watch_types);
    if (!kinds) return kinds.error();
    w.filter.kinds = *kinds;
  }
  if (watch.count("--prefix") > 0) {
    auto prefix = ParseKeyPrefix(a.watch_prefix);
    if (!prefix) return prefix.error();
    w.filter.key_prefix = std::move(*prefix);
  }
  if (watch.count("--count") > 0) w.count = a.watch_count;
  // --timeout-ms after `watch` is its own; before it, the common option's value is taken (the
  // request-deadline variable never applies to watch).
  if (watch.count("--timeout-ms") > 0) {
    w.timeout_ms = a.watch_timeout_ms;
  } else if (app.count("--timeout-ms") > 0) {
    w.timeout_ms = a.timeout_ms;
  }
  return w;
}

int Main(int argc, char** argv) {
  CommonSettings s;
  auto env = ClientOptions::FromEnv();
  if (!env) {
    std::fprintf(stderr, "blockhub: %s\n", env.error().ToString().c_str());
    return kExitUsage;
  }
  s.client = std::move(*env);
  Args a;
  CLI::App app{
      "blockhub: talk to a blockhub hub (block catalog + leases) over ZeroMQ.\n"
      "Exit codes: 0 ok, 1 hub or transport error (decode: not a valid frame), 2 usage error.",
      "blockhub"};
  app.set_version_flag("--version", std::string("blockhub ") + kVersionString);
  app.require_subcommand(1);
  app.fallthrough();  // the common options may also follow the subcommand
  AddCommonOptions(app, s, a);

  auto* can_offload = AddKeysCommand(
      app, "can-offload", "Ask for upload leases: per key granted / already_stored / leased", a);
  auto* register_cmd = app.add_subcommand(
      "register",
      "Register uploaded blocks. Protocol 2: acknowledged (RegisterSync), prints per-entry "
      "stored / already_stored / rejected. Protocol 1: fire-and-forget, then flushed");
  register_cmd
      ->add_option("ENTRY", a.entries,
                   "KEY=VALUE[=METADATA]; VALUE and METADATA are hex bytes or u64:N (8 bytes LE); "
                   "KEY as for the other commands")
      ->required();
  auto* match = AddKeysCommand(app, "match", "Look keys up: stored entries in request order", a);
  match->add_flag(
      "--prefix", a.prefix,
      "Only the leading run of stored keys (stop at the first miss); emulated in protocol 1");
  auto* remove =
      AddKeysCommand(app, "remove", "Delete stored keys; prints how many were stored", a);
  auto* touch =
      AddKeysCommand(app, "touch", "Mark keys recently used; prints how many are stored", a);
  auto* renew = AddKeysCommand(app, "renew",
                               "Extend this client's leases (needs the same --client-id): renewed "
                               "/ not_held / already_stored",
                               a);
  auto* release = AddKeysCommand(
      app, "release",
      "Give this client's leases back (needs the same --client-id); prints how many", a);
  auto* hello =
      app.add_subcommand("hello", "Show the hub's version and configuration (protocol 2)");
  hello->add_option("--name", a.hello_name,
                    "Client name sent to the hub (default: the namespace, "
                    "env DYN_REGISTRY_CLIENT_NAMESPACE)");
  hello->add_option("--metadata", a.hello_metadata, "Opaque client metadata text sent to the hub");
  auto* stats = app.add_subcommand("stats", "Print the hub's counters (protocol 2)");
  auto* decode = app.add_subcommand(
      "decode",
      "Decode a frame of either protocol version (no hub needed). The hex may contain spaces. "
      "Rule: decoded as a bare message first; if that fails, the first 4 bytes are taken as a "
      "request id (a query/reply frame). Values and metadata are shown in Dynamo's layouts");
  decode->add_option("HEX", a.hex, "The frame as hex bytes")->required();
  auto* keygen = app.add_subcommand(
      "keygen",
      "Write a CurveZMQ key pair (no hub needed): PREFIX.key (secret, Z85, mode 0600) and "
      "PREFIX.pub (public, Z85); print the public key");
  keygen->add_option("--out", a.key_prefix, "File prefix")->capture_default_str();
  auto* watch = app.add_subcommand(
      "watch",
      "Follow the hub's catalog changes (--events-addr): a line per stored / removed / evicted "
      "event, gap and epoch lines; --type, --prefix, --count; see `blockhub watch --help`");
  watch->add_option("--events-addr", a.events_addr,
                    "The hub's events endpoint to connect to (the events= of its ready line) "
                    "[env DYN_REGISTRY_CLIENT_EVENTS_ADDR]");
  watch->add_option("--type", a.watch_types,
                    "Print only these event types: a comma list of stored, removed, evicted "
                    "(default all; gap and epoch lines are always printed)");
  watch->add_option("--prefix", a.watch_prefix,
                    "Print only keys starting with these bytes, as hex (the key_hex of --json, "
                    "e.g. 0a0b)");
  watch->add_option("--count", a.watch_count, "Exit 0 after printing N events")
      ->check(CLI::Range(uint64_t{1}, UINT64_MAX));
  watch
      ->add_option("--timeout-ms", a.watch_timeout_ms,
                   "Stop after MS milliseconds: exit 0, or 1 if --count events were not "
                   "printed by then (default: run until SIGINT/SIGTERM)")
      ->check(CLI::Range(uint64_t{1}, uint64_t{86'400'000}));

  auto* members = app.add_subcommand(
      "members", "List the live workers (protocol 2), optionally filtered by their metadata");
  members->add_option("--filter", a.member_filter,
                      "k=v,k: members with metadata key k equal to v; k alone: members that have "
                      "k (all terms must hold; default: every member)");
  auto* multicast = app.add_subcommand(
      "multicast",
      "Send PAYLOAD (its UTF-8 bytes) to every live worker matching --filter (over the hub's "
      "events socket); prints how many matched");
  multicast->add_option("--filter", a.member_filter,
                        "k=v,k as for members (default: every member)");
  multicast->add_option("PAYLOAD", a.payload, "The message text")->required();
  auto* listen = app.add_subcommand(
      "listen",
      "Announce this client as a worker and print every multicast to it, one line each (text "
      "when UTF-8, else hex), until SIGINT/SIGTERM; withdraws on exit");
  listen->add_option("--events-addr", a.listen_events_addr,
                     "The hub's events endpoint (the events= of its ready line) "
                     "[env DYN_REGISTRY_CLIENT_EVENTS_ADDR]");
  listen->add_option("--metadata", a.listen_metadata,
                     "This worker's metadata k=v,k=v [env DYN_REGISTRY_CLIENT_MEMBER_METADATA]");
  listen->add_option("--count", a.listen_count, "Exit 0 after printing N multicasts")
      ->check(CLI::Range(uint64_t{1}, UINT64_MAX));
  listen
      ->add_option("--listen-timeout-ms", a.listen_timeout_ms,
                   "Stop after MS milliseconds (exit 1 if --count multicasts did not arrive)")
      ->check(CLI::Range(uint64_t{1}, uint64_t{86'400'000}));
  listen->footer(
      "The membership TTL is DYN_REGISTRY_CLIENT_MEMBER_TTL_MS (default here 10000), renewed at "
      "half of it; --client-id names the worker. Once announced and subscribed, `listening "
      "member=<id> events=<ep>` goes to stderr.");

  for (CLI::App* sub : app.get_subcommands([](CLI::App*) { return true; })) {
    sub->footer(
        "Common options (--query-addr, --register-addr, --timeout-ms, --client-id, "
        "--protocol, --key-format, --json) go before or after the subcommand; see "
        "`blockhub --help`.");
  }
  watch->footer(std::string(kWatchHelp) + "\n\n" + watch->get_footer());
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? kExitOk : kExitUsage;
  }
  if (*keygen) return RunKeygen(s, a.key_prefix);
  if (*watch) {
    auto w = FinishWatch(s, a, app, *watch);
    if (!w) return ReportError(s, w.error(), kExitUsage);
    return RunWatch(s, *w);
  }
  if (Status st = Finish(s, a, app); !st.ok()) return ReportError(s, st, kExitUsage);
  (void)SetupLogging("warn");

  if (*can_offload) return RunKeyCommand(s, KeyCommand::kCanOffload, a.keys, false);
  if (*match) return RunKeyCommand(s, KeyCommand::kMatch, a.keys, a.prefix);
  if (*remove) return RunKeyCommand(s, KeyCommand::kRemove, a.keys, false);
  if (*touch) return RunKeyCommand(s, KeyCommand::kTouch, a.keys, false);
  if (*renew) return RunKeyCommand(s, KeyCommand::kRenew, a.keys, false);
  if (*release) return RunKeyCommand(s, KeyCommand::kRelease, a.keys, false);
  if (*register_cmd) return RunRegister(s, a.entries);
  if (*hello) return RunHello(s, a.hello_name, a.hello_metadata);
  if (*stats) return RunStats(s);
  if (*decode) return RunDecode(s, a.hex);
  if (*members) return RunMembers(s, a.member_filter);
  if (*multicast) return RunMulticast(s, a.member_filter, a.payload);
  if (*listen) {
    ListenOptions l;
    l.events_addr = listen->count("--events-addr") > 0 ? a.listen_events_addr
                                                        : s.client.events_addr;
    l.metadata_given = listen->count("--metadata") > 0;
    l.metadata_text = a.listen_metadata;
    l.count = a.listen_count;
    l.timeout_ms = a.listen_timeout_ms;
    return RunListen(s, l);
  }
  return kExitUsage;
}

}  // namespace
}  // namespace blockhub::cli

int main(int argc, char** argv) { return blockhub::cli::Main(argc, argv); }
