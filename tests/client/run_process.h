// RunProcess: runs a program to completion with a bounded wait, capturing stdout and stderr — for
// tests that drive the `blockhub` CLI and the client example as separate processes.
// A child still running at the deadline is SIGKILLed and reaped. Not thread-safe per call site.
#pragma once

#include <chrono>
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

}  // namespace blockhub::testing
