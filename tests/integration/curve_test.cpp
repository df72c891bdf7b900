// CurveZMQ against the real hub (--curve-secret-key-file, --authorized-keys): who may connect
// (plaintext, unknown keys and a wrong server key are refused and counted), what each role may do
// (permission_denied, error 10, with no effect), SIGHUP reloads (a removed key is refused, a bad
// file keeps the keys in use) and lease owners bound to the authenticated key.
#include <doctest/doctest.h>
#include <fmt/format.h>
#include <httplib.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "security/curve_keys.h"
#include "tests/integration/integration_util.h"
#include "tests/metrics/exposition_parser.h"
#include "tests/support/hub_process.h"
#include "tests/support/raw_sockets.h"

namespace blockhub::testing {
namespace {

using std::chrono::milliseconds;

// How long a refused client waits for an answer that must not come.
constexpr milliseconds kNoAnswerWait{800};

// A fresh directory holding the hub's key, the clients' keys and the authorized-keys file.
class CurveSetup {
 public:
  CurveSetup() {
    static int counter = 0;
    dir_ = std::filesystem::temp_directory_path() /
           fmt::format("blockhub-curve-{}-{}", getpid(), ++counter);
    std::filesystem::create_directories(dir_);
    hub_ = MakePair("hub");
    for (const char* name : {"admin", "writer", "writer2", "reader", "stranger"}) {
      clients_[name] = MakePair(name);
    }
    WriteAuthorized(
        {{"admin", "admin"}, {"writer", "writer"}, {"writer2", "writer"}, {"reader", "reader"}});
  }
  ~CurveSetup() {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  // Rewrites the authorized-keys file: (client name, role) per line.
  void WriteAuthorized(const std::vector<std::pair<std::string, std::string>>& lines) {
    std::ofstream out(keys_path());
    out << "# role key name\n\n";
    for (const auto& [name, role] : lines) {
      out << role << " " << clients_.at(name).public_z85 << " " << name << "\n";
    }
  }
  void WriteRaw(const std::string& text) { std::ofstream(keys_path()) << text; }

  std::string keys_path() const { return (dir_ / "authorized_keys").string(); }
  std::string hub_key_path() const { return (dir_ / "hub.key").string(); }
  const CurveKeyPair& hub() const { return hub_; }

  // The CurveZMQ keys of client `name` (the hub's public key unless `server` overrides it).
  CurveClientKeys Client(const std::string& name,
                         std::optional<std::string> server = std::nullopt) const {
    const CurveKeyPair& p = clients_.at(name);
    return {server.value_or(hub_.public_z85), p.public_z85, p.secret_z85};
  }

  Result<HubProcess> StartHub(std::vector<std::string> extra = {}, bool metrics = false) const {
    std::vector<std::string> args = {
        "--key-format",      "u64",      "--curve-secret-key-file", hub_key_path(),
        "--authorized-keys", keys_path()};
    args.insert(args.end(), extra.begin(), extra.end());
    HubProcessOptions options = HubArgs(args);
    options.metrics = metrics;
    return HubProcess::Start(options);
  }

 private:
  CurveKeyPair MakePair(const std::string& name) {
    auto pair = GenerateCurveKeyPair();
    REQUIRE_MESSAGE(pair.has_value(), pair.status().ToString());
    REQUIRE(WriteCurveKeyPair((dir_ / name).string(), *pair).ok());
    return *pair;
  }

  std::filesystem::path dir_;
  CurveKeyPair hub_;
  std::map<std::string, CurveKeyPair> clients_;
};

RawDealer Dealer(const HubProcess& hub, const std::optional<CurveClientKeys>& keys,
                 std::optional<std::string> routing_id = std::nullopt) {
  auto d = RawDealer::Connect(hub.query_endpoint(), std::move(routing_id), keys);
  REQUIRE_MESSAGE(d.has_value(), d.status().ToString());
  return std::move(*d);
}

// A round trip that must succeed; returns the decoded reply (borrowing from *holder).
Message MustAsk(RawDealer& d, std::string_view message, RawReply* holder) {
  static uint32_t next_id = 1;
  auto reply = Ask(d, ++next_id, message, holder);
  REQUIRE_MESSAGE(reply.has_value(), reply.status().ToString());
  return *reply;
}

// True when the dealer gets no reply to a Hello within kNoAnswerWait.
bool GetsNoAnswer(RawDealer& d) {
  // A DEALER refused at the handshake may have no connection to queue on (a send would block).
  if (!d.Writable(kNoAnswerWait)) return true;
  if (!d.Send(1, EncodeV2(1, Hello{"curve-test", ""})).ok()) return true;
  auto reply = d.Receive(kNoAnswerWait);
  return !reply.has_value() && reply.error().code() == StatusCode::kTimeout;
}

// Waits (bounded) until the Stats counter `name` reaches `at_least`.
bool StatReaches(RawDealer& admin, std::string_view name, uint64_t at_least) {
  return RetryUntil([&] {
    const uint64_t v = StatValue(admin, name);
    return v != UINT64_MAX && v >= at_least;
  });
}

void CheckDenied(const Message& reply, ProtocolVersion version) {
  const auto* error = std::get_if<ErrorResponse>(&reply.body);
  REQUIRE_MESSAGE(error != nullptr, "not an ErrorResponse");
  CHECK(reply.version == version);
  if (version == ProtocolVersion::kV2) {
    CHECK(error->code == StatusCode::kPermissionDenied);
    CHECK(static_cast<int>(error->code) == 10);
  } else {
    CHECK(error->message.rfind("permission_denied: ", 0) == 0);
  }
}

// The keys present in the catalog among `keys` (an admin's v2 Match, mode all).
std::vector<std::string> Present(RawDealer& admin, const KeyList& keys) {
  RawReply holder;
  const Message reply = MustAsk(admin, EncodeV2(1, Match{MatchMode::kAll, keys}), &holder);
  std::vector<std::string> out;
  for (const auto& [key, value] : EntryPairs(reply)) out.push_back(key);
  return out;
}

template <typename T>
const T& BodyAs(const Message& m) {
  const T* body = std::get_if<T>(&m.body);
  REQUIRE_MESSAGE(body != nullptr, "unexpected reply type " << MessageTypeName(TypeOf(m.body)));
  return *body;
}

TEST_CASE("curve: a plaintext client gets no answer and is counted as an auth failure") {
  CurveSetup setup;
  auto hub = setup.StartHub();
  REQUIRE_MESSAGE(hub.has_value(), hub.status().ToString());
  RawDealer admin = Dealer(*hub, setup.Client("admin"));
  RawDealer plain = Dealer(*hub, std::nullopt);
  CHECK(GetsNoAnswer(plain));
  // The hub counts mechanism_mismatch when it reads the plaintext greeting, handshake_aborted
  // when the peer (which sees the mismatch too, and does not reconnect) resets first.
  CHECK(RetryUntil([&] {
    return StatValue(admin, "server_auth_mechanism_mismatch") +
               StatValue(admin, "server_auth_handshake_aborted") >=
           1;
  }));
  CHECK(StatReaches(admin, "server_auth_failures", 1));
  // Nothing of the plaintext client was served.
  CHECK(StatValue(admin, "server_zap_accepted") == 1);  // the admin's DEALER only
}

TEST_CASE("curve: a client with an unknown key is refused at the handshake") {
  CurveSetup setup;
  auto hub = setup.StartHub();
  REQUIRE_MESSAGE(hub.has_value(), hub.status().ToString());
  RawDealer admin = Dealer(*hub, setup.Client("admin"));
  RawDealer stranger = Dealer(*hub, setup.Client("stranger"));
  CHECK(GetsNoAnswer(stranger));
  CHECK(StatReaches(admin, "server_auth_unknown_key", 1));
}

TEST_CASE("curve: a client that knows the wrong server key cannot connect") {
  CurveSetup setup;
  auto hub = setup.StartHub();
  REQUIRE_MESSAGE(hub.has_value(), hub.status().ToString());
  RawDealer admin = Dealer(*hub, setup.Client("admin"));
  // The admin's own key pair, but another hub's public key.
  auto other = GenerateCurveKeyPair();
  REQUIRE(other.has_value());
  RawDealer fooled = Dealer(*hub, setup.Client("admin", other->public_z85));
  CHECK(GetsNoAnswer(fooled));
  CHECK(StatReaches(admin, "server_auth_cryptographic", 1));
}

TEST_CASE("curve: an admin may send every request type of both protocol versions") {
  CurveSetup setup;
  auto hub = setup.StartHub();
  REQUIRE_MESSAGE(hub.has_value(), hub.status().ToString());
  RawDealer admin = Dealer(*hub, setup.Client("admin"));
  auto push = RawPush::Connect(hub->register_endpoint(), setup.Client("admin"));
  REQUIRE(push.has_value());
  const std::string k1 = U64Key(1), k2 = U64Key(2), k3 = U64Key(3), k4 = U64Key(4);
  RawReply h;

  // v2: every query type, and Register on the PULL.
  CHECK(BodyAs<HelloResponse>(MustAsk(admin, EncodeV2(5, Hello{"admin", ""}), &h)).capacity > 0);
  CHECK_FALSE(BodyAs<StatsResponse>(MustAsk(admin, EncodeV2(5, Stats{}), &h)).counters.empty());
  CHECK(
      BodyAs<CanOffloadResponse>(MustAsk(admin, EncodeV2(5, CanOffload{{k1, k2}}), &h)).statuses ==
      std::vector{OffloadStatus::kGranted, OffloadStatus::kGranted});
  CHECK(BodyAs<RenewResponse>(MustAsk(admin, EncodeV2(5, Renew{{k1}}), &h)).statuses ==
        std::vector{RenewStatus::kRenewed});
  CHECK(BodyAs<ReleaseResponse>(MustAsk(admin, EncodeV2(5, Release{{k2}}), &h)).released == 1);
  CHECK(BodyAs<RegisterSyncResponse>(
            MustAsk(admin, EncodeV2(5, RegisterSync{{Entry{k1, "v1", ""}}}), &h))
            .statuses == std::vector{RegisterStatus::kStored});
  REQUIRE(push->Send(EncodeV2(5, Register{{Entry{k2, "v2", ""}}})).ok());
  CHECK(RetryUntil([&] { return Present(admin, {k1, k2}).size() == 2; }));
  CHECK(BodyAs<TouchResponse>(MustAsk(admin, EncodeV2(5, Touch{{k1, k2}}), &h)).touched == 2);
  CHECK(EntryPairs(MustAsk(admin, EncodeV2(5, Match{MatchMode::kAll, {k1}}), &h)).size() == 1);
  CHECK(BodyAs<RemoveResponse>(MustAsk(admin, EncodeV2(5, Remove{{k1}}), &h)).removed == 1);

  // v1: CanOffload, Match, Touch, Remove on the ROUTER, Register on the PULL.
  CHECK(BodyAs<CanOffloadResponse>(MustAsk(admin, EncodeV1(CanOffload{{k3}}), &h)).statuses ==
        std::vector{OffloadStatus::kGranted});
  REQUIRE(push->Send(EncodeV1(Register{{Entry{k3, "v3", ""}}})).ok());
  CHECK(RetryUntil([&] {
    RawReply m;
    return EntryPairs(MustAsk(admin, EncodeV1(Match{MatchMode::kAll, {k3}}), &m)).size() == 1;
  }));
  CHECK(BodyAs<TouchResponse>(MustAsk(admin, EncodeV1(Touch{{k3}}), &h)).touched == 1);
  CHECK(BodyAs<RemoveResponse>(MustAsk(admin, EncodeV1(Remove{{k3, k4}}), &h)).removed == 1);
  CHECK(Present(admin, {k1, k2, k3}) == std::vector<std::string>{k2});
  CHECK(StatValue(admin, "server_permission_denied") == 0);
}

TEST_CASE("curve: a reader is denied CanOffload, Remove and RegisterSync, its PUSH is dropped") {
  CurveSetup setup;
  auto hub = setup.StartHub();
  REQUIRE_MESSAGE(hub.has_value(), hub.status().ToString());
  RawDealer admin = Dealer(*hub, setup.Client("admin"));
  RawDealer reader = Dealer(*hub, setup.Client("reader"));
  auto push = RawPush::Connect(hub->register_endpoint(), setup.Client("reader"));
  REQUIRE(push.has_value());
  const std::string stored = U64Key(10), wanted = U64Key(11), synced = U64Key(12),
                    pushed = U64Key(13);
  RawReply h;
  REQUIRE(BodyAs<RegisterSyncResponse>(
              MustAsk(admin, EncodeV2(1, RegisterSync{{Entry{stored, "s", ""}}}), &h))
              .statuses == std::vector{RegisterStatus::kStored});
  const uint64_t removed_before = StatValue(admin, "entries_removed");
  const uint64_t stored_before = StatValue(admin, "entries_stored");

  // A reader may read.
  CHECK(BodyAs<HelloResponse>(MustAsk(reader, EncodeV2(9, Hello{"reader", ""}), &h)).capacity > 0);
  CHECK(EntryPairs(MustAsk(reader, EncodeV2(9, Match{MatchMode::kAll, {stored}}), &h)).size() == 1);
  CHECK(EntryPairs(MustAsk(reader, EncodeV1(Match{MatchMode::kAll, {stored}}), &h)).size() == 1);
  // And nothing else, in either version.
  CheckDenied(MustAsk(reader, EncodeV2(9, CanOffload{{wanted}}), &h), ProtocolVersion::kV2);
  CheckDenied(MustAsk(reader, EncodeV1(CanOffload{{wanted}}), &h), ProtocolVersion::kV1);
  CheckDenied(MustAsk(reader, EncodeV2(9, Remove{{stored}}), &h), ProtocolVersion::kV2);
  CheckDenied(MustAsk(reader, EncodeV1(Remove{{stored}}), &h), ProtocolVersion::kV1);
  CheckDenied(MustAsk(reader, EncodeV2(9, RegisterSync{{Entry{synced, "x", ""}}}), &h),
              ProtocolVersion::kV2);
  REQUIRE(push->Send(EncodeV2(9, Register{{Entry{pushed, "p", ""}}})).ok());
  REQUIRE(push->Send(EncodeV1(Register{{Entry{pushed, "p", ""}}})).ok());
  CHECK(StatReaches(admin, "server_register_frames_denied", 2));
  CHECK(StatValue(admin, "server_permission_denied") == 5);

  // No effect: the stored entry is still there, nothing else was stored, and the reader's
  // CanOffload took no lease (the admin is granted the key).
  CHECK(Present(admin, {stored, wanted, synced, pushed}) == std::vector<std::string>{stored});
  CHECK(StatValue(admin, "entries_removed") == removed_before);
  CHECK(StatValue(admin, "entries_stored") == stored_before);
  CHECK(StatValue(admin, "active_leases") == 0);
  CHECK(
      BodyAs<CanOffloadResponse>(MustAsk(admin, EncodeV2(1, CanOffload{{wanted}}), &h)).statuses ==
      std::vector{OffloadStatus::kGranted});
}

TEST_CASE("curve: a writer is denied Remove and may write") {
  CurveSetup setup;
  auto hub = setup.StartHub();
  REQUIRE_MESSAGE(hub.has_value(), hub.status().ToString());
  RawDealer admin = Dealer(*hub, setup.Client("admin"));
  RawDealer writer = Dealer(*hub, setup.Client("writer"));
  const std::string k = U64Key(20);
  RawReply h;
  CHECK(BodyAs<CanOffloadResponse>(MustAsk(writer, EncodeV2(3, CanOffload{{k}}), &h)).statuses ==
        std::vector{OffloadStatus::kGranted});
  CHECK(BodyAs<RegisterSyncResponse>(
            MustAsk(writer, EncodeV2(3, RegisterSync{{Entry{k, "w", ""}}}), &h))
            .statuses == std::vector{RegisterStatus::kStored});
  CheckDenied(MustAsk(writer, EncodeV2(3, Remove{{k}}), &h), ProtocolVersion::kV2);
  CheckDenied(MustAsk(writer, EncodeV1(Remove{{k}}), &h), ProtocolVersion::kV1);
  CHECK(Present(admin, {k}) == std::vector<std::string>{k});  // still stored
  CHECK(BodyAs<RemoveResponse>(MustAsk(admin, EncodeV2(1, Remove{{k}}), &h)).removed == 1);
}

TEST_CASE("curve: after a key is removed from the file and SIGHUP it cannot connect") {
  CurveSetup setup;
  auto hub = setup.StartHub();
  REQUIRE_MESSAGE(hub.has_value(), hub.status().ToString());
  RawDealer admin = Dealer(*hub, setup.Client("admin"));
  RawDealer writer = Dealer(*hub, setup.Client("writer"));
  const std::string k = U64Key(30);
  RawReply h;
  CHECK(BodyAs<HelloResponse>(MustAsk(writer, EncodeV2(4, Hello{"w", ""}), &h)).capacity > 0);

  // A file that does not parse keeps the keys in use.
  setup.WriteRaw("writer not-a-key\n");
  REQUIRE(hub->Signal(SIGHUP).ok());
  CHECK(StatReaches(admin, "server_authorized_keys_reload_failures", 1));
  CHECK(BodyAs<HelloResponse>(MustAsk(writer, EncodeV2(4, Hello{"w", ""}), &h)).capacity > 0);

  setup.WriteAuthorized({{"admin", "admin"}, {"reader", "reader"}});
  REQUIRE(hub->Signal(SIGHUP).ok());
  CHECK(StatReaches(admin, "server_authorized_keys_reloads", 1));
  // Its open connection: every further request is refused, and has no effect.
  CheckDenied(MustAsk(writer, EncodeV2(4, CanOffload{{k}}), &h), ProtocolVersion::kV2);
  CheckDenied(MustAsk(writer, EncodeV2(4, Hello{"w", ""}), &h), ProtocolVersion::kV2);
  // A new connection with the removed key is refused at the handshake.
  const uint64_t unknown_before = StatValue(admin, "server_auth_unknown_key");
  RawDealer again = Dealer(*hub, setup.Client("writer"));
  CHECK(GetsNoAnswer(again));
  CHECK(StatReaches(admin, "server_auth_unknown_key", unknown_before + 1));
  CHECK(BodyAs<CanOffloadResponse>(MustAsk(admin, EncodeV2(1, CanOffload{{k}}), &h)).statuses ==
        std::vector{OffloadStatus::kGranted});
}

TEST_CASE("curve: a lease is bound to the key that took it, not only to the client id") {
  CurveSetup setup;
  auto hub = setup.StartHub();
  REQUIRE_MESSAGE(hub.has_value(), hub.status().ToString());
  RawDealer owner = Dealer(*hub, setup.Client("writer"), std::string("same-rid"));
  RawDealer other = Dealer(*hub, setup.Client("writer2"), std::string("other-rid"));
  const std::string k = U64Key(40), k1 = U64Key(41);
  constexpr uint64_t kSharedId = 7;  // both clients claim the same v2 client id
  RawReply h;
  CHECK(BodyAs<CanOffloadResponse>(MustAsk(owner, EncodeV2(kSharedId, CanOffload{{k}}), &h))
            .statuses == std::vector{OffloadStatus::kGranted});
  // The other key cannot take, renew or release the lease by naming the same client id.
  CHECK(BodyAs<CanOffloadResponse>(MustAsk(other, EncodeV2(kSharedId, CanOffload{{k}}), &h))
            .statuses == std::vector{OffloadStatus::kLeased});
  CHECK(BodyAs<RenewResponse>(MustAsk(other, EncodeV2(kSharedId, Renew{{k}}), &h)).statuses ==
        std::vector{RenewStatus::kNotHeld});
  CHECK(BodyAs<ReleaseResponse>(MustAsk(other, EncodeV2(kSharedId, Release{{k}}), &h)).released ==
        0);
  // The owner still holds it.
  CHECK(BodyAs<RenewResponse>(MustAsk(owner, EncodeV2(kSharedId, Renew{{k}}), &h)).statuses ==
        std::vector{RenewStatus::kRenewed});
  CHECK(BodyAs<ReleaseResponse>(MustAsk(owner, EncodeV2(kSharedId, Release{{k}}), &h)).released ==
        1);
  // v1 (owner = routing id): the same binding.
  CHECK(BodyAs<CanOffloadResponse>(MustAsk(owner, EncodeV1(CanOffload{{k1}}), &h)).statuses ==
        std::vector{OffloadStatus::kGranted});
  CHECK(BodyAs<CanOffloadResponse>(MustAsk(other, EncodeV1(CanOffload{{k1}}), &h)).statuses ==
        std::vector{OffloadStatus::kLeased});
}

TEST_CASE("curve: member roles, and a member id bound to its key like a lease owner") {
  CurveSetup setup;
  auto hub = setup.StartHub({"--events-addr", "tcp://127.0.0.1:*"});
  REQUIRE_MESSAGE(hub.has_value(), hub.status().ToString());
  RawDealer admin = Dealer(*hub, setup.Client("admin"));
  RawDealer writer = Dealer(*hub, setup.Client("writer"));
  RawDealer writer2 = Dealer(*hub, setup.Client("writer2"));
  RawDealer reader = Dealer(*hub, setup.Client("reader"));
  constexpr uint64_t kSharedId = 7;  // both writers claim the same v2 client id
  RawReply h;
  // A reader may Enumerate, not Announce; a writer may Announce, not Multicast.
  CHECK(BodyAs<EnumerateResponse>(MustAsk(reader, EncodeV2(9, Enumerate{{}}), &h))
            .members.empty());
  CheckDenied(MustAsk(reader, EncodeV2(9, Announce{"r", 1000, {}}), &h), ProtocolVersion::kV2);
  const AnnounceResponse a =
      BodyAs<AnnounceResponse>(MustAsk(writer, EncodeV2(kSharedId, Announce{"w", 60'000, {}}), &h));
  const AnnounceResponse b = BodyAs<AnnounceResponse>(
      MustAsk(writer2, EncodeV2(kSharedId, Announce{"w2", 60'000, {}}), &h));
  CheckDenied(MustAsk(writer, EncodeV2(kSharedId, Multicast{{}, "x"}), &h),
              ProtocolVersion::kV2);
  // Two keys, one client id: two members, each id bound to its key (not the bare client id).
  CHECK(a.member_id != kSharedId);
  CHECK(b.member_id != kSharedId);
  CHECK(a.member_id != b.member_id);
  CHECK_FALSE(b.existed);
  const Message listed = MustAsk(reader, EncodeV2(9, Enumerate{{}}), &h);
  const auto& e = BodyAs<EnumerateResponse>(listed);
  REQUIRE(e.members.size() == 2);
  CHECK(e.members[0].client_id == kSharedId);
  CHECK(e.members[1].client_id == kSharedId);
  // writer2's withdraw removes only its own membership.
  CHECK(BodyAs<AnnounceResponse>(MustAsk(writer2, EncodeV2(kSharedId, Announce{"", 0, {}}), &h))
            .existed);
  RawReply h2;
  const Message after = MustAsk(reader, EncodeV2(9, Enumerate{{}}), &h2);
  const auto& left = BodyAs<EnumerateResponse>(after);
  REQUIRE(left.members.size() == 1);
  CHECK(left.members[0].member_id == a.member_id);
  // An admin may multicast.
  CHECK(BodyAs<MulticastResponse>(MustAsk(admin, EncodeV2(1, Multicast{{}, "x"}), &h)).matched ==
        1);
  CHECK(StatValue(admin, "server_permission_denied") == 2);
}

Exposition Scrape(const HubProcess& hub) {
  httplib::Client client(hub.metrics_url());
  client.set_connection_timeout(2);
  client.set_read_timeout(5);
  auto res = client.Get("/metrics");
  REQUIRE(res);
  REQUIRE(res->status == 200);
  auto parsed = ParseExposition(res->body);
  REQUIRE_MESSAGE(parsed.has_value(), parsed.status().ToString());
  CHECK(CheckExpositionRules(*parsed).ok());
  return std::move(*parsed);
}

TEST_CASE("curve: refused connections and requests are counted in the metrics") {
  CurveSetup setup;
  auto hub = setup.StartHub({}, true);
  REQUIRE_MESSAGE(hub.has_value(), hub.status().ToString());
  RawDealer admin = Dealer(*hub, setup.Client("admin"));
  RawDealer reader = Dealer(*hub, setup.Client("reader"));
  RawDealer writer = Dealer(*hub, setup.Client("writer"));
  RawDealer plain = Dealer(*hub, std::nullopt);
  RawDealer stranger = Dealer(*hub, setup.Client("stranger"));
  auto push = RawPush::Connect(hub->register_endpoint(), setup.Client("reader"));
  REQUIRE(push.has_value());
  RawReply h;
  const std::string k = U64Key(50);
  CheckDenied(MustAsk(reader, EncodeV2(2, Remove{{k}}), &h), ProtocolVersion::kV2);
  CheckDenied(MustAsk(writer, EncodeV2(2, Remove{{k}}), &h), ProtocolVersion::kV2);
  CheckDenied(MustAsk(writer, EncodeV2(2, Remove{{k}}), &h), ProtocolVersion::kV2);
  REQUIRE(push->Send(EncodeV2(2, Register{{Entry{k, "v", ""}}})).ok());
  CHECK(StatReaches(admin, "server_register_frames_denied", 1));
  CHECK(GetsNoAnswer(plain));
  CHECK(GetsNoAnswer(stranger));
  CHECK(StatReaches(admin, "server_auth_unknown_key", 1));
  // A plaintext peer's attempt counts as mechanism_mismatch when the hub reads its greeting, but
  // as handshake_aborted when the peer (which sees the mismatch too) resets first.
  CHECK(RetryUntil([&] {
    return StatValue(admin, "server_auth_mechanism_mismatch") +
               StatValue(admin, "server_auth_handshake_aborted") >=
           1;
  }));
  const Exposition e = Scrape(*hub);
  CHECK(e.Value("registry_permission_denied_total",
                {{"role", "reader"}, {"query_type", "remove"}}) == 1);
  CHECK(e.Value("registry_permission_denied_total",
                {{"role", "writer"}, {"query_type", "remove"}}) == 2);
  CHECK(e.Value("registry_permission_denied_total",
                {{"role", "reader"}, {"query_type", "register"}}) == 1);
  CHECK(e.Value("registry_auth_failures_total", {{"reason", "mechanism_mismatch"}}).value_or(0) +
            e.Value("registry_auth_failures_total", {{"reason", "handshake_aborted"}})
                .value_or(0) >=
        1);
  CHECK(e.Value("registry_auth_failures_total", {{"reason", "unknown_key"}}) >= 1);
  // Admin, reader and writer DEALERs and the reader's PUSH at least (refused ones come and go).
  CHECK(e.Value("registry_connected_peers") >= 4);
}

TEST_CASE("curve: bad hub key configuration is a start-up error naming the setting") {
  CurveSetup setup;
  auto only_key = RunBlockhubd({"--curve-secret-key-file", setup.hub_key_path()});
  REQUIRE(only_key.has_value());
  CHECK(only_key->exit.code == 2);
  CHECK(only_key->stderr_text.find("--authorized-keys") != std::string::npos);
  auto only_keys = RunBlockhubd({"--authorized-keys", setup.keys_path()});
  REQUIRE(only_keys.has_value());
  CHECK(only_keys->exit.code == 2);
  CHECK(only_keys->stderr_text.find("--curve-secret-key-file") != std::string::npos);
  setup.WriteRaw("admin short-key\n");
  auto bad_file = RunBlockhubd(
      {"--curve-secret-key-file", setup.hub_key_path(), "--authorized-keys", setup.keys_path()});
  REQUIRE(bad_file.has_value());
  CHECK(bad_file->exit.code == 2);
  CHECK(bad_file->stderr_text.find(setup.keys_path() + ":1") != std::string::npos);
  auto env_missing = RunBlockhubd({}, {{"DYN_REGISTRY_HUB_CURVE_SECRET_KEY_FILE", "/nonexistent"},
                                       {"DYN_REGISTRY_HUB_AUTHORIZED_KEYS", setup.keys_path()}});
  REQUIRE(env_missing.has_value());
  CHECK(env_missing->exit.code == 2);
  CHECK(env_missing->stderr_text.find("DYN_REGISTRY_HUB_CURVE_SECRET_KEY_FILE") !=
        std::string::npos);
}

}  // namespace
}  // namespace blockhub::testing
