// ZmqTarget: the load generator's Target for anything that speaks the blockhub wire protocol over
// ZeroMQ — blockhubd itself and the echo server (bench_echo.cpp). Each client gets its own DEALER
// (query channel, routing id = its client id) and its own PUSH (registration channel); frames are
// built by the project codec exactly as the client library builds them, replies are decoded by it.
// Owned by the bench area.
//
// Fire-and-forget registrations are confirmed with v2 Stats: BeforeRun() reads the target's
// `server_register_entries`, AwaitApplied() polls it (every 0.5 ms) until it has grown by the
// number of entries pushed. The echo server keeps that counter too, so both targets are timed the
// same way.
//
// Threading: Connect() may be called from several threads (each socket is then used by its own
// thread only); BeforeRun/AwaitApplied from one thread. The ZeroMQ context outlives every socket.
#pragma once

#include <memory>
#include <string>

#include "tools/bench/loadgen_driver.h"

namespace blockhub::bench {

struct ZmqTargetOptions {
  std::string name = "blockhub";  // RESULT line name
  std::string query_addr = "tcp://127.0.0.1:5555";
  std::string register_addr = "tcp://127.0.0.1:5556";
  int io_threads = 1;
  // CurveZMQ on every socket when curve_server_key is set (Z85; the client's public key is derived
  // from the secret one read from --curve-secret-key-file).
  std::string curve_server_key;
  std::string curve_secret_key_file;
  std::string curve_secret_key;
  std::string curve_public_key;
  // --subscribe: the hub's change-event endpoint (its ready line's events=); empty = none. The
  // load then runs with one subscriber (loadgen_subscriber.h) that is live before the first
  // request and reports what it received.
  std::string subscribe;
};

// Returns nullptr and prints why when the ZeroMQ context cannot be created.
std::unique_ptr<Target> MakeZmqTarget(const ZmqTargetOptions& zmq_options,
                                      const WorkloadOptions& workload);

// Adds --query-addr, --register-addr, --io-threads, the curve options and --subscribe.
void AddZmqTargetOptions(CLI::App& app, ZmqTargetOptions& options);

// The `hub` and `echo` subcommands: parse options, run the load, print RESULT.
int RunZmqLoad(int argc, char** argv, const std::string& target_name);

}  // namespace blockhub::bench
