// Client's public operations: build and encode the request on the caller's thread, hand it to the
// I/O thread (client_impl.cpp), decode the reply into owned results on completion.
#include "client/client.h"

#include <fmt/format.h>

#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <type_traits>
#include <utility>

#include "client/client_impl.h"
#include "codec/codec.h"
#include "security/curve_keys.h"

namespace blockhub {
namespace {

// Responses are checked structurally (counts vs bytes left); sizes up to what lp16/u32 allow.
DecodeLimits ResponseLimits() {
  DecodeLimits l;
  l.max_batch_keys = UINT32_MAX;
  l.max_key_bytes = 0xffff;
  l.max_value_bytes = 0xffff;
  l.max_metadata_bytes = 0xffff;
  return l;
}

Status ErrorStatus(const Message& msg, const ErrorResponse& err) {
  if (msg.version == ProtocolVersion::kV2 && IsWireCode(err.code)) {
    return Status(err.code, fmt::format("hub: {}", err.message));
  }
  return Status(StatusCode::kRemoteError, fmt::format("hub: {}", err.message));
}

Status UnexpectedReply(const Message& msg, std::string_view wanted) {
  return MalformedError(
      fmt::format("expected a {}, the hub sent a {}", wanted, MessageTypeName(TypeOf(msg.body))));
}

template <typename T>
std::future<Result<T>> Ready(Status error) {
  std::promise<Result<T>> p;
  p.set_value(std::move(error));
  return p.get_future();
}

Status NeedsV2(const ClientOptions& o, std::string_view op) {
  if (o.protocol == ProtocolVersion::kV2) return Status::Ok();
  return InvalidArgumentError(std::string(op) +
                              " needs protocol 2; this client speaks protocol 1 (Dynamo hub)");
}

KeyList Views(Client::Keys keys) { return KeyList(keys.begin(), keys.end()); }

// Encodes `body`, submits it, converts the reply with `convert(const Message&) -> Result<T>`
// (the Message's body is known not to be an ErrorResponse) and hands the result to `done` on the
// I/O thread, exactly once.
template <typename T, typename Body, typename Convert, typename Done>
void SubmitThen(Client::Impl& impl, Body body, Convert convert, Done done) {
  const ClientOptions& o = impl.options();
  Message msg{o.protocol, o.client_id, 0, std::move(body)};
  std::string encoded;
  if (Status s = Encode(msg, encoded); !s.ok()) {
    done(Result<T>(std::move(s)));
    return;
  }
  impl.Submit(std::move(encoded), [convert = std::move(convert),
                                   done = std::move(done)](Result<std::string> reply) mutable {
    if (!reply) {
      done(Result<T>(reply.error()));
      return;
    }
    Result<Message> decoded = DecodeResponse(*reply, ResponseLimits());
    if (!decoded) {
      done(Result<T>(
          MalformedError(fmt::format("undecodable reply: {}", decoded.error().ToString()))));
    } else if (const auto* err = std::get_if<ErrorResponse>(&decoded->body)) {
      done(Result<T>(ErrorStatus(*decoded, *err)));
    } else {
      done(convert(*decoded));
    }
  });
}

// SubmitThen with a future for the result.
template <typename T, typename Body, typename Convert>
std::future<Result<T>> Submit(Client::Impl& impl, Body body, Convert convert) {
  auto promise = std::make_shared<std::promise<Result<T>>>();
  auto future = promise->get_future();
  SubmitThen<T>(impl, std::move(body), std::move(convert),
                [promise](Result<T> r) { promise->set_value(std::move(r)); });
  return future;
}

// For the replies that are a single counter (Remove, Touch, Release).
template <typename Resp>
auto CountOf(std::string_view name) {
  return [name](const Message& m) -> Result<uint64_t> {
    const auto* r = std::get_if<Resp>(&m.body);
    if (r == nullptr) return UnexpectedReply(m, name);
    if constexpr (std::is_same_v<Resp, RemoveResponse>) return r->removed;
    if constexpr (std::is_same_v<Resp, TouchResponse>) return r->touched;
    if constexpr (std::is_same_v<Resp, ReleaseResponse>) return r->released;
  };
}

Status CountMismatch(size_t got, size_t want) {
  return MalformedError(fmt::format("the hub answered {} statuses for {} requested", got, want));
}

// Runs a completion answered without the hub (the local cache) on this thread, at once. A
// completion that submits again and is answered locally again would recurse once per request:
// completions started while one runs on this thread are queued and run by the outermost call, in
// order, so the stack stays flat however long the chain.
void DeliverLocally(std::function<void()> completion) {
  thread_local bool running = false;
  thread_local std::deque<std::function<void()>> queued;
  if (running) {
    queued.push_back(std::move(completion));
    return;
  }
  running = true;
  completion();
  while (!queued.empty()) {
    std::function<void()> next = std::move(queued.front());
    queued.pop_front();
    next();
  }
  running = false;
}

}  // namespace

Result<std::unique_ptr<Client>> Client::Connect(ClientOptions options) {
  if (options.client_id == 0) options.client_id = RandomClientId();
  if (Status s = options.Validate(); !s.ok()) return s;
  auto hubs = options.hubs();
  if (!hubs) return hubs.error();
  ZmqTransportConfig config;
  config.hubs = std::move(*hubs);
  config.routing_id = RoutingIdFor(options.client_id);
  config.hwm = options.hwm;
  if (!options.curve_secret_key.empty()) {
    auto public_key = CurvePublicFromSecret(options.curve_secret_key);
    if (!public_key) return public_key.error();
    config.curve_server_key = options.curve_server_key;
    config.curve_public_key = std::move(*public_key);
    config.curve_secret_key = options.curve_secret_key;
  }
  // Events serve the local cache and the delivery of multicasts to this member.
  if (options.local_cache_entries > 0 || options.member_ttl.count() > 0 || options.on_multicast) {
    config.events_addr = options.events_addr;
  }
  auto transport = MakeZmqTransport(config);
  if (!transport) return transport.error();
  return ConnectWith(std::move(options), std::move(*transport));
}

Result<std::unique_ptr<Client>> Client::ConnectWith(ClientOptions options,
                                                    std::unique_ptr<Transport> transport) {
  if (options.client_id == 0) options.client_id = RandomClientId();
  if (Status s = options.Validate(); !s.ok()) return s;
  if (!transport) return InvalidArgumentError("no transport");
  auto impl = std::make_unique<Impl>(std::move(options), std::move(transport));
  impl->Start();
  return std::unique_ptr<Client>(new Client(std::move(impl)));  // private constructor
}

Client::Client(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Client::~Client() = default;  // Impl's destructor closes

Status Client::Close() { return impl_->Close(); }
Status Client::Register(std::vector<BlockEntry> entries) {
  return impl_->Register(std::move(entries));
}
Status Client::Flush() { return impl_->Flush(); }
uint64_t Client::client_id() const { return impl_->options().client_id; }
ProtocolVersion Client::protocol() const { return impl_->options().protocol; }
uint64_t Client::epoch_changes() const { return impl_->epoch_changes(); }
ClientCounters Client::counters() const { return impl_->counters(); }

std::future<Result<CanOffloadResult>> Client::CanOffloadAsync(Keys keys) {
  auto promise = std::make_shared<std::promise<Result<CanOffloadResult>>>();
  auto future = promise->get_future();
  CanOffloadStatusesThen(keys,
                         [promise, owned = std::vector<std::string>(keys.begin(), keys.end())](
                             Result<CanOffloadStatuses> r) {
                           if (!r) return promise->set_value(r.error());
                           CanOffloadResult out;
                           out.lease_ttl_ms = r->lease_ttl_ms;
                           for (size_t i = 0; i < owned.size(); ++i) {
                             switch (r->statuses[i]) {
                               case OffloadStatus::kGranted:
                                 out.granted.push_back(owned[i]);
                                 break;
                               case OffloadStatus::kAlreadyStored:
                                 out.already_stored.push_back(owned[i]);
                                 break;
                               case OffloadStatus::kLeased:
                                 out.leased.push_back(owned[i]);
                                 break;
                             }
                           }
                           out.statuses = std::move(r->statuses);
                           promise->set_value(std::move(out));
                         });
  return future;
}

void Client::CanOffloadStatusesThen(Keys keys,
                                    std::function<void(Result<CanOffloadStatuses>)> done) {
  LocalCache* cache = &impl_->cache();
  const size_t n = keys.size();
  // With the local cache: keys it knows stored are answered AlreadyStored, the rest are asked in
  // one request and the answers merged back in request order.
  std::vector<uint8_t> cached;     // per key, 1 = answered by the cache; empty = none was
  std::vector<std::string> asked;  // the keys sent, to learn AlreadyStored answers (cache on)
  KeyList ask;
  if (cache->enabled()) {
    cache->KnownStored(keys, cached);
    for (size_t i = 0; i < n; ++i) {
      if (!cached[i]) {
        ask.push_back(keys[i]);
        asked.emplace_back(keys[i]);
      }
    }
    if (ask.size() == n) cached.clear();
    if (ask.empty() && n > 0) {
      return DeliverLocally([done = std::move(done), n] {
        done(CanOffloadStatuses{std::vector<OffloadStatus>(n, OffloadStatus::kAlreadyStored), 0});
      });
    }
  } else {
    ask = Views(keys);
  }
  const size_t want = ask.size();
  const uint64_t since = cache->Generation();
  SubmitThen<CanOffloadStatuses>(
      *impl_, blockhub::CanOffload{std::move(ask)},
      [want, cache, since, cached = std::move(cached),
       asked = std::move(asked)](const Message& m) -> Result<CanOffloadStatuses> {
        const auto* r = std::get_if<CanOffloadResponse>(&m.body);
        if (r == nullptr) return UnexpectedReply(m, "CanOffloadResponse");
        if (r->statuses.size() != want) return CountMismatch(r->statuses.size(), want);
        for (size_t j = 0; j < asked.size(); ++j) {
          if (r->statuses[j] == OffloadStatus::kAlreadyStored) cache->LearnStored(asked[j], since);
        }
        if (cached.empty()) return CanOffloadStatuses{r->statuses, r->lease_ttl_ms};
        CanOffloadStatuses out{std::vector<OffloadStatus>(cached.size()), r->lease_ttl_ms};
        for (size_t i = 0, j = 0; i < cached.size(); ++i)
          out.statuses[i] = cached[i] ? OffloadStatus::kAlreadyStored : r->statuses[j++];
        return out;
      },
      std::move(done));
}

std::future<Result<std::vector<BlockEntry>>> Client::MatchAsync(Keys keys, MatchMode mode) {
  using R = std::vector<BlockEntry>;
  LocalCache* cache = &impl_->cache();
  if (cache->enabled() && mode == MatchMode::kAll) return CachedMatch(keys);
  // Protocol 1 has no mode: a leading-run Match is sent as mode 0 and cut at the first requested
  // key the reply skips (replies keep request order, so entry i must be key i).
  const bool emulate = mode == MatchMode::kLeadingRun && protocol() == ProtocolVersion::kV1;
  std::vector<std::string> owned;
  if (emulate) owned.assign(keys.begin(), keys.end());
  blockhub::Match body{emulate ? MatchMode::kAll : mode, Views(keys)};
  const uint64_t since = cache->Generation();
  return Submit<R>(
      *impl_, std::move(body),
      [emulate, cache, since, owned = std::move(owned)](const Message& m) -> Result<R> {
        const auto* r = std::get_if<MatchResponse>(&m.body);
        if (r == nullptr) return UnexpectedReply(m, "MatchResponse");
        R out;
        out.reserve(r->entries.size());
        for (size_t i = 0; i < r->entries.size(); ++i) {
          const Entry& e = r->entries[i];
          if (emulate && (i >= owned.size() || owned[i] != e.key)) break;
          out.push_back({std::string(e.key), std::string(e.value), std::string(e.metadata)});
          cache->LearnEntry(out.back(), since);
        }
        return out;
      });
}

// Match (every stored key) through the local cache: cached entries answer their keys, the rest are
// asked in one request; the result keeps request order (hits and stored asked keys, misses
// skipped), exactly as the hub would answer all of them.
std::future<Result<std::vector<BlockEntry>>> Client::CachedMatch(Keys keys) {
  using R = std::vector<BlockEntry>;
  LocalCache* cache = &impl_->cache();
  std::vector<std::optional<BlockEntry>> hits(keys.size());
  std::vector<std::string> asked;
  KeyList ask;
  const uint64_t since = cache->Generation();
  for (size_t i = 0; i < keys.size(); ++i) {
    hits[i] = cache->Entry(keys[i]);
    if (!hits[i]) {
      ask.push_back(keys[i]);
      asked.emplace_back(keys[i]);
    }
  }
  auto merge = [cache, since, hits = std::move(hits),
                asked = std::move(asked)](const std::vector<Entry>& got) -> Result<R> {
    R out;
    size_t next_asked = 0, next_got = 0;
    for (const auto& hit : hits) {
      if (hit) {
        out.push_back(*hit);
        continue;
      }
      const std::string& key = asked[next_asked++];
      if (next_got < got.size() && got[next_got].key == key) {
        const Entry& e = got[next_got++];
        out.push_back({key, std::string(e.value), std::string(e.metadata)});
        cache->LearnEntry(out.back(), since);
      }
    }
    if (next_got != got.size()) {
      return MalformedError(
          "the hub's Match reply holds keys that were not asked, or out of order");
    }
    return out;
  };
  if (ask.empty() && !keys.empty()) {
    std::promise<Result<R>> p;
    p.set_value(merge({}));
    return p.get_future();
  }
  return Submit<R>(*impl_, blockhub::Match{MatchMode::kAll, std::move(ask)},
                   [merge = std::move(merge)](const Message& m) -> Result<R> {
                     const auto* r = std::get_if<MatchResponse>(&m.body);
                     if (r == nullptr) return UnexpectedReply(m, "MatchResponse");
                     return merge(r->entries);
                   });
}

std::future<Result<uint64_t>> Client::RemoveAsync(Keys keys) {
  LocalCache* cache = &impl_->cache();
  if (!cache->enabled()) {
    return Submit<uint64_t>(*impl_, blockhub::Remove{Views(keys)},
                            CountOf<RemoveResponse>("RemoveResponse"));
  }
  // Forgotten before the request leaves and again once it is applied (a lookup in between may
  // have learnt a key again from a reply that was older than the Remove).
  std::vector<std::string> owned(keys.begin(), keys.end());
  for (const auto& k : owned) cache->Invalidate(k);
  return Submit<uint64_t>(*impl_, blockhub::Remove{Views(keys)},
                          [cache, owned = std::move(owned)](const Message& m) -> Result<uint64_t> {
                            for (const auto& k : owned) cache->Invalidate(k);
                            return CountOf<RemoveResponse>("RemoveResponse")(m);
                          });
}

std::future<Result<uint64_t>> Client::TouchAsync(Keys keys) {
  return Submit<uint64_t>(*impl_, blockhub::Touch{Views(keys)},
                          CountOf<TouchResponse>("TouchResponse"));
}

std::future<Result<uint64_t>> Client::ReleaseAsync(Keys keys) {
  if (Status s = NeedsV2(impl_->options(), "Release"); !s.ok()) return Ready<uint64_t>(s);
  return Submit<uint64_t>(*impl_, blockhub::Release{Views(keys)},
                          CountOf<ReleaseResponse>("ReleaseResponse"));
}

std::future<Result<std::vector<RegisterStatus>>> Client::RegisterSyncAsync(
    std::span<const BlockEntry> entries) {
  using R = std::vector<RegisterStatus>;
  if (Status s = NeedsV2(impl_->options(), "RegisterSync"); !s.ok()) return Ready<R>(s);
  blockhub::RegisterSync body;
  for (const auto& e : entries) body.entries.push_back({e.key, e.value, e.metadata});
  const size_t want = entries.size();
  LocalCache* cache = &impl_->cache();
  // Acknowledged registrations are known stored: ours when Stored, someone's when AlreadyStored.
  std::vector<BlockEntry> learn;
  if (cache->enabled()) learn.assign(entries.begin(), entries.end());
  const uint64_t since = cache->Generation();
  return Submit<R>(*impl_, std::move(body),
                   [want, cache, since, learn = std::move(learn)](const Message& m) -> Result<R> {
                     const auto* r = std::get_if<RegisterSyncResponse>(&m.body);
                     if (r == nullptr) return UnexpectedReply(m, "RegisterSyncResponse");
                     if (r->statuses.size() != want) return CountMismatch(r->statuses.size(), want);
                     for (size_t i = 0; i < learn.size(); ++i) {
                       if (r->statuses[i] == RegisterStatus::kStored)
                         cache->LearnEntry(learn[i], since);
                       if (r->statuses[i] == RegisterStatus::kAlreadyStored)
                         cache->LearnStored(learn[i].key, since);
                     }
                     return r->statuses;
                   });
}

std::future<Result<std::vector<RenewStatus>>> Client::RenewAsync(Keys keys) {
  using R = std::vector<RenewStatus>;
  if (Status s = NeedsV2(impl_->options(), "Renew"); !s.ok()) return Ready<R>(s);
  const size_t want = keys.size();
  return Submit<R>(*impl_, blockhub::Renew{Views(keys)}, [want](const Message& m) -> Result<R> {
    const auto* r = std::get_if<RenewResponse>(&m.body);
    if (r == nullptr) return UnexpectedReply(m, "RenewResponse");
    if (r->statuses.size() != want) return CountMismatch(r->statuses.size(), want);
    return r->statuses;
  });
}

std::future<Result<HelloResult>> Client::HelloAsync(std::string_view client_name,
                                                    std::string_view client_metadata) {
  if (Status s = NeedsV2(impl_->options(), "Hello"); !s.ok()) return Ready<HelloResult>(s);
  if (client_name.empty()) client_name = impl_->options().ns;
  return Submit<HelloResult>(*impl_, blockhub::Hello{client_name, client_metadata},
                             [](const Message& m) -> Result<HelloResult> {
                               const auto* r = std::get_if<HelloResponse>(&m.body);
                               if (r == nullptr) return UnexpectedReply(m, "HelloResponse");
                               return HelloResult{r->lease_ttl_ms, r->key_format, r->max_batch_keys,
                                                  r->capacity, r->hub_version};
                             });
}

namespace {

MemberFilter FilterViews(const MemberFilterTerms& terms) {
  MemberFilter out;
  out.reserve(terms.size());
  for (const auto& t : terms) {
    FilterTerm f{t.key, std::nullopt};
    if (t.value) f.value = std::string_view(*t.value);
    out.push_back(f);
  }
  return out;
}

}  // namespace

std::future<Result<AnnounceResult>> Client::AnnounceAsync(std::string_view name,
                                                          const MemberMetadataPairs& metadata,
                                                          std::chrono::milliseconds ttl) {
  if (Status s = NeedsV2(impl_->options(), "Announce"); !s.ok()) return Ready<AnnounceResult>(s);
  if (ttl.count() < 0 || ttl.count() > UINT32_MAX) {
    return Ready<AnnounceResult>(InvalidArgumentError("member TTL out of range"));
  }
  if (name.empty()) name = impl_->options().ns;
  blockhub::Announce body{name, static_cast<uint32_t>(ttl.count()), {}};
  for (const auto& [k, v] : metadata) body.metadata.push_back({k, v});
  Impl* impl = impl_.get();
  return Submit<AnnounceResult>(*impl_, std::move(body),
                                [impl](const Message& m) -> Result<AnnounceResult> {
                                  const auto* r = std::get_if<AnnounceResponse>(&m.body);
                                  if (r == nullptr) return UnexpectedReply(m, "AnnounceResponse");
                                  impl->OnAnnounced(r->ttl_ms == 0 ? 0 : r->member_id);
                                  return AnnounceResult{r->member_id, r->ttl_ms, r->existed};
                                });
}

std::future<Result<MembersResult>> Client::EnumerateAsync(const MemberFilterTerms& filter) {
  if (Status s = NeedsV2(impl_->options(), "Enumerate"); !s.ok()) return Ready<MembersResult>(s);
  return Submit<MembersResult>(
      *impl_, blockhub::Enumerate{FilterViews(filter)}, [](const Message& m) -> Result<MembersResult> {
        const auto* r = std::get_if<EnumerateResponse>(&m.body);
        if (r == nullptr) return UnexpectedReply(m, "EnumerateResponse");
        MembersResult out;
        out.now_ms = r->now_ms;
        for (const MemberInfo& i : r->members) {
          MemberRecord rec{i.member_id, i.client_id, std::string(i.name), {},
                           i.announced_at_ms, i.last_heard_ms, i.ttl_ms};
          for (const auto& p : i.metadata) rec.metadata.emplace_back(p.key, p.value);
          out.members.push_back(std::move(rec));
        }
        return out;
      });
}

std::future<Result<uint64_t>> Client::MulticastAsync(const MemberFilterTerms& filter,
                                                     std::string_view payload) {
  if (Status s = NeedsV2(impl_->options(), "Multicast"); !s.ok()) return Ready<uint64_t>(s);
  return Submit<uint64_t>(*impl_, blockhub::Multicast{FilterViews(filter), payload},
                          [](const Message& m) -> Result<uint64_t> {
                            const auto* r = std::get_if<MulticastResponse>(&m.body);
                            if (r == nullptr) return UnexpectedReply(m, "MulticastResponse");
                            return r->matched;
                          });
}

std::future<Result<StatsResult>> Client::StatsAsync() {
  if (Status s = NeedsV2(impl_->options(), "Stats"); !s.ok()) return Ready<StatsResult>(s);
  return Submit<StatsResult>(*impl_, blockhub::Stats{},
                             [](const Message& m) -> Result<StatsResult> {
                               const auto* r = std::get_if<StatsResponse>(&m.body);
                               if (r == nullptr) return UnexpectedReply(m, "StatsResponse");
                               return r->counters;
                             });
}

}  // namespace blockhub
