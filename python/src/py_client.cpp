#include "py_client.h"

#include <pybind11/stl.h>

#include <condition_variable>
#include <mutex>
#include <optional>
#include <utility>

#include "codec/key_format.h"
#include "errors.h"

namespace blockhub::python {
namespace {

template <typename T>
T Check(Result<T> r) {
  if (!r) throw StatusError(r.error());
  return std::move(*r);
}

void Check(const Status& s) {
  if (!s.ok()) throw StatusError(s);
}

std::vector<uint8_t> Bytes(const std::vector<OffloadStatus>& v) {
  std::vector<uint8_t> out(v.size());
  for (size_t i = 0; i < v.size(); ++i) out[i] = static_cast<uint8_t>(v[i]);
  return out;
}

// Match entries in the shape of the input: an entry's key is the input item it answers (the hub
// answers in request order, a subset of the requested keys).
py::list EntriesObject(const KeyInput& in, const std::vector<BlockEntry>& entries) {
  py::list out(entries.size());
  size_t next = 0;
  for (size_t j = 0; j < entries.size(); ++j) {
    const BlockEntry& e = entries[j];
    size_t i = next;
    while (i < in.keys.size() && in.keys[i] != e.key) ++i;
    py::object key;
    if (i < in.keys.size()) {
      key = KeyToObject(in, e.key, i);
      next = i + 1;
    } else {
      key = py::bytes(e.key);  // not among the requested keys (cannot happen with a sound hub)
    }
    out[j] = Types().entry(key, py::bytes(e.value), py::bytes(e.metadata));
  }
  return out;
}

py::list RegisterStatuses(const std::vector<RegisterStatus>& v) {
  py::list out(v.size());
  for (size_t i = 0; i < v.size(); ++i) out[i] = Types().register_status(static_cast<int>(v[i]));
  return out;
}

PyCanOffloadResult MakeOffload(KeyInput in, const std::vector<OffloadStatus>& statuses,
                               uint32_t lease_ttl_ms) {
  PyCanOffloadResult out;
  out.input = std::move(in);
  out.statuses = Bytes(statuses);
  out.lease_ttl_ms = lease_ttl_ms;
  return out;
}

PyCanOffloadResult MakeOffload(KeyInput in, CanOffloadResult&& r) {
  return MakeOffload(std::move(in), r.statuses, r.lease_ttl_ms);
}

// can_offload_many's window: the first `inflight` requests are sent by the caller's thread, and
// each answer (delivered on the client's I/O thread) sends the next batch from there, so a whole
// window runs without waking the caller; it sleeps once, until every sent request has completed.
// After a failure nothing more is sent.
class OffloadWindow {
 public:
  OffloadWindow(Client& client, const std::vector<KeyInput>& inputs, size_t inflight)
      : client_(client), inputs_(inputs), inflight_(inflight), results_(inputs.size()) {}

  std::vector<std::optional<Result<CanOffloadStatuses>>> Run() {
    for (;;) {
      size_t j = 0;
      {
        std::lock_guard lock(mu_);
        if (next_ == inputs_.size() || failed_ || submitted_ - completed_ >= inflight_) break;
        j = next_++;
        ++submitted_;
      }
      Send(j);
    }
    std::unique_lock lock(mu_);
    cv_.wait(lock,
             [&] { return completed_ == submitted_ && (next_ == inputs_.size() || failed_); });
    return std::move(results_);
  }

 private:
  void Send(size_t i) {
    client_.CanOffloadStatusesThen(
        inputs_[i].keys, [this, i](Result<CanOffloadStatuses> r) { Done(i, std::move(r)); });
  }

  // Touches `this` after unlocking only when it has sent another request, whose completion the
  // waiter in Run() still needs: the window outlives every callback.
  void Done(size_t i, Result<CanOffloadStatuses> r) {
    std::optional<size_t> again;
    {
      std::lock_guard lock(mu_);
      if (!r) failed_ = true;
      results_[i] = std::move(r);
      if (!failed_ && next_ < inputs_.size()) {
        again = next_++;
        ++submitted_;
      }
      ++completed_;
      if (completed_ == submitted_ && (next_ == inputs_.size() || failed_)) cv_.notify_all();
    }
    if (again) Send(*again);
  }

