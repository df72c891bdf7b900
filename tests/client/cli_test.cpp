// The `blockhub` CLI and the README client example, run as processes: help, usage errors, decode of
// golden frames, and every subcommand against a real blockhubd with --json output parsed.
#include <doctest/doctest.h>

#include <boost/json/src.hpp>  // header-only Boost.JSON, compiled into this file only
#include <string>
#include <vector>

#include "tests/client/run_process.h"
#include "tests/support/hub_process.h"

namespace blockhub {
namespace {

namespace json = boost::json;
using testing::HubProcess;
using testing::ProcessResult;
using testing::RunProcess;

ProcessResult Cli(const std::vector<std::string>& args,
                  const std::vector<std::pair<std::string, std::string>>& env = {}) {
  auto r = RunProcess(BLOCKHUB_CLI_PATH, args, env);
  REQUIRE_MESSAGE(r.has_value(), r.error().ToString());
  return *r;
}

json::object Json(const ProcessResult& r) {
  INFO("stdout: " << r.out << " stderr: " << r.err);
  std::error_code ec;
  json::value v = json::parse(r.out, ec);
  REQUIRE_FALSE(ec);
  REQUIRE(v.is_object());
  return v.as_object();
}

TEST_CASE("cli: --help explains every option and subcommand") {
  auto r = Cli({"--help"});
  CHECK(r.exit_code == 0);
  for (const char* word :
       {"--query-addr", "--register-addr", "--timeout-ms", "--client-id",
        "--protocol",   "--key-format",    "--json",       "DYN_REGISTRY_CLIENT_QUERY_ADDR",
        "can-offload",  "register",        "match",        "remove",
        "touch",        "renew",           "release",      "hello",
        "stats",        "decode",          "watch",        "Exit codes"}) {
    CAPTURE(word);
    CHECK(r.out.find(word) != std::string::npos);
  }
  for (const char* sub : {"can-offload", "register", "match", "remove", "touch", "renew", "release",
                          "hello", "stats", "decode", "watch"}) {
    CAPTURE(sub);
    auto s = Cli({sub, "--help"});
    CHECK(s.exit_code == 0);
    CHECK(s.out.find("Usage") != std::string::npos);
  }
  CHECK(Cli({"match", "--help"}).out.find("--prefix") != std::string::npos);
}

TEST_CASE("cli: usage errors exit 2") {
  CHECK(Cli({}).exit_code == 2);
  CHECK(Cli({"frobnicate"}).exit_code == 2);
  CHECK(Cli({"--protocol", "3", "stats"}).exit_code == 2);
  CHECK(Cli({"--key-format", "u64", "touch", "not-a-number"}).exit_code == 2);
  CHECK(Cli({"register", "0a0b"}).exit_code == 2);  // no =VALUE
  CHECK(Cli({"stats"}, {{"DYN_REGISTRY_CLIENT_BATCH_SIZE", "zero"}}).exit_code == 2);
  auto bad_env = Cli({"stats"}, {{"DYN_REGISTRY_CLIENT_PROTOCOL", "9"}});
  CHECK(bad_env.err.find("DYN_REGISTRY_CLIENT_PROTOCOL") != std::string::npos);
}

TEST_CASE("cli: decode golden frames, with and without a request id") {
  auto reply = Cli({"decode", "01 00 00 00 01 04 02 00 00 00 01 00", "--json"});
  REQUIRE(reply.exit_code == 0);
  auto o = Json(reply);
  CHECK(o.at("request_id").as_int64() == 1);
  CHECK(o.at("type").as_string() == "CanOffloadResponse");
  CHECK(o.at("version").as_int64() == 1);
  std::string text(o.at("rendered").as_string());
  CHECK(text.find("AlreadyStored") < text.find("Granted"));

  auto reg =
      Cli({"--key-format", "u64", "decode",
           "01 01 01 00 00 00 08 00 01 00 00 00 00 00 00 00 08 00 64 00 00 00 00 00 00 00 00 00"});
  REQUIRE(reg.exit_code == 0);
  CHECK(reg.out.find("request id") == std::string::npos);  // a bare message
  CHECK(reg.out.find("Register") != std::string::npos);
  CHECK(reg.out.find("key=1") != std::string::npos);
  CHECK(reg.out.find("u64 100") != std::string::npos);

  auto err = Cli({"decode", "010a03006261 64"});  // ErrorResponse "bad", split hex
  REQUIRE(err.exit_code == 0);
  CHECK(err.out.find("bad") != std::string::npos);
  CHECK(Cli({"decode", "0102"}).exit_code == 1);  // not a valid frame
  CHECK(Cli({"decode", "zz"}).exit_code == 2);    // not hex
}

TEST_CASE("cli: every subcommand against a real hub (--json)") {
  testing::HubProcessOptions ho;
  ho.args = {"--key-format", "u64"};
  auto started = HubProcess::Start(ho);
  REQUIRE_MESSAGE(started.has_value(), started.error().ToString());
  HubProcess& hub = *started;
  std::vector<std::string> conn = {"--query-addr",    hub.query_endpoint(),
                                   "--register-addr", hub.register_endpoint(),
                                   "--key-format",    "u64",
                                   "--json",          "--client-id",
                                   "worker-1"};
  auto run = [&](std::vector<std::string> args) {
    args.insert(args.begin(), conn.begin(), conn.end());
    auto r = Cli(args);
    INFO("args: " << args.back() << " stderr: " << r.err);
    REQUIRE(r.exit_code == 0);
    return Json(r);
  };

  auto hello = run({"hello"});
  CHECK(hello.at("key_format").as_string() == "u64");
  auto offload = run({"can-offload", "1", "0x2"});
  CHECK(offload.at("granted").as_array().size() == 2);
  CHECK(offload.at("statuses").as_array()[1].as_object().at("key").as_string() == "2");
  auto renew = run({"renew", "1"});  // same --client-id: its lease
  CHECK(renew.at("statuses").as_array()[0].as_object().at("status").as_string() == "renewed");
  auto reg = run({"register", "1=u64:100", "3=0a0b=0000000000000000"});
  CHECK(reg.at("statuses").as_array()[0].as_object().at("status").as_string() == "stored");
  auto match = run({"match", "1", "2", "3"});
  auto entries = match.at("entries").as_array();
  REQUIRE(entries.size() == 2);
  CHECK(entries[0].as_object().at("key").as_string() == "1");
  CHECK(entries[0].as_object().at("value").as_string() == "u64 100");
  CHECK(entries[1].as_object().at("value_hex").as_string() == "0a0b");
  CHECK(run({"match", "--prefix", "1", "2", "3"}).at("entries").as_array().size() == 1);
  CHECK(run({"touch", "1", "2", "3"}).at("touched").as_int64() == 2);
  CHECK(run({"release", "2"}).at("released").as_int64() == 1);
  CHECK(run({"remove", "1", "3"}).at("removed").as_int64() == 2);
  CHECK(run({"stats"}).at("counters").as_object().size() > 0);

  // Human output too.
  std::vector<std::string> human = {"--query-addr", hub.query_endpoint(), "--key-format",
                                    "u64",          "can-offload",        "7"};
  auto text = Cli(human);
  CHECK(text.exit_code == 0);
  CHECK(text.out.find("granted") != std::string::npos);

  // Protocol 1: register is fire-and-forget + flush.
  auto v1 = Cli({"--query-addr", hub.query_endpoint(), "--register-addr", hub.register_endpoint(),
                 "--key-format", "u64", "--protocol", "1", "--json", "register", "9=u64:9"});
  CHECK(v1.exit_code == 0);
  CHECK(Json(v1).at("sent").as_int64() == 1);

  // A hub that is gone: exit 1 after the timeout.
  std::string query = hub.query_endpoint();
  hub.Kill();
  auto down = Cli({"--query-addr", query, "--timeout-ms", "200", "--json", "touch", "0a"});
  CHECK(down.exit_code == 1);
  CHECK(Json(down).at("code").as_string() == "timeout");
}

TEST_CASE("cli: the README client example runs against a real hub") {
  auto started = HubProcess::Start();
  REQUIRE_MESSAGE(started.has_value(), started.error().ToString());
  auto r = RunProcess(BLOCKHUB_CLIENT_EXAMPLE_PATH, {},
                      {{"DYN_REGISTRY_CLIENT_QUERY_ADDR", started->query_endpoint()},
                       {"DYN_REGISTRY_CLIENT_REGISTER_ADDR", started->register_endpoint()}});
  REQUIRE(r.has_value());
  INFO("stderr: " << r->err);
  CHECK(r->exit_code == 0);
  CHECK(r->out.find("block-01 -> s3://bucket/block-01") != std::string::npos);
  CHECK(r->out.find("block-03 -> s3://bucket/block-03") != std::string::npos);
}

TEST_CASE("cli: hub lists — a count mismatch is a usage error naming the flag or variable") {
  auto flags = Cli({"--query-addr", "tcp://127.0.0.1:1,tcp://127.0.0.1:2", "--register-addr",
                    "tcp://127.0.0.1:3", "stats"});
  CHECK(flags.exit_code == 2);
  CHECK(flags.err.find("--query-addr lists 2") != std::string::npos);
  CHECK(flags.err.find("--register-addr lists 1") != std::string::npos);
  auto env = Cli({"stats"}, {{"DYN_REGISTRY_CLIENT_QUERY_ADDR", "tcp://127.0.0.1:1"},
                             {"DYN_REGISTRY_CLIENT_REGISTER_ADDR", "tcp://127.0.0.1:3,"}});
  CHECK(env.exit_code == 2);
  CHECK(env.err.find("DYN_REGISTRY_CLIENT_REGISTER_ADDR") != std::string::npos);
}

TEST_CASE("cli: stats with a hub list shows how the client saw each hub") {
  auto a = HubProcess::Start();
  REQUIRE_MESSAGE(a.has_value(), a.error().ToString());
  auto b = HubProcess::Start();
  REQUIRE_MESSAGE(b.has_value(), b.error().ToString());
  auto r = Cli({"--query-addr", a->query_endpoint() + "," + b->query_endpoint(), "--register-addr",
                a->register_endpoint() + "," + b->register_endpoint(), "--json", "stats"});
  INFO("stderr: " << r.err);
  REQUIRE(r.exit_code == 0);
  auto o = Json(r);
  auto client = o.at("client").as_object();
  CHECK(client.at("failovers").as_int64() == 0);
  auto hubs = client.at("hubs").as_array();
  REQUIRE(hubs.size() == 2);
  CHECK(hubs[0].as_object().at("query_addr").as_string() == a->query_endpoint());
  CHECK(hubs[0].as_object().at("current").as_bool());
  CHECK(hubs[0].as_object().at("replies").as_int64() == 1);  // the Stats reply
  CHECK(hubs[1].as_object().at("state").as_string() == "live");
  CHECK(hubs[1].as_object().at("attempts").as_int64() == 0);
}

}  // namespace
}  // namespace blockhub
