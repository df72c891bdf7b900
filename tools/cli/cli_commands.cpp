#include "tools/cli/cli_commands.h"

#include <fmt/format.h>

#include <cstdio>
#include <iostream>

#include "codec/printers.h"
#include "common/bytes.h"
#include "tools/cli/cli_decode.h"

namespace blockhub::cli {
namespace {

namespace json = boost::json;

// Hub or transport failure: 1; anything the user got wrong: 2.
int ExitCodeFor(const Status& s) {
  return s.code() == StatusCode::kInvalidArgument ? kExitUsage : kExitHubError;
}

json::object EntryJson(const CommonSettings& s, const BlockEntry& e) {
  return {{"key", FormatKey(s.key_format, e.key)},  {"key_hex", ToHex(e.key)},
          {"value", RenderValue(e.value)},          {"value_hex", ToHex(e.value)},
          {"metadata", RenderMetadata(e.metadata)}, {"metadata_hex", ToHex(e.metadata)}};
}

int PrintCanOffload(const CommonSettings& s, const std::vector<std::string>& keys,
                    const CanOffloadResult& r) {
  if (s.json) {
    json::array statuses, granted, stored, leased;
    for (size_t i = 0; i < keys.size(); ++i) {
      statuses.push_back(json::object{{"key", FormatKey(s.key_format, keys[i])},
                                      {"status", OffloadStatusName(r.statuses[i])}});
    }
    for (const auto& k : r.granted) granted.push_back(json::string(FormatKey(s.key_format, k)));
    for (const auto& k : r.already_stored)
      stored.push_back(json::string(FormatKey(s.key_format, k)));
    for (const auto& k : r.leased) leased.push_back(json::string(FormatKey(s.key_format, k)));
    PrintJson(json::object{{"statuses", statuses},
                           {"granted", granted},
                           {"already_stored", stored},
                           {"leased", leased},
                           {"lease_ttl_ms", r.lease_ttl_ms}});
    return kExitOk;
  }
  for (size_t i = 0; i < keys.size(); ++i) {
    std::printf("%s  %s\n", FormatKey(s.key_format, keys[i]).c_str(),
                std::string(OffloadStatusName(r.statuses[i])).c_str());
  }
  std::printf("granted %zu, already stored %zu, leased %zu", r.granted.size(),
              r.already_stored.size(), r.leased.size());
  if (r.lease_ttl_ms != 0) std::printf(" (lease ttl %u ms)", r.lease_ttl_ms);
  std::printf("\n");
  return kExitOk;
}

int PrintEntries(const CommonSettings& s, const std::vector<BlockEntry>& entries) {
  if (s.json) {
    json::array arr;
    for (const auto& e : entries) arr.push_back(EntryJson(s, e));
    PrintJson(json::object{{"entries", arr}});
    return kExitOk;
  }
  for (const auto& e : entries) {
    std::printf("%s -> %s  metadata %s\n", FormatKey(s.key_format, e.key).c_str(),
                RenderValue(e.value).c_str(), RenderMetadata(e.metadata).c_str());
  }
  std::printf("%zu stored\n", entries.size());
  return kExitOk;
}

int PrintCount(const CommonSettings& s, const char* name, uint64_t n) {
  if (s.json) {
    PrintJson(json::object{{name, n}});
  } else {
    std::printf("%s %llu\n", name, static_cast<unsigned long long>(n));
  }
  return kExitOk;
}

template <typename StatusT, typename NameFn>
int PrintStatuses(const CommonSettings& s, const std::vector<std::string>& keys,
                  const std::vector<StatusT>& statuses, NameFn name) {
  if (s.json) {
    json::array arr;
    for (size_t i = 0; i < keys.size(); ++i) {
      arr.push_back(
          json::object{{"key", FormatKey(s.key_format, keys[i])}, {"status", name(statuses[i])}});
    }
    PrintJson(json::object{{"statuses", arr}});
    return kExitOk;
  }
  for (size_t i = 0; i < keys.size(); ++i) {
    std::printf("%s  %s\n", FormatKey(s.key_format, keys[i]).c_str(),
                std::string(name(statuses[i])).c_str());
  }
  return kExitOk;
}

std::string_view HubStateName(HubState st) { return st == HubState::kLive ? "live" : "dead"; }

json::object ClientCountersJson(const ClientCounters& c) {
  json::array hubs;
  for (const HubCounters& h : c.hubs) {
    hubs.push_back(json::object{{"query_addr", h.query_addr},
                                {"register_addr", h.register_addr},
                                {"state", HubStateName(h.state)},
                                {"current", h.current},
                                {"attempts", h.attempts},
                                {"replies", h.replies},
                                {"attempt_timeouts", h.attempt_timeouts},
                                {"disconnects", h.disconnects},
                                {"registrations_sent", h.registrations_sent}});
  }
  return {{"failovers", c.failovers}, {"retries", c.retries}, {"probes", c.probes}, {"hubs", hubs}};
}

// The local cache's counters (DYN_REGISTRY_CLIENT_LOCAL_CACHE), in the order of the text output.
std::vector<std::pair<std::string, uint64_t>> CacheCounters(const ClientCounters& c) {
  return {{"cache_hits", c.cache_hits},       {"cache_misses", c.cache_misses},
          {"cache_expired", c.cache_expired}, {"cache_invalidations", c.cache_invalidations},
          {"cache_clears", c.cache_clears},   {"cache_entries", c.cache_entries},
          {"events_batches", c.events_batches}, {"events_received", c.events_received},
          {"events_gaps", c.events_gaps},     {"events_lost", c.events_lost}};
}

void PrintClientCounters(const ClientCounters& c) {
  auto line = [](const std::string& name, uint64_t v) {
    std::printf("%-40s %llu\n", name.c_str(), static_cast<unsigned long long>(v));
  };
  line("client.failovers", c.failovers);
  line("client.retries", c.retries);
  line("client.probes", c.probes);
  for (size_t i = 0; i < c.hubs.size(); ++i) {
    const HubCounters& h = c.hubs[i];
    std::printf(
        "client.hub%zu %s %s%s attempts %llu replies %llu attempt_timeouts %llu disconnects %llu\n",
        i, h.query_addr.c_str(), std::string(HubStateName(h.state)).c_str(),
        h.current ? " (current)" : "", static_cast<unsigned long long>(h.attempts),
        static_cast<unsigned long long>(h.replies),
        static_cast<unsigned long long>(h.attempt_timeouts),
        static_cast<unsigned long long>(h.disconnects));
  }
}

Result<std::unique_ptr<Client>> Open(const CommonSettings& s) { return Client::Connect(s.client); }

// Closes the client; a failure to close (unsent registrations) turns success into exit 1.
int Finish(const CommonSettings& s, Client& client, int code) {
  Status closed = client.Close();
  if (!closed.ok() && code == kExitOk) return ReportError(s, closed, kExitHubError);
  return code;
}

}  // namespace

int RunKeyCommand(const CommonSettings& s, KeyCommand cmd,
                  const std::vector<std::string>& key_texts, bool prefix) {
  auto keys = ParseKeys(s.key_format, key_texts);
  if (!keys) return ReportError(s, keys.error(), kExitUsage);
  auto client = Open(s);
  if (!client) return ReportError(s, client.error(), ExitCodeFor(client.error()));
  Client& c = **client;
  int code = kExitOk;
  auto fail = [&](const Status& e) { return ReportError(s, e, ExitCodeFor(e)); };
  switch (cmd) {
    case KeyCommand::kCanOffload: {
      auto r = c.CanOffload(*keys);
      code = r ? PrintCanOffload(s, *keys, *r) : fail(r.error());
      break;
    }
    case KeyCommand::kMatch: {
      auto r = c.Match(*keys, prefix ? MatchMode::kLeadingRun : MatchMode::kAll);
      code = r ? PrintEntries(s, *r) : fail(r.error());
      break;
    }
    case KeyCommand::kRemove: {
      auto r = c.Remove(*keys);
      code = r ? PrintCount(s, "removed", *r) : fail(r.error());
      break;
    }
    case KeyCommand::kTouch: {
      auto r = c.Touch(*keys);
      code = r ? PrintCount(s, "touched", *r) : fail(r.error());
      break;
    }
    case KeyCommand::kRenew: {
      auto r = c.Renew(*keys);
      code = r ? PrintStatuses(s, *keys, *r, RenewStatusName) : fail(r.error());
      break;
    }
    case KeyCommand::kRelease: {
      auto r = c.Release(*keys);
      code = r ? PrintCount(s, "released", *r) : fail(r.error());
      break;
    }
  }
  return Finish(s, c, code);
}

int RunRegister(const CommonSettings& s, const std::vector<std::string>& entry_texts) {
  std::vector<BlockEntry> entries;
  std::vector<std::string> keys;
  for (const auto& t : entry_texts) {
    auto e = ParseEntryArg(s.key_format, t);
    if (!e) return ReportError(s, e.error(), kExitUsage);
    keys.push_back(e->key);
    entries.push_back(std::move(*e));
  }
  auto client = Open(s);
  if (!client) return ReportError(s, client.error(), ExitCodeFor(client.error()));
  Client& c = **client;
  if (s.client.protocol == ProtocolVersion::kV2) {
    auto r = c.RegisterSync(entries);
    int code = r ? PrintStatuses(s, keys, *r, RegisterStatusName)
                 : ReportError(s, r.error(), ExitCodeFor(r.error()));
    return Finish(s, c, code);
  }
  // Protocol 1 has no acknowledgement: send, flush, and report what was handed over.
  const size_t n = entries.size();
  Status st = c.Register(std::move(entries));
  if (st.ok()) st = c.Flush();
  if (!st.ok()) return Finish(s, c, ReportError(s, st, ExitCodeFor(st)));
  return Finish(s, c, PrintCount(s, "sent", n));
}

int RunHello(const CommonSettings& s, const std::string& name, const std::string& metadata) {
  auto client = Open(s);
  if (!client) return ReportError(s, client.error(), ExitCodeFor(client.error()));
  auto r = (*client)->Hello(name, metadata);
  if (!r) return Finish(s, **client, ReportError(s, r.error(), ExitCodeFor(r.error())));
  std::string format(KeyFormatName(static_cast<KeyFormat>(r->key_format)));
  if (s.json) {
    PrintJson(json::object{{"hub_version", r->hub_version},
                           {"key_format", format},
                           {"lease_ttl_ms", r->lease_ttl_ms},
                           {"max_batch_keys", r->max_batch_keys},
                           {"capacity", r->capacity},
                           {"client_id", (*client)->client_id()}});
  } else {
    std::printf("hub %s\nkey format %s\nlease ttl %u ms\nmax batch keys %u\ncapacity %llu\n",
                r->hub_version.c_str(), format.c_str(), r->lease_ttl_ms, r->max_batch_keys,
                static_cast<unsigned long long>(r->capacity));
  }
  return Finish(s, **client, kExitOk);
}

int RunStats(const CommonSettings& s) {
  auto client = Open(s);
  if (!client) return ReportError(s, client.error(), ExitCodeFor(client.error()));
  auto r = (*client)->Stats();
  if (!r) return Finish(s, **client, ReportError(s, r.error(), ExitCodeFor(r.error())));
  // The hub's counters, then (with a hub list) how this client saw its hubs.
  const ClientCounters cc = (*client)->counters();
  const bool hub_list = cc.hubs.size() > 1;
  const bool cache = s.client.local_cache_entries > 0;
  if (s.json) {
    json::object counters;
    for (const auto& [name, value] : *r) counters[name] = value;
    json::object doc{{"counters", counters}};
    if (hub_list || cache) {
      json::object client = hub_list ? ClientCountersJson(cc) : json::object{};
      if (cache) {
        for (const auto& [name, value] : CacheCounters(cc)) client[name] = value;
      }
      doc["client"] = client;
    }
    PrintJson(doc);
  } else {
    for (const auto& [name, value] : *r) {
      std::printf("%-40s %llu\n", name.c_str(), static_cast<unsigned long long>(value));
    }
    if (hub_list) PrintClientCounters(cc);
    if (cache) {
      for (const auto& [name, value] : CacheCounters(cc)) {
        std::printf("%-40s %llu\n", ("client." + name).c_str(),
                    static_cast<unsigned long long>(value));
      }
    }
  }
  return Finish(s, **client, kExitOk);
}

int RunDecode(const CommonSettings& s, const std::vector<std::string>& hex_parts) {
  std::string hex;
  for (const auto& part : hex_parts) {
    for (char ch : part) {
      if (ch != ' ' && ch != ':' && ch != '\n' && ch != '\t') hex.push_back(ch);
    }
  }
  if (hex.starts_with("0x")) hex.erase(0, 2);
  std::string bytes;
  if (!FromHex(hex, bytes))
    return ReportError(s, InvalidArgumentError(fmt::format("'{}' is not hex", hex)), kExitUsage);
  auto decoded = DecodeFrame(bytes);
  if (!decoded) return ReportError(s, decoded.error(), kExitHubError);
  const Message& m = decoded->message;
  std::string text = RenderMessage(m, s.key_format);
  if (s.json) {
    json::object o{{"version", static_cast<int>(m.version)},
                   {"type", MessageTypeName(TypeOf(m.body))},
                   {"type_code", static_cast<int>(TypeOf(m.body))},
                   {"rendered", text}};
    o["request_id"] =
        decoded->request_id ? json::value(*decoded->request_id) : json::value(nullptr);
    PrintJson(o);
  } else {
    if (decoded->request_id) std::printf("request id %u\n", *decoded->request_id);
    std::printf("%s\n", text.c_str());
  }
  return kExitOk;
}

}  // namespace blockhub::cli
