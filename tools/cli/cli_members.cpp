#include "tools/cli/cli_members.h"

#include <fmt/format.h>
#include <signal.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <mutex>
#include <optional>
#include <string>

#include "common/bytes.h"

namespace blockhub::cli {
namespace {

namespace json = boost::json;
using Clock = std::chrono::steady_clock;

// The default TTL of `listen` when DYN_REGISTRY_CLIENT_MEMBER_TTL_MS is not set.
constexpr std::chrono::milliseconds kListenTtl{10'000};

bool IsUtf8Text(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      if ((c < 0x20 && c != '\t') || c == 0x7f) return false;  // a line of its own: no controls
      ++i;
      continue;
    }
    size_t extra = 0;
    if (c >= 0xc2 && c <= 0xdf) {
      extra = 1;
    } else if (c >= 0xe0 && c <= 0xef) {
      extra = 2;
    } else if (c >= 0xf0 && c <= 0xf4) {
      extra = 3;
    } else {
      return false;  // a continuation byte first, an overlong lead (c0, c1), or above U+10FFFF
    }
    if (s.size() - i <= extra) return false;  // truncated
    for (size_t k = 1; k <= extra; ++k) {
      if ((static_cast<unsigned char>(s[i + k]) & 0xc0) != 0x80) return false;
    }
    i += extra + 1;
  }
  return true;
}

// The payload as its own line: the text when it is UTF-8 (without control characters), else hex.
std::string PayloadText(std::string_view payload) {
  return IsUtf8Text(payload) ? std::string(payload) : ToHex(payload);
}

json::object MetadataJson(const MemberMetadataPairs& md) {
  json::object o;
  for (const auto& [k, v] : md) o[k] = v;
  return o;
}

std::string MetadataText(const MemberMetadataPairs& md) {
  std::string out;
  for (const auto& [k, v] : md) {
    if (!out.empty()) out += ',';
    out += k + "=" + v;
  }
  return out.empty() ? "-" : out;
}

int Close(const CommonSettings& s, Client& client, int code) {
  Status closed = client.Close();
  if (!closed.ok() && code == kExitOk) return ReportError(s, closed, kExitHubError);
  return code;
}

}  // namespace

int RunMembers(const CommonSettings& s, const std::string& filter_text) {
  auto filter = ParseMemberFilter(filter_text);
  if (!filter) return ReportError(s, filter.error(), kExitUsage);
  auto client = Client::Connect(s.client);
  if (!client) return ReportError(s, client.error(), kExitUsage);
  auto r = (*client)->Enumerate(*filter);
  if (!r) return Close(s, **client, ReportError(s, r.error(), kExitHubError));
  if (s.json) {
    json::array members;
    for (const MemberRecord& m : r->members) {
      members.push_back(json::object{{"client_id", m.client_id},
                                     {"member_id", fmt::format("{:016x}", m.member_id)},
                                     {"name", m.name},
                                     {"metadata", MetadataJson(m.metadata)},
                                     {"announced_at_ms", m.announced_at_ms},
                                     {"last_heard_ms", m.last_heard_ms},
                                     {"ttl_ms", m.ttl_ms}});
    }
    PrintJson(json::object{{"members", members}, {"now_ms", r->now_ms}});
  } else {
    for (const MemberRecord& m : r->members) {
      const uint64_t age = r->now_ms > m.last_heard_ms ? r->now_ms - m.last_heard_ms : 0;
      std::printf("member %016llx client %llu name %s metadata %s heard %llu ms ago ttl %u ms\n",
                  static_cast<unsigned long long>(m.member_id),
                  static_cast<unsigned long long>(m.client_id), m.name.c_str(),
                  MetadataText(m.metadata).c_str(), static_cast<unsigned long long>(age),
                  m.ttl_ms);
    }
    std::printf("%zu members\n", r->members.size());
  }
  return Close(s, **client, kExitOk);
}

