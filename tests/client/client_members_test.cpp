// Worker membership through the client library and the CLI against the real blockhubd
// (--events-addr on, loopback, ephemeral ports): Announce / Enumerate with filters, expiry,
// automatic renewal and withdraw, Multicast to exactly the matching members, leases of a departed
// member released at once; `blockhub members`, `multicast` and `listen`. Waits are on counters
// with bounded deadlines; no sleeps.
#include <doctest/doctest.h>
#include <fmt/format.h>
#include <signal.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "client/client.h"
#include "tests/client/run_process.h"
#include "tests/support/hub_process.h"

namespace blockhub {
namespace {

using std::chrono::milliseconds;
using testing::ChildProcess;
using testing::HubProcess;
using Keys = std::vector<std::string>;

HubProcess StartHub(std::vector<std::string> args = {}) {
  args.insert(args.end(), {"--events-addr", "tcp://127.0.0.1:*"});
  auto hub = HubProcess::Start(testing::HubArgs(std::move(args)));
  REQUIRE_MESSAGE(hub.has_value(), hub.error().ToString());
  return std::move(*hub);
}

// Multicasts received by one client.
struct Inbox {
  std::mutex mu;
  std::vector<std::string> payloads;
  size_t size() {
    std::lock_guard lock(mu);
    return payloads.size();
  }
};

std::unique_ptr<Client> Connect(const HubProcess& hub, uint64_t id, Inbox* inbox = nullptr,
                                milliseconds member_ttl = milliseconds(0),
                                MemberMetadataPairs metadata = {}) {
  ClientOptions o;
  o.query_addr = hub.query_endpoint();
  o.register_addr = hub.register_endpoint();
  o.events_addr = hub.events_endpoint();
  o.client_id = id;
  o.request_timeout = milliseconds(3000);
  o.member_ttl = member_ttl;
  o.member_metadata = std::move(metadata);
  if (inbox != nullptr) {
    o.on_multicast = [inbox](uint64_t, std::string_view payload) {
      std::lock_guard lock(inbox->mu);
      inbox->payloads.emplace_back(payload);
    };
  }
  auto c = Client::Connect(std::move(o));
  REQUIRE_MESSAGE(c.has_value(), c.error().ToString());
  return std::move(*c);
}

bool WaitFor(const std::function<bool()>& done, milliseconds limit = milliseconds(10'000)) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    if (done()) return true;
    std::this_thread::yield();
  }
  return done();
}

std::set<uint64_t> ClientIds(Client& c, const MemberFilterTerms& filter) {
  auto r = c.Enumerate(filter);
  REQUIRE_MESSAGE(r.has_value(), r.error().ToString());
  std::set<uint64_t> ids;
  for (const auto& m : r->members) ids.insert(m.client_id);
  return ids;
}

MemberFilterTerms Filter(std::string_view text) {
  auto f = ParseMemberFilter(text);
  REQUIRE_MESSAGE(f.has_value(), f.error().ToString());
  return *f;
}

// Announces `c` and waits until its member topic's subscription is live (a batch from the
// events socket after the Announce: the hub answers each subscription with a sync batch).
void AnnounceLive(Client& c, const MemberMetadataPairs& md, milliseconds ttl = milliseconds(30000)) {
  auto r = c.Announce("", md, ttl);
  REQUIRE_MESSAGE(r.has_value(), r.error().ToString());
  REQUIRE(r->member_id != 0);
  REQUIRE(WaitFor([&] { return c.counters().member_live; }));
}

TEST_CASE("members: three announce, Enumerate with and without filters, multicast by filter") {
  HubProcess hub = StartHub();
  Inbox in1, in2, in3;
  auto c1 = Connect(hub, 101, &in1);
  auto c2 = Connect(hub, 102, &in2);
  auto c3 = Connect(hub, 103, &in3);
  AnnounceLive(*c1, {{"tier", "ssd"}, {"rack", "r1"}});
  AnnounceLive(*c2, {{"tier", "ssd"}, {"rack", "r2"}});
  AnnounceLive(*c3, {{"tier", "hdd"}});
  CHECK(ClientIds(*c1, {}) == std::set<uint64_t>{101, 102, 103});
  CHECK(ClientIds(*c1, Filter("tier=ssd")) == std::set<uint64_t>{101, 102});
  CHECK(ClientIds(*c1, Filter("rack")) == std::set<uint64_t>{101, 102});
  CHECK(ClientIds(*c1, Filter("tier=ssd,rack=r2")) == std::set<uint64_t>{102});
  CHECK(ClientIds(*c1, Filter("tier=tape")).empty());

  auto matched = c3->Multicast(Filter("tier=ssd"), "flush now");
  REQUIRE(matched.has_value());
  CHECK(*matched == 2);
  CHECK(WaitFor([&] { return in1.size() == 1 && in2.size() == 1; }));
  // Then one to everyone: when c3 has it, c3 was live all along and skipped only the first.
  auto all = c1->Multicast({}, "to all");
  REQUIRE(all.has_value());
  CHECK(*all == 3);
  CHECK(WaitFor([&] { return in3.size() == 1 && in1.size() == 2 && in2.size() == 2; }));
  {
    std::lock_guard lock(in3.mu);
    CHECK(in3.payloads == std::vector<std::string>{"to all"});
  }
  std::lock_guard lock(in1.mu);
  CHECK(in1.payloads == std::vector<std::string>{"flush now", "to all"});
}

TEST_CASE("members: a member that stops heart-beating disappears after its TTL") {
  HubProcess hub = StartHub();
  auto observer = Connect(hub, 201);
  auto quiet = Connect(hub, 202);
  REQUIRE(quiet->Announce("", {{"role", "quiet"}}, milliseconds(300)).has_value());
  CHECK(ClientIds(*observer, {}).count(202) == 1);
  // No request from `quiet` from here on: gone once 300 ms have passed since its last one.
  CHECK(WaitFor([&] { return ClientIds(*observer, {}).count(202) == 0; }, milliseconds(5000)));
}

TEST_CASE("members: automatic membership is renewed while open and withdrawn on Close") {
  HubProcess hub = StartHub();
  auto observer = Connect(hub, 301);
  auto worker = Connect(hub, 302, nullptr, milliseconds(400), {{"host", "w1"}});
  REQUIRE(WaitFor([&] { return worker->counters().member_id != 0; }));
  // Three renewals (one per 200 ms) while it sends nothing else: still a member.
  REQUIRE(WaitFor([&] { return worker->counters().member_announces >= 4; }));
  CHECK(ClientIds(*observer, Filter("host=w1")) == std::set<uint64_t>{302});
  CHECK(worker->counters().member_announce_errors == 0);
  REQUIRE(worker->Close().ok());
  CHECK(ClientIds(*observer, {}).count(302) == 0);  // withdrawn at once, not after the TTL
}

TEST_CASE("members: leases of a member that expires are released at once") {
  // Leases live 60 s; the member's TTL is 300 ms.
  HubProcess hub = StartHub({"--lease-timeout-ms", "60000"});
  auto holder = Connect(hub, 401);
  auto other = Connect(hub, 402);
  REQUIRE(holder->Announce("", {}, milliseconds(300)).has_value());
  auto held = holder->CanOffload(Keys{"k1", "k2"});
  REQUIRE(held.has_value());
  REQUIRE(held->granted.size() == 2);
  auto denied = other->CanOffload(Keys{"k1"});
  REQUIRE(denied.has_value());
  CHECK(denied->statuses[0] == OffloadStatus::kLeased);
  // `holder` goes silent: within a few seconds (not 60) the keys are Granted to `other`.
  const auto start = std::chrono::steady_clock::now();
  CHECK(WaitFor(
      [&] {
        auto r = other->CanOffload(Keys{"k1", "k2"});
        return r.has_value() && r->granted.size() == 2;
      },
      milliseconds(10'000)));
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(30));
  auto stats = other->Stats();
  REQUIRE(stats.has_value());
  uint64_t released = 0;
  for (const auto& [name, value] : *stats) {
    if (name == "leases_released_by_departure") released = value;
  }
  CHECK(released == 2);
}

std::vector<std::pair<std::string, std::string>> CliEnv(const HubProcess& hub) {
  return {{"DYN_REGISTRY_CLIENT_QUERY_ADDR", hub.query_endpoint()},
          {"DYN_REGISTRY_CLIENT_REGISTER_ADDR", hub.register_endpoint()},
          {"DYN_REGISTRY_CLIENT_EVENTS_ADDR", hub.events_endpoint()}};
}

TEST_CASE("members: blockhub listen / members / multicast") {
  HubProcess hub = StartHub();
  auto env = CliEnv(hub);
  auto ssd = ChildProcess::Start(BLOCKHUB_CLI_PATH,
                                 {"--client-id", "77", "listen", "--metadata", "tier=ssd,rack=r1"},
                                 env);
  REQUIRE(ssd.has_value());
  auto hdd_env = env;
  hdd_env.emplace_back("DYN_REGISTRY_CLIENT_MEMBER_METADATA", "tier=hdd");
  auto hdd = ChildProcess::Start(BLOCKHUB_CLI_PATH, {"--client-id", "78", "listen"}, hdd_env);
  REQUIRE(hdd.has_value());
  auto listening = [](ChildProcess& p) {
    return p.ReadUntil([&] { return p.err().find("listening member=") != std::string::npos; },
                       milliseconds(10'000));
  };
  if (!listening(*ssd)) {
    auto end = ssd->Wait(milliseconds(2000));
    FAIL("listen did not start: exit " << (end ? end->exit_code : -1) << " out " << ssd->out()
                                       << " err " << ssd->err());
  }
  REQUIRE_MESSAGE(listening(*hdd), hdd->err());

  auto members = testing::RunProcess(BLOCKHUB_CLI_PATH,
                                     {"--json", "members", "--filter", "tier=ssd"}, env);
  REQUIRE(members.has_value());
  CHECK(members->exit_code == 0);
  CHECK(members->out.find("{\"members\":[{\"client_id\":77,") == 0);
  CHECK(members->out.find("\"metadata\":{\"tier\":\"ssd\",\"rack\":\"r1\"}") != std::string::npos);
  CHECK(members->out.find("\"client_id\":78") == std::string::npos);

  auto sent = testing::RunProcess(BLOCKHUB_CLI_PATH,
                                  {"--json", "multicast", "--filter", "tier=ssd", "héllo ssd"}, env);
  REQUIRE(sent.has_value());
  CHECK(sent->exit_code == 0);
  CHECK(sent->out == "{\"matched\":1}\n");
  CHECK(ssd->ReadUntil([&] { return ssd->out() == "héllo ssd\n"; }, milliseconds(10'000)));
  auto binary = testing::RunProcess(BLOCKHUB_CLI_PATH,
                                    {"multicast", "--filter", "tier=hdd", std::string("a\x01z")},
                                    env);
  REQUIRE(binary.has_value());
  CHECK(binary->out == "matched 1\n");
  CHECK(hdd->ReadUntil([&] { return hdd->out() == "61017a\n"; }, milliseconds(10'000)));
  CHECK(ssd->out() == "héllo ssd\n");  // nothing for the hdd tier

  // SIGTERM: exit 0, withdrawn.
  REQUIRE(ssd->Signal(SIGTERM).ok());
  auto done = ssd->Wait(milliseconds(10'000));
  REQUIRE(done.has_value());
  CHECK(done->exit_code == 0);
  auto after = testing::RunProcess(BLOCKHUB_CLI_PATH, {"--json", "members"}, env);
  REQUIRE(after.has_value());
  CHECK(after->out.find("\"client_id\":77") == std::string::npos);
  CHECK(after->out.find("\"client_id\":78") != std::string::npos);

  auto no_events = testing::RunProcess(
      BLOCKHUB_CLI_PATH, {"listen"},
      {{"DYN_REGISTRY_CLIENT_QUERY_ADDR", hub.query_endpoint()}});
  REQUIRE(no_events.has_value());
  CHECK(no_events->exit_code == 2);
  CHECK(no_events->err.find("--events-addr") != std::string::npos);
  auto bad_filter = testing::RunProcess(BLOCKHUB_CLI_PATH, {"members", "--filter", "=x"}, env);
  REQUIRE(bad_filter.has_value());
  CHECK(bad_filter->exit_code == 2);
}

TEST_CASE("members: metadata and filter text parse") {
  auto md = ParseMemberMetadata(" tier=ssd , url=http://h/?a=b ");
  REQUIRE(md.has_value());
  CHECK(*md == MemberMetadataPairs{{"tier", "ssd"}, {"url", "http://h/?a=b"}});
  CHECK(ParseMemberMetadata("").value().empty());
  CHECK_FALSE(ParseMemberMetadata("tier").has_value());
  CHECK_FALSE(ParseMemberMetadata("=x").has_value());
  CHECK_FALSE(ParseMemberMetadata("a=1,a=2").has_value());
  auto f = ParseMemberFilter("tier=ssd,rack");
  REQUIRE(f.has_value());
  REQUIRE(f->size() == 2);
  CHECK((*f)[0].key == "tier");
  CHECK((*f)[0].value == std::optional<std::string>("ssd"));
  CHECK((*f)[1].key == "rack");
  CHECK_FALSE((*f)[1].value.has_value());
  CHECK_FALSE(ParseMemberFilter("tier=ssd,,x").has_value());
}

}  // namespace
}  // namespace blockhub
