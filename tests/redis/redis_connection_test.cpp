// RedisConnection against a real redis-server: pipelines (binary-safe, every reply type), AUTH,
// reconnect after the server dropped the connection, command timeouts, the bounded backoff
// (driven by a ManualClock, no sleeps), and deadlines.
#include "hub/store/redis/redis_connection.h"

#include <doctest/doctest.h>

#include <chrono>
#include <string>
#include <vector>

#include "tests/support/redis_cluster.h"

namespace blockhub::redis {
namespace {

using namespace std::chrono_literals;
using blockhub::testing::LocalRedisServer;

TEST_CASE("RedisConnection: a pipeline gets one reply per command, of every type, binary-safe") {
  auto server = LocalRedisServer::Start();
  REQUIRE_MESSAGE(server.has_value(), server.status().message());
  RedisConnection conn("127.0.0.1", server->port());
  const std::string binary("k\0\xff\r\n", 5);
  const std::string value("v\0\r\n\x01", 5);
  std::vector<Command> commands = {{"SET", binary, value},     {"GET", binary},
                                   {"GET", "missing"},         {"INCR", "n"},
                                   {"INCR", binary},           {"RPUSH", "l", "a", "b"},
                                   {"LRANGE", "l", "0", "-1"}, {"NO-SUCH-COMMAND"}};
  for (int i = 0; i < 1000; ++i) commands.push_back({"INCR", "n"});
  PipelineResult r = conn.Pipeline(commands);
  REQUIRE_MESSAGE(r.status.ok(), r.status.message());
  REQUIRE(r.replies.size() == commands.size());
  CHECK(r.sent);
  CHECK(r.replies[0] == Reply::StatusText("OK"));
  CHECK(r.replies[1] == Reply::String(value));
  CHECK(r.replies[2].is_nil());
  CHECK(r.replies[3] == Reply::Integer(1));
  CHECK(r.replies[4].is_error());  // not an integer: an error reply, the pipeline goes on
  CHECK(r.replies[4].str.find("not an integer") != std::string::npos);
  CHECK(r.replies[5] == Reply::Integer(2));
  CHECK(r.replies[6] == Reply::Array({Reply::String("a"), Reply::String("b")}));
  CHECK(r.replies[7].IsErrorWord("ERR"));
  CHECK(r.replies.back() == Reply::Integer(1001));
  CHECK(conn.connect_attempts() == 1);
  CHECK(conn.connected());

  auto empty = conn.Run({});
  CHECK(empty.status().code() == StatusCode::kInvalidArgument);
  CHECK(*conn.Run({"GET", "n"}) == Reply::String("1001"));  // reconnected after the bad call
}

TEST_CASE("RedisConnection: AUTH with the password, refused without or with a wrong one") {
  auto server = LocalRedisServer::Start();
  REQUIRE_MESSAGE(server.has_value(), server.status().message());
  RedisConnection admin("127.0.0.1", server->port());
  REQUIRE(*admin.Run({"CONFIG", "SET", "requirepass", "s3cret"}) == Reply::StatusText("OK"));

  RedisConnection anonymous("127.0.0.1", server->port());
  auto refused = anonymous.Run({"SET", "k", "v"});
  REQUIRE(refused.has_value());
  CHECK(refused->IsErrorWord("NOAUTH"));

  ConnectionOptions wrong;
  wrong.password = "wrong";
  RedisConnection bad("127.0.0.1", server->port(), wrong);
  auto denied = bad.Run({"PING"});
  CHECK(denied.status().code() == StatusCode::kPermissionDenied);
  CHECK(denied.status().message().find("AUTH refused") != std::string::npos);
  CHECK_FALSE(bad.connected());

  ConnectionOptions right;
  right.password = "s3cret";
  RedisConnection good("127.0.0.1", server->port(), right);
  CHECK(*good.Run({"SET", "k", "v"}) == Reply::StatusText("OK"));
  CHECK(*good.Run({"GET", "k"}) == Reply::String("v"));
}

TEST_CASE("RedisConnection: reconnects after the server dropped the connection") {
  auto server = LocalRedisServer::Start();
  REQUIRE_MESSAGE(server.has_value(), server.status().message());
  RedisConnection conn("127.0.0.1", server->port());
  auto id = conn.Run({"CLIENT", "ID"});
  REQUIRE(id.has_value());
  REQUIRE(id->type == Reply::Type::kInteger);
  RedisConnection killer("127.0.0.1", server->port());
  REQUIRE(*killer.Run({"CLIENT", "KILL", "ID", std::to_string(id->integer)}) == Reply::Integer(1));

  auto lost = conn.Run({"PING"});
  CHECK(lost.status().code() == StatusCode::kUnavailable);
  CHECK(lost.status().message().find("127.0.0.1:" + std::to_string(server->port())) !=
        std::string::npos);
  CHECK_FALSE(conn.connected());
  CHECK(*conn.Run({"PING"}) == Reply::StatusText("PONG"));  // no backoff after a lost link
  CHECK(conn.connect_attempts() == 2);
}

TEST_CASE("RedisConnection: a command that outlives the command timeout fails with kTimeout") {
  auto server = LocalRedisServer::Start();
  REQUIRE_MESSAGE(server.has_value(), server.status().message());
  ConnectionOptions options;
  options.command_timeout = 200ms;
  RedisConnection conn("127.0.0.1", server->port(), options);
  const auto start = std::chrono::steady_clock::now();
  PipelineResult r = conn.Pipeline(std::vector<Command>{{"PING"}, {"BLPOP", "empty", "5"}});
  const auto took = std::chrono::steady_clock::now() - start;
  CHECK(r.status.code() == StatusCode::kTimeout);
  CHECK(r.status.message().find("timed out") != std::string::npos);
  REQUIRE(r.replies.size() == 1);  // the reply read before the timeout is kept
  CHECK(r.replies[0] == Reply::StatusText("PONG"));
  CHECK(took < 2s);
  CHECK(*conn.Run({"PING"}) == Reply::StatusText("PONG"));

  // A deadline sooner than the command timeout bounds the wait too.
  const auto deadline = std::chrono::steady_clock::now() + 50ms;
  auto bounded = conn.Run({"BLPOP", "empty", "5"}, TimePoint(deadline.time_since_epoch()));
  CHECK(bounded.status().code() == StatusCode::kTimeout);
  CHECK(std::chrono::steady_clock::now() - deadline < 1s);
  // A deadline that has passed: nothing is sent.
  PipelineResult late = conn.Pipeline(std::vector<Command>{{"PING"}}, SteadyClock().Now() - 1ms);
  CHECK(late.status.code() == StatusCode::kTimeout);
  CHECK_FALSE(late.sent);
}

TEST_CASE("RedisConnection: failed connects back off exponentially, capped, reset on success") {
  auto server = LocalRedisServer::Start();
  REQUIRE_MESSAGE(server.has_value(), server.status().message());
  const int port = server->port();
  server->Kill();  // nothing listens on the port now: connects are refused at once
  ManualClock clock;
  ConnectionOptions options;
  options.backoff_initial = 10ms;
  options.backoff_max = 80ms;
  options.clock = &clock;
  RedisConnection conn("127.0.0.1", port, options);

  auto first = conn.Run({"PING"});
  CHECK(first.status().code() == StatusCode::kUnavailable);
  CHECK(conn.connect_attempts() == 1);
  CHECK(conn.backoff() == 10ms);
  // Within the backoff: refused without a connect attempt.
  auto backing_off = conn.Run({"PING"});
  CHECK(backing_off.status().code() == StatusCode::kUnavailable);
  CHECK(backing_off.status().message().find("backing off") != std::string::npos);
  CHECK(conn.connect_attempts() == 1);

  std::vector<Duration> delays;
  for (int i = 0; i < 6; ++i) {
    clock.Advance(conn.backoff());
    CHECK_FALSE(conn.Run({"PING"}).has_value());
    delays.push_back(conn.backoff());
  }
  CHECK(conn.connect_attempts() == 7);
  CHECK(delays == std::vector<Duration>{20ms, 40ms, 80ms, 80ms, 80ms, 80ms});
}

}  // namespace
}  // namespace blockhub::redis
