// HubProcess: runs the real blockhubd binary as a child process for integration tests.
//
// Start() fork/execs the built blockhubd (path compiled in as BLOCKHUBD_PATH) with the given
// arguments and environment, on `tcp://127.0.0.1:*` endpoints unless the caller names its own, and
// waits (bounded, by polling the stdout pipe — no sleeps) for its single
// `ready query=<ep> register=<ep>` line. The destructor always SIGKILLs and reaps a child that is
// still running, so a failing test never leaves a hub behind; the child also gets SIGKILL if the
// test process dies (PR_SET_PDEATHSIG).
//
// RunBlockhubd() runs blockhubd to completion (for --help and bad-configuration tests) and returns
// its exit code and captured output.
//
// Ownership: a HubProcess owns its child and the pipe; move-only. Not thread-safe (one owner).
#pragma once

#include <signal.h>
#include <sys/types.h>

#include <chrono>
#include <string>
#include <utility>
#include <vector>

#include "common/status.h"

namespace blockhub::testing {

// The path of the blockhubd binary the tests run.
const char* BlockhubdPath();

struct HubProcessOptions {
  std::vector<std::string> args;  // extra command-line arguments
  // Extra environment variables. Every DYN_REGISTRY_* variable of the test process is removed
  // from the child's environment first, so tests are not influenced by the caller's shell.
  std::vector<std::pair<std::string, std::string>> env;
  // Add --query-addr/--register-addr tcp://127.0.0.1:* unless `args` already names them.
  bool loopback_endpoints = true;
  // true: serve metrics on 127.0.0.1:0 (see metrics_url()); false: --metrics-addr off, so hubs
  // never contend for the default port 9108. Neither is added when `args` names --metrics-addr
  // or `env` sets DYN_REGISTRY_HUB_METRICS_ADDR.
  bool metrics = false;
  // true: pass no --metrics-addr at all, so the binary's default address (0.0.0.0:9108) applies.
  bool default_metrics_addr = false;
  std::chrono::milliseconds ready_timeout{10'000};
  // If set, the child's stderr (its log) goes to this file (created/truncated) instead of the
  // test's stderr, so a test can read the log after the hub exits.
  std::string stderr_path;
};

// Options with these arguments and environment, the rest default.
inline HubProcessOptions HubArgs(std::vector<std::string> args,
                                 std::vector<std::pair<std::string, std::string>> env = {}) {
  HubProcessOptions options;
  options.args = std::move(args);
  options.env = std::move(env);
  return options;
}

// Exit code of a finished child: its exit status, or 128 + signal number if it was killed.
struct ProcessExit {
  int code = -1;
  bool signaled = false;
};

class HubProcess {
 public:
  static Result<HubProcess> Start(HubProcessOptions options = {});

  HubProcess(HubProcess&& other) noexcept;
  HubProcess& operator=(HubProcess&& other) noexcept;
  HubProcess(const HubProcess&) = delete;
  HubProcess& operator=(const HubProcess&) = delete;
  ~HubProcess();  // SIGKILL + reap if still running

  const std::string& query_endpoint() const { return query_endpoint_; }
  const std::string& register_endpoint() const { return register_endpoint_; }
  // "http://127.0.0.1:<port>" from the ready line; empty when metrics are off.
  const std::string& metrics_url() const { return metrics_url_; }
  // The ready line's events= endpoint (empty when the hub publishes no events).
  const std::string& events_endpoint() const { return events_endpoint_; }
  pid_t pid() const { return pid_; }
  bool running() const { return pid_ > 0; }

  // Sends SIGTERM and waits up to `timeout` for the exit. On timeout the child is SIGKILLed and
  // reaped and a Timeout error is returned.
  Result<ProcessExit> Stop(std::chrono::milliseconds timeout = std::chrono::milliseconds(5000));
  // Sends `signal` without waiting (e.g. SIGINT); then call Wait.
  Status Signal(int signal);
  // SIGSTOP, returning once the whole child is stopped (so it handles nothing until Resume);
  // Resume sends SIGCONT. For tests that queue input for a hub frozen at a known point.
  Status Pause();
  Status Resume() { return Signal(SIGCONT); }
  // Waits up to `timeout` for the child to exit (it must be going to exit by itself).
  Result<ProcessExit> Wait(std::chrono::milliseconds timeout);
  // SIGKILL and reap.
  void Kill();

 private:
  HubProcess() = default;
  void Reset();

  pid_t pid_ = -1;
  int stdout_fd_ = -1;
  int pid_fd_ = -1;  // pidfd for bounded waits
  std::string query_endpoint_;
  std::string register_endpoint_;
  std::string metrics_url_;
  std::string events_endpoint_;
};

struct ProcessOutput {
  ProcessExit exit;
  std::string stdout_text;
  std::string stderr_text;
};

// Runs blockhubd with `args` and `env` (DYN_REGISTRY_* cleared first, as above) until it exits,
// at most `timeout` (then it is killed and a Timeout error returned).
Result<ProcessOutput> RunBlockhubd(
    const std::vector<std::string>& args,
    const std::vector<std::pair<std::string, std::string>>& env = {},
    std::chrono::milliseconds timeout = std::chrono::milliseconds(10'000));

}  // namespace blockhub::testing