int RunMulticast(const CommonSettings& s, const std::string& filter_text,
                 const std::string& payload) {
  auto filter = ParseMemberFilter(filter_text);
  if (!filter) return ReportError(s, filter.error(), kExitUsage);
  auto client = Client::Connect(s.client);
  if (!client) return ReportError(s, client.error(), kExitUsage);
  auto r = (*client)->Multicast(*filter, payload);
  if (!r) return Close(s, **client, ReportError(s, r.error(), kExitHubError));
  if (s.json) {
    PrintJson(json::object{{"matched", *r}});
  } else {
    std::printf("matched %llu\n", static_cast<unsigned long long>(*r));
  }
  return Close(s, **client, kExitOk);
}

int RunListen(const CommonSettings& s, const ListenOptions& l) {
  ClientOptions o = s.client;
  o.events_addr = l.events_addr;
  if (o.events_addr.empty()) {
    return ReportError(s,
                       InvalidArgumentError("listen needs the hub's events endpoint: --events-addr "
                                            "EP or DYN_REGISTRY_CLIENT_EVENTS_ADDR"),
                       kExitUsage);
  }
  if (l.metadata_given) {
    auto md = ParseMemberMetadata(l.metadata_text);
    if (!md) return ReportError(s, Status(md.error().code(), "--metadata: " + md.error().message()),
                                kExitUsage);
    o.member_metadata = std::move(*md);
  }
  if (o.member_ttl.count() == 0) o.member_ttl = kListenTtl;
  std::mutex out_mu;
  std::atomic<uint64_t> printed{0};
  const bool as_json = s.json;
  o.on_multicast = [&](uint64_t sender, std::string_view payload) {
    std::lock_guard lock(out_mu);
    if (as_json) {
      PrintJson(json::object{{"sender", fmt::format("{:016x}", sender)},
                             {"payload", PayloadText(payload)},
                             {"payload_hex", ToHex(payload)}});
    } else {
      const std::string line = PayloadText(payload);
      std::fwrite(line.data(), 1, line.size(), stdout);
      std::fputc('\n', stdout);
    }
    std::fflush(stdout);
    printed.fetch_add(1);
  };
  // SIGINT/SIGTERM are taken by sigtimedwait below, in this thread only (blocked before the
  // client's threads start, so they inherit the mask).
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  if (Status st = o.Validate(); !st.ok()) return ReportError(s, st, kExitUsage);
  auto client = Client::Connect(o);
  if (!client) return ReportError(s, client.error(), kExitUsage);
  const auto start = Clock::now();
  const std::optional<Clock::time_point> deadline =
      l.timeout_ms > 0 ? std::optional(start + std::chrono::milliseconds(l.timeout_ms))
                       : std::nullopt;
  // Announced (the automatic Announce was answered) and the member topic's subscription is live
  // (a batch from the events socket arrived after it: the hub answers a subscription with one).
  bool told = false;
  int code = kExitOk;
  for (;;) {
    const ClientCounters c = (*client)->counters();
    if (!told && c.member_id != 0 && c.member_live) {
      told = true;
      std::fprintf(stderr, "listening member=%016llx events=%s\n",
                   static_cast<unsigned long long>(c.member_id), o.events_addr.c_str());
      std::fflush(stderr);
    }
    if (l.count > 0 && printed.load() >= l.count) break;
    if (deadline && Clock::now() >= *deadline) {
      if (l.count > 0) {
        code = ReportError(s,
                           TimeoutError(fmt::format("{} of {} multicasts in {} ms", printed.load(),
                                                    l.count, l.timeout_ms)),
                           kExitHubError);
      }
      break;
    }
    timespec wait{0, 50'000'000};
    if (sigtimedwait(&stop_signals, nullptr, &wait) > 0) break;  // SIGINT / SIGTERM
  }
  // Close withdraws the membership (bounded by the request timeout).
  return Close(s, **client, code);
}

}  // namespace blockhub::cli
