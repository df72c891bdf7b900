// ClientOptions: defaults, environment, builder, client ids and routing ids.
#include "client/client_options.h"

#include <doctest/doctest.h>
#include <stdlib.h>
#include <unistd.h>

#include <cstdio>
#include <string>
#include <vector>

#include "security/curve_keys.h"

namespace blockhub {
namespace {

const std::vector<std::string> kVars = {"DYN_REGISTRY_CLIENT_QUERY_ADDR",
                                        "DYN_REGISTRY_CLIENT_REGISTER_ADDR",
                                        "DYN_REGISTRY_CLIENT_NAMESPACE",
                                        "DYN_REGISTRY_CLIENT_BATCH_SIZE",
                                        "DYN_REGISTRY_CLIENT_BATCH_TIMEOUT_MS",
                                        "DYN_REGISTRY_CLIENT_REQUEST_TIMEOUT_MS",
                                        "DYN_REGISTRY_CLIENT_ID",
                                        "DYN_REGISTRY_CLIENT_PROTOCOL",
                                        "DYN_REGISTRY_CLIENT_HWM",
                                        "DYN_REGISTRY_CLIENT_CURVE_SERVER_KEY",
                                        "DYN_REGISTRY_CLIENT_CURVE_SECRET_KEY_FILE",
                                        "DYN_REGISTRY_CLIENT_LOCAL_CACHE",
                                        "DYN_REGISTRY_CLIENT_LOCAL_CACHE_TTL_MS",
                                        "DYN_REGISTRY_CLIENT_EVENTS_ADDR",
                                        "DYN_REGISTRY_CLIENT_EVENTS_TIMEOUT_MS",
                                        "DYN_REGISTRY_CLIENT_MEMBER_TTL_MS",
                                        "DYN_REGISTRY_CLIENT_MEMBER_METADATA"};

// Clears every client variable on entry and exit (tests in one binary run on one thread).
struct CleanEnv {
  CleanEnv() { Clear(); }
  ~CleanEnv() { Clear(); }
  static void Clear() {
    for (const auto& v : kVars) unsetenv(v.c_str());
  }
};

TEST_CASE("client options: defaults match the documented table") {
  CleanEnv env;
  auto o = ClientOptions::FromEnv();
  REQUIRE(o.has_value());
  CHECK(o->query_addr == "tcp://localhost:5555");
  CHECK(o->register_addr == "tcp://localhost:5556");
  CHECK(o->ns == "default");
  CHECK(o->batch_size == 100);
  CHECK(o->batch_timeout == std::chrono::milliseconds(10));
  CHECK(o->request_timeout == std::chrono::milliseconds(5000));
  CHECK(o->client_id == 0);  // random, chosen at Connect
  CHECK(o->protocol == ProtocolVersion::kV2);
  CHECK(o->local_cache_entries == 0);
  CHECK(o->local_cache_ttl == std::chrono::milliseconds(60000));
}

TEST_CASE("client options: every variable is applied") {
  CleanEnv env;
  setenv("DYN_REGISTRY_CLIENT_QUERY_ADDR", "tcp://hub:1", 1);
  setenv("DYN_REGISTRY_CLIENT_REGISTER_ADDR", "tcp://hub:2", 1);
  setenv("DYN_REGISTRY_CLIENT_NAMESPACE", "ns1", 1);
  setenv("DYN_REGISTRY_CLIENT_BATCH_SIZE", "7", 1);
  setenv("DYN_REGISTRY_CLIENT_BATCH_TIMEOUT_MS", "25", 1);
  setenv("DYN_REGISTRY_CLIENT_REQUEST_TIMEOUT_MS", "1234", 1);
  setenv("DYN_REGISTRY_CLIENT_ID", "0x2a", 1);
  setenv("DYN_REGISTRY_CLIENT_PROTOCOL", "1", 1);
  setenv("DYN_REGISTRY_CLIENT_HWM", "50", 1);
  setenv("DYN_REGISTRY_CLIENT_LOCAL_CACHE", "4096", 1);
  setenv("DYN_REGISTRY_CLIENT_LOCAL_CACHE_TTL_MS", "250", 1);
  setenv("DYN_REGISTRY_CLIENT_EVENTS_ADDR", "tcp://hub:3", 1);
  setenv("DYN_REGISTRY_CLIENT_EVENTS_TIMEOUT_MS", "800", 1);
  auto o = ClientOptions::FromEnv();
  REQUIRE(o.has_value());
  CHECK(o->query_addr == "tcp://hub:1");
  CHECK(o->register_addr == "tcp://hub:2");
  CHECK(o->ns == "ns1");
  CHECK(o->batch_size == 7);
  CHECK(o->batch_timeout == std::chrono::milliseconds(25));
  CHECK(o->request_timeout == std::chrono::milliseconds(1234));
  CHECK(o->client_id == 42);
  CHECK(o->protocol == ProtocolVersion::kV1);
  CHECK(o->hwm == 50);
  CHECK(o->local_cache_entries == 4096);
  CHECK(o->local_cache_ttl == std::chrono::milliseconds(250));
  CHECK(o->events_addr == "tcp://hub:3");
  CHECK(o->events_timeout == std::chrono::milliseconds(800));
}

TEST_CASE("client options: worker membership variables (protocol 2 only)") {
  CleanEnv env;
  setenv("DYN_REGISTRY_CLIENT_MEMBER_TTL_MS", "3000", 1);
  setenv("DYN_REGISTRY_CLIENT_MEMBER_METADATA", "tier=ssd, rack=r1", 1);
  auto o = ClientOptions::FromEnv();
  REQUIRE(o.has_value());
  CHECK(o->member_ttl == std::chrono::milliseconds(3000));
  CHECK(o->member_metadata == MemberMetadataPairs{{"tier", "ssd"}, {"rack", "r1"}});
  setenv("DYN_REGISTRY_CLIENT_PROTOCOL", "1", 1);
  auto v1 = ClientOptions::FromEnv();
  REQUIRE_FALSE(v1.has_value());
  CHECK(v1.error().message().find("protocol 2") != std::string::npos);
}

TEST_CASE("client options: a bad value is an error naming the variable") {
  CleanEnv env;
  for (auto [name, bad] : std::vector<std::pair<std::string, std::string>>{
           {"DYN_REGISTRY_CLIENT_BATCH_SIZE", "0"},
           {"DYN_REGISTRY_CLIENT_BATCH_SIZE", "ten"},
           {"DYN_REGISTRY_CLIENT_BATCH_TIMEOUT_MS", "-1"},
           {"DYN_REGISTRY_CLIENT_REQUEST_TIMEOUT_MS", "5s"},
           {"DYN_REGISTRY_CLIENT_PROTOCOL", "3"},
           {"DYN_REGISTRY_CLIENT_ID", "0"},
           {"DYN_REGISTRY_CLIENT_LOCAL_CACHE", "-5"},
           {"DYN_REGISTRY_CLIENT_LOCAL_CACHE", "lots"},
           {"DYN_REGISTRY_CLIENT_LOCAL_CACHE_TTL_MS", "0"},
           {"DYN_REGISTRY_CLIENT_EVENTS_ADDR", "tcp://a:1,tcp://b:1"},
           {"DYN_REGISTRY_CLIENT_EVENTS_TIMEOUT_MS", "1"},
           {"DYN_REGISTRY_CLIENT_MEMBER_TTL_MS", "soon"},
           {"DYN_REGISTRY_CLIENT_MEMBER_METADATA", "tier"}}) {
    CAPTURE(name);
    CAPTURE(bad);
    CleanEnv::Clear();
    setenv(name.c_str(), bad.c_str(), 1);
    auto o = ClientOptions::FromEnv();
    REQUIRE_FALSE(o.has_value());
    CHECK(o.error().code() == StatusCode::kInvalidArgument);
    CHECK(o.error().message().find(name) != std::string::npos);
  }
}

TEST_CASE("client options: CurveZMQ keys from the variables, bad ones named") {
  CleanEnv env;
  auto hub = GenerateCurveKeyPair();
  auto client = GenerateCurveKeyPair();
  REQUIRE(hub.has_value());
  REQUIRE(client.has_value());
  const std::string prefix = "client_options_test_curve_" + std::to_string(::getpid());
  REQUIRE(WriteCurveKeyPair(prefix, *client).ok());
  setenv("DYN_REGISTRY_CLIENT_CURVE_SERVER_KEY", hub->public_z85.c_str(), 1);
  setenv("DYN_REGISTRY_CLIENT_CURVE_SECRET_KEY_FILE", (prefix + ".key").c_str(), 1);
  auto o = ClientOptions::FromEnv();
  REQUIRE_MESSAGE(o.has_value(), o.error().ToString());
  CHECK(o->curve_server_key == hub->public_z85);
  CHECK(o->curve_secret_key == client->secret_z85);

  setenv("DYN_REGISTRY_CLIENT_CURVE_SERVER_KEY", "not-a-key", 1);
  auto bad_server = ClientOptions::FromEnv();
  REQUIRE_FALSE(bad_server.has_value());
  CHECK(bad_server.error().message().find("DYN_REGISTRY_CLIENT_CURVE_SERVER_KEY") !=
        std::string::npos);

  setenv("DYN_REGISTRY_CLIENT_CURVE_SERVER_KEY", hub->public_z85.c_str(), 1);
  setenv("DYN_REGISTRY_CLIENT_CURVE_SECRET_KEY_FILE", (prefix + ".missing").c_str(), 1);
  auto bad_file = ClientOptions::FromEnv();
  REQUIRE_FALSE(bad_file.has_value());
  CHECK(bad_file.error().message().find("DYN_REGISTRY_CLIENT_CURVE_SECRET_KEY_FILE") !=
        std::string::npos);

  unsetenv("DYN_REGISTRY_CLIENT_CURVE_SECRET_KEY_FILE");  // one without the other
  auto half = ClientOptions::FromEnv();
  REQUIRE_FALSE(half.has_value());
  CHECK(half.error().message().find("DYN_REGISTRY_CLIENT_CURVE_SECRET_KEY_FILE") !=
        std::string::npos);
  std::remove((prefix + ".key").c_str());
  std::remove((prefix + ".pub").c_str());
}

TEST_CASE("client options: client ids from numbers or text, stable routing ids") {
  CHECK(*ParseClientId("42") == 42);
  CHECK(*ParseClientId("0xff") == 255);
  auto a = ParseClientId("worker-7.example");
  auto b = ParseClientId("worker-7.example");
  auto c = ParseClientId("worker-8.example");
  REQUIRE(a.has_value());
  CHECK(*a == *b);  // text is hashed, deterministically
  CHECK(*a != *c);
  CHECK(*a != 0);
  CHECK_FALSE(ParseClientId("").has_value());
  CHECK(RoutingIdFor(0x2a) == "bh-000000000000002a");
  CHECK(RoutingIdFor(*a) == RoutingIdFor(*b));
  CHECK(RandomClientId() != 0);
  CHECK(RandomClientId() != RandomClientId());
}

TEST_CASE("client options: the builder validates") {
  auto ok = ClientOptionsBuilder()
                .query_addr("tcp://127.0.0.1:1")
                .batch_size(8)
                .batch_timeout(std::chrono::milliseconds(3))
                .hwm(100)
                .Build();
  REQUIRE(ok.has_value());
  CHECK(ok->batch_size == 8);
  CHECK(ok->hwm == 100);
  CHECK_FALSE(ClientOptionsBuilder().batch_size(0).Build().has_value());
  CHECK_FALSE(
      ClientOptionsBuilder().request_timeout(std::chrono::milliseconds(0)).Build().has_value());
  CHECK_FALSE(ClientOptionsBuilder().query_addr("").Build().has_value());
}

TEST_CASE("client options: hub lists pair the i-th query endpoint with the i-th register one") {
  auto one = ParseHubList("tcp://a:1", "tcp://a:2");
  REQUIRE(one.has_value());
  REQUIRE(one->size() == 1);
  CHECK((*one)[0].query_addr == "tcp://a:1");
  CHECK((*one)[0].register_addr == "tcp://a:2");
  auto two = ParseHubList("tcp://a:1, tcp://b:1", "tcp://a:2,tcp://b:2");
  REQUIRE(two.has_value());
  REQUIRE(two->size() == 2);
  CHECK((*two)[1].query_addr == "tcp://b:1");  // spaces around entries are ignored
  CHECK((*two)[1].register_addr == "tcp://b:2");
  auto mismatch = ParseHubList("tcp://a:1,tcp://b:1", "tcp://a:2", "QNAME", "RNAME");
  REQUIRE_FALSE(mismatch.has_value());
  CHECK(mismatch.error().code() == StatusCode::kInvalidArgument);
  CHECK(mismatch.error().message().find("QNAME lists 2") != std::string::npos);
  CHECK(mismatch.error().message().find("RNAME lists 1") != std::string::npos);
  auto empty = ParseHubList("tcp://a:1,,tcp://b:1", "x,y,z", "QNAME", "RNAME");
  REQUIRE_FALSE(empty.has_value());
  CHECK(empty.error().message().find("QNAME") != std::string::npos);
  CHECK_FALSE(ParseHubList("tcp://a:1,", "tcp://a:2,").has_value());
  std::string many, many_r;
  for (size_t i = 0; i <= kMaxHubs; ++i) {
    many += (i ? ",tcp://h:" : "tcp://h:") + std::to_string(i);
    many_r += (i ? ",tcp://r:" : "tcp://r:") + std::to_string(i);
  }
  CHECK_FALSE(ParseHubList(many, many_r).has_value());
}

TEST_CASE("client options: hub lists from the environment, a count mismatch names the variable") {
  CleanEnv env;
  setenv("DYN_REGISTRY_CLIENT_QUERY_ADDR", "tcp://h1:5555,tcp://h2:5555", 1);
  setenv("DYN_REGISTRY_CLIENT_REGISTER_ADDR", "tcp://h1:5556,tcp://h2:5556", 1);
  auto o = ClientOptions::FromEnv();
  REQUIRE(o.has_value());
  auto hubs = o->hubs();
  REQUIRE(hubs.has_value());
  REQUIRE(hubs->size() == 2);
  CHECK((*hubs)[1].query_addr == "tcp://h2:5555");
  CHECK((*hubs)[1].register_addr == "tcp://h2:5556");
  // One register endpoint for two query endpoints (the default register address counts too).
  CleanEnv::Clear();
  setenv("DYN_REGISTRY_CLIENT_QUERY_ADDR", "tcp://h1:5555,tcp://h2:5555", 1);
  auto bad = ClientOptions::FromEnv();
  REQUIRE_FALSE(bad.has_value());
  CHECK(bad.error().code() == StatusCode::kInvalidArgument);
  CHECK(bad.error().message().find("DYN_REGISTRY_CLIENT_QUERY_ADDR") != std::string::npos);
  CHECK(bad.error().message().find("DYN_REGISTRY_CLIENT_REGISTER_ADDR") != std::string::npos);
}

TEST_CASE("client options: the builder takes a hub list, and checks lists set by hand") {
  auto o =
      ClientOptionsBuilder().hubs({{"tcp://a:1", "tcp://a:2"}, {"tcp://b:1", "tcp://b:2"}}).Build();
  REQUIRE(o.has_value());
  CHECK(o->query_addr == "tcp://a:1,tcp://b:1");
  CHECK(o->register_addr == "tcp://a:2,tcp://b:2");
  REQUIRE(o->hubs().has_value());
  CHECK(o->hubs()->size() == 2);
  auto bad = ClientOptionsBuilder().query_addr("tcp://a:1,tcp://b:1").Build();
  REQUIRE_FALSE(bad.has_value());
  CHECK(bad.error().code() == StatusCode::kInvalidArgument);
  CHECK_FALSE(ClientOptionsBuilder().hubs({}).Build().has_value());
}

}  // namespace
}  // namespace blockhub
