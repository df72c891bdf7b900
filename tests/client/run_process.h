// RunProcess: runs a program to completion with a bounded wait, capturing stdout and stderr — for
// tests that drive the `blockhub` CLI and the client example as separate processes.
// A child still running at the deadline is SIGKILLed and reaped. Not thread-safe per call site.
//
// ChildProcess: the same, for a program that runs alongside the test (`blockhub watch`): its
// output is read as it comes (ReadUntil, bounded), and the destructor SIGKILLs and reaps a child
// still running, so a failing test leaves nothing behind. Move-only, one owner.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "common/status.h"

namespace blockhub::testing {

struct ProcessResult {
  int exit_code = -1;  // exit status, or 128 + signal
  std::string out;
  std::string err;
};

// `env` entries are added to (or replace in) the child's environment; every other DYN_REGISTRY_*
// variable of the test process is removed first.
Result<ProcessResult> RunProcess(
    const std::string& path, const std::vector<std::string>& args,
    const std::vector<std::pair<std::string, std::string>>& env = {},
    std::chrono::milliseconds timeout = std::chrono::milliseconds(20'000));

class ChildProcess {
 public:
  // Starts `path` with `args`; the environment as for RunProcess.
  static Result<ChildProcess> Start(
      const std::string& path, const std::vector<std::string>& args,
      const std::vector<std::pair<std::string, std::string>>& env = {});

  ChildProcess(ChildProcess&& other) noexcept;
  ChildProcess& operator=(ChildProcess&& other) noexcept;
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;
  ~ChildProcess();  // SIGKILL + reap if still running

  // Reads stdout and stderr until `done()` holds (checked after every read and at the start),
  // both pipes are closed, or `timeout` has passed. Returns done().
  bool ReadUntil(const std::function<bool()>& done, std::chrono::milliseconds timeout);
  // What the child wrote so far.
  const std::string& out() const { return out_; }
  const std::string& err() const { return err_; }
  // False once both pipes reached their end (the child exited or closed them).
  bool output_open() const { return fds_[0] >= 0 || fds_[1] >= 0; }
  Status Signal(int signal);
  // Reads to the end of both pipes and reaps the child, at most `timeout`; past it the child is
  // SIGKILLed and reaped and a Timeout error returned. The result holds all the output.
  Result<ProcessResult> Wait(std::chrono::milliseconds timeout);
  pid_t pid() const { return pid_; }

 private:
  ChildProcess() = default;
  void Reset();  // SIGKILL, close, reap

  pid_t pid_ = -1;
  int fds_[2] = {-1, -1};  // stdout, stderr
  std::string out_;
  std::string err_;
};

}  // namespace blockhub::testing