  Client& client_;
  const std::vector<KeyInput>& inputs_;
  const size_t inflight_;
  std::mutex mu_;
  std::condition_variable cv_;
  size_t next_ = 0, submitted_ = 0, completed_ = 0;
  bool failed_ = false;
  std::vector<std::optional<Result<CanOffloadStatuses>>> results_;
};

}  // namespace

ModuleTypes& Types() {
  static ModuleTypes types;
  return types;
}

PyClient::PyClient(ClientOptions options) {
  Result<std::unique_ptr<Client>> c = [&] {
    py::gil_scoped_release nogil;
    return Client::Connect(std::move(options));
  }();
  client_ = Check(std::move(c));
  bridge_ = std::make_unique<AsyncBridge>();
}

PyClient::~PyClient() {
  if (_Py_IsFinalizing()) {
    bridge_->Abandon();
    (void)bridge_.release();  // its waiter may still run: never free it under it
    py::gil_scoped_release nogil;
    (void)client_->Close();
    return;
  }
  py::gil_scoped_release nogil;
  (void)client_->Close();
  bridge_->Stop();
}

template <typename T>
void PyClient::AddPending(py::object loop, py::object future, std::future<Result<T>> f,
                          typename AsyncBridge::PendingOf<T>::Convert convert) {
  bridge_->Add(std::make_unique<AsyncBridge::PendingOf<T>>(std::move(loop), std::move(future),
                                                           std::move(f), std::move(convert)));
}

PyCanOffloadResult PyClient::CanOffload(py::handle keys) {
  KeyInput in = ConvertKeys(keys);
  Result<CanOffloadResult> r = [&] {
    py::gil_scoped_release nogil;
    return client_->CanOffload(in.keys);
  }();
  return MakeOffload(std::move(in), Check(std::move(r)));
}

py::object PyClient::CanOffloadAsync(py::handle keys) {
  if (closed_) throw StatusError(UnavailableError("the client is closed"));
  auto [loop, future] = NewLoopFuture("can_offload_async");
  auto in = std::make_shared<KeyInput>(ConvertKeys(keys));
  std::future<Result<CanOffloadResult>> f;
  {
    py::gil_scoped_release nogil;
    f = client_->CanOffloadAsync(in->keys);
  }
  AddPending<CanOffloadResult>(loop, future, std::move(f), [in](CanOffloadResult&& r) {
    return py::cast(MakeOffload(std::move(*in), std::move(r)));
  });
  return future;
}

py::list PyClient::CanOffloadMany(py::handle batches, size_t inflight) {
  if (closed_) throw StatusError(UnavailableError("the client is closed"));
  if (inflight == 0) throw StatusError(InvalidArgumentError("inflight must be at least 1"));
  std::vector<KeyInput> inputs;
  for (py::handle item : py::iter(batches)) inputs.push_back(ConvertKeys(item));
  std::vector<std::optional<Result<CanOffloadStatuses>>> results;
  {
    py::gil_scoped_release nogil;
    results = OffloadWindow(*client_, inputs, inflight).Run();
  }
  // The first failure in batch order is raised (later batches may not have been sent).
  for (auto& r : results) {
    if (r && !*r) throw StatusError(r->error());
  }
  py::list out(inputs.size());
  for (size_t i = 0; i < inputs.size(); ++i)
    out[i] = py::cast(
        MakeOffload(std::move(inputs[i]), (*results[i])->statuses, (*results[i])->lease_ttl_ms));
  return out;
}

py::list PyClient::Match(py::handle keys, bool prefix) {
  KeyInput in = ConvertKeys(keys);
  Result<std::vector<BlockEntry>> r = [&] {
    py::gil_scoped_release nogil;
    return client_->Match(in.keys, prefix ? MatchMode::kLeadingRun : MatchMode::kAll);
  }();
  return EntriesObject(in, Check(std::move(r)));
}

py::object PyClient::MatchAsync(py::handle keys, bool prefix) {
  if (closed_) throw StatusError(UnavailableError("the client is closed"));
  auto [loop, future] = NewLoopFuture("match_async");
  auto in = std::make_shared<KeyInput>(ConvertKeys(keys));
  std::future<Result<std::vector<BlockEntry>>> f;
  {
    py::gil_scoped_release nogil;
    f = client_->MatchAsync(in->keys, prefix ? MatchMode::kLeadingRun : MatchMode::kAll);
  }
  AddPending<std::vector<BlockEntry>>(
      loop, future, std::move(f),
      [in](std::vector<BlockEntry>&& r) -> py::object { return EntriesObject(*in, r); });
  return future;
}

#define BLOCKHUB_COUNT_CALL(Name, Method)    \
  uint64_t PyClient::Name(py::handle keys) { \
    KeyInput in = ConvertKeys(keys);         \
    Result<uint64_t> r = [&] {               \
      py::gil_scoped_release nogil;          \
      return client_->Method(in.keys);       \
    }();                                     \
    return Check(std::move(r));              \
  }
BLOCKHUB_COUNT_CALL(Remove, Remove)
BLOCKHUB_COUNT_CALL(Touch, Touch)
BLOCKHUB_COUNT_CALL(Release, Release)
#undef BLOCKHUB_COUNT_CALL

py::object PyClient::Renew(py::handle keys) {
  KeyInput in = ConvertKeys(keys);
  Result<std::vector<RenewStatus>> r = [&] {
    py::gil_scoped_release nogil;
    return client_->Renew(in.keys);
  }();
  std::vector<RenewStatus> v = Check(std::move(r));
  std::vector<uint8_t> bytes(v.size());
  for (size_t i = 0; i < v.size(); ++i) bytes[i] = static_cast<uint8_t>(v[i]);
  return StatusesObject(in, bytes, Types().renew_status);
}

py::list PyClient::RegisterSync(py::handle entries) {
  std::vector<BlockEntry> e = ConvertEntries(entries);
  Result<std::vector<RegisterStatus>> r = [&] {
    py::gil_scoped_release nogil;
    return client_->RegisterSync(e);
  }();
  return RegisterStatuses(Check(std::move(r)));
}

py::object PyClient::RegisterSyncAsync(py::handle entries) {
  if (closed_) throw StatusError(UnavailableError("the client is closed"));
  auto [loop, future] = NewLoopFuture("register_sync_async");
  std::vector<BlockEntry> e = ConvertEntries(entries);
  std::future<Result<std::vector<RegisterStatus>>> f;
  {
    py::gil_scoped_release nogil;
    f = client_->RegisterSyncAsync(e);
  }
  AddPending<std::vector<RegisterStatus>>(
      loop, future, std::move(f),
      [](std::vector<RegisterStatus>&& r) -> py::object { return RegisterStatuses(r); });
  return future;
}

void PyClient::Register(py::handle entries) {
  std::vector<BlockEntry> e = ConvertEntries(entries);
  py::gil_scoped_release nogil;
  Check(client_->Register(std::move(e)));
}

py::object PyClient::Hello(std::optional<std::string> name, std::optional<py::bytes> metadata) {
  std::string n = name.value_or("");
  std::string md = metadata ? std::string(*metadata) : std::string();
  Result<HelloResult> r = [&] {
    py::gil_scoped_release nogil;
    return client_->Hello(n, md);
  }();
  HelloResult h = Check(std::move(r));
  return Types().hello_info(h.lease_ttl_ms,
                            std::string(KeyFormatName(static_cast<KeyFormat>(h.key_format))),
                            h.max_batch_keys, h.capacity, h.hub_version);
}

py::dict PyClient::Stats() {
  Result<StatsResult> r = [&] {
    py::gil_scoped_release nogil;
    return client_->Stats();
  }();
  py::dict out;
  for (const auto& [name, value] : Check(std::move(r))) out[py::str(name)] = value;
  return out;
}

namespace {

// Metadata: a dict of str -> str, or "k=v,k=v" text; None -> none.
MemberMetadataPairs MetadataFrom(py::handle md) {
  if (md.is_none()) return {};
  if (py::isinstance<py::str>(md)) {
    Result<MemberMetadataPairs> r = ParseMemberMetadata(md.cast<std::string>());
    if (!r) throw StatusError(r.error());
    return *r;
  }
  if (!py::isinstance<py::dict>(md)) {
    throw StatusError(InvalidArgumentError("metadata: a dict of str to str, or 'k=v,k=v'"));
  }
  MemberMetadataPairs out;
  for (auto item : md.cast<py::dict>()) {
    if (!py::isinstance<py::str>(item.first) || !py::isinstance<py::str>(item.second)) {
      throw StatusError(InvalidArgumentError("metadata: keys and values must be str"));
    }
    out.emplace_back(item.first.cast<std::string>(), item.second.cast<std::string>());
  }
  return out;
}

// A filter: a dict of str -> str (equality) or None (presence), or "k=v,k" text; None -> all.
MemberFilterTerms FilterFrom(py::handle f) {
  if (f.is_none()) return {};
  if (py::isinstance<py::str>(f)) {
    Result<MemberFilterTerms> r = ParseMemberFilter(f.cast<std::string>());
    if (!r) throw StatusError(r.error());
    return *r;
  }
  if (!py::isinstance<py::dict>(f)) {
    throw StatusError(InvalidArgumentError("filter: a dict of str to str or None, or 'k=v,k'"));
  }
  MemberFilterTerms out;
  for (auto item : f.cast<py::dict>()) {
    if (!py::isinstance<py::str>(item.first) ||
        !(item.second.is_none() || py::isinstance<py::str>(item.second))) {
      throw StatusError(InvalidArgumentError("filter: keys str, values str or None"));
    }
    MemberFilterTerm t{item.first.cast<std::string>(), std::nullopt};
    if (!item.second.is_none()) t.value = item.second.cast<std::string>();
    out.push_back(std::move(t));
  }
  return out;
}

py::dict AnnounceDict(const AnnounceResult& a) {
  py::dict d;
  d["member_id"] = a.member_id;
  d["ttl_ms"] = a.ttl_ms;
  d["existed"] = a.existed;
  return d;
}

}  // namespace

py::dict PyClient::Announce(py::handle metadata, uint64_t ttl_ms,
                            std::optional<std::string> name) {
  MemberMetadataPairs md = MetadataFrom(metadata);
  std::string n = name.value_or("");
  Result<AnnounceResult> r = [&] {
    py::gil_scoped_release nogil;
    return client_->Announce(n, md, std::chrono::milliseconds(ttl_ms));
  }();
  return AnnounceDict(Check(std::move(r)));
}

py::dict PyClient::Withdraw() {
  Result<AnnounceResult> r = [&] {
    py::gil_scoped_release nogil;
    return client_->Withdraw();
  }();
  return AnnounceDict(Check(std::move(r)));
}

py::list PyClient::Members(py::handle filter) {
  MemberFilterTerms f = FilterFrom(filter);
  Result<MembersResult> r = [&] {
    py::gil_scoped_release nogil;
    return client_->Enumerate(f);
  }();
  MembersResult m = Check(std::move(r));
  py::list out;
  for (const MemberRecord& rec : m.members) {
    py::dict d;
    d["client_id"] = rec.client_id;
    d["member_id"] = rec.member_id;
    d["name"] = rec.name;
    py::dict md;
    for (const auto& [k, v] : rec.metadata) md[py::str(k)] = v;
    d["metadata"] = md;
    d["announced_at_ms"] = rec.announced_at_ms;
    d["last_heard_ms"] = rec.last_heard_ms;
    d["ttl_ms"] = rec.ttl_ms;
    out.append(d);
  }
  return out;
}

uint64_t PyClient::Multicast(py::handle payload, py::handle filter) {
  std::string bytes;
  if (py::isinstance<py::bytes>(payload)) {
    bytes = payload.cast<std::string>();
  } else if (py::isinstance<py::str>(payload)) {
    bytes = payload.cast<std::string>();  // its UTF-8 bytes
  } else {
    throw StatusError(InvalidArgumentError("payload: bytes or str"));
  }
  MemberFilterTerms f = FilterFrom(filter);
  Result<uint64_t> r = [&] {
    py::gil_scoped_release nogil;
    return client_->Multicast(f, bytes);
  }();
  return Check(std::move(r));
}

void PyClient::Flush() {
  py::gil_scoped_release nogil;
  Check(client_->Flush());
}

void PyClient::Close() {
  Status s;
  {
    py::gil_scoped_release nogil;
    s = client_->Close();
    bridge_->Stop();
  }
  if (closed_) return;
  closed_ = true;
  Check(s);
}

py::dict PyClient::Counters() const {
  ClientCounters c = client_->counters();
  py::dict d;
  d["requests_sent"] = c.requests_sent;
  d["replies_matched"] = c.replies_matched;
  d["late_replies"] = c.late_replies;
  d["malformed_replies"] = c.malformed_replies;
  d["timeouts"] = c.timeouts;
  d["registrations_queued"] = c.registrations_queued;
  d["registrations_sent"] = c.registrations_sent;
  d["registration_frames_sent"] = c.registration_frames_sent;
  d["registrations_unsent"] = c.registrations_unsent;
  d["epoch_changes"] = c.epoch_changes;
  d["epoch"] = c.epoch;
  d["cache_hits"] = c.cache_hits;
  d["cache_misses"] = c.cache_misses;
  d["cache_expired"] = c.cache_expired;
  d["cache_invalidations"] = c.cache_invalidations;
  d["cache_clears"] = c.cache_clears;
  d["cache_entries"] = c.cache_entries;
  d["events_batches"] = c.events_batches;
  d["events_received"] = c.events_received;
  d["events_gaps"] = c.events_gaps;
  d["events_lost"] = c.events_lost;
  d["events_malformed"] = c.events_malformed;
  d["events_live"] = c.events_live;
  return d;
}

}  // namespace blockhub::python
