#include "tests/support/hub_process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string_view>

extern char** environ;

namespace blockhub::testing {
namespace {

using Clock = std::chrono::steady_clock;

#ifndef BLOCKHUBD_PATH
#error "BLOCKHUBD_PATH must be defined by the build (the path of the blockhubd binary)"
#endif

struct Spawned {
  pid_t pid = -1;
  int stdout_fd = -1;
  int stderr_fd = -1;  // -1 when stderr is inherited
};

std::vector<std::string> BuildEnvironment(
    const std::vector<std::pair<std::string, std::string>>& extra) {
  std::vector<std::string> env;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    if (std::string_view(*e).starts_with("DYN_REGISTRY_")) continue;
    env.emplace_back(*e);
  }
  for (const auto& [name, value] : extra) env.push_back(name + "=" + value);
  return env;
}

std::vector<char*> CStrings(std::vector<std::string>& strings) {
  std::vector<char*> out;
  for (auto& s : strings) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

// fork/exec with stdout (and optionally stderr) on pipes. Everything the child needs is prepared
// before fork; the child only makes async-signal-safe calls.
Result<Spawned> Spawn(std::vector<std::string> argv, std::vector<std::string> env,
                      bool capture_stderr, const std::string& stderr_path = {}) {
  int out_pipe[2];
  int err_pipe[2] = {-1, -1};
  if (pipe2(out_pipe, O_CLOEXEC) != 0) return IoError(std::string("pipe: ") + strerror(errno));
  if (capture_stderr && pipe2(err_pipe, O_CLOEXEC) != 0) {
    close(out_pipe[0]);
    close(out_pipe[1]);
    return IoError(std::string("pipe: ") + strerror(errno));
  }
  std::vector<char*> c_argv = CStrings(argv);
  std::vector<char*> c_env = CStrings(env);
  const pid_t parent = getpid();
  const pid_t pid = fork();
  if (pid < 0) return IoError(std::string("fork: ") + strerror(errno));
  if (pid == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(127);  // the parent died before prctl took effect
    dup2(out_pipe[1], STDOUT_FILENO);
    if (capture_stderr) dup2(err_pipe[1], STDERR_FILENO);
    if (!stderr_path.empty()) {
      const int fd = open(stderr_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
      if (fd < 0) _exit(126);
      dup2(fd, STDERR_FILENO);
    }
    execve(c_argv[0], c_argv.data(), c_env.data());
    _exit(127);
  }
  close(out_pipe[1]);
  if (capture_stderr) close(err_pipe[1]);
  return Spawned{pid, out_pipe[0], capture_stderr ? err_pipe[0] : -1};
}

int RemainingMs(Clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  return static_cast<int>(std::max<int64_t>(0, left.count()));
}

ProcessExit DecodeWaitStatus(int status) {
  if (WIFSIGNALED(status)) return ProcessExit{128 + WTERMSIG(status), true};
  return ProcessExit{WEXITSTATUS(status), false};
}

bool HasArg(const std::vector<std::string>& args, std::string_view flag) {
  return std::any_of(args.begin(), args.end(), [&](const std::string& a) {
    return a == flag || std::string_view(a).starts_with(std::string(flag) + "=");
  });
}

// Parses `ready query=<ep> register=<ep>[ metrics=<url>][ events=<ep>]`.
Status ParseReadyLine(std::string_view line, std::string& query, std::string& reg,
                      std::string& metrics, std::string& events) {
  constexpr std::string_view kQuery = "ready query=";
  constexpr std::string_view kRegister = " register=";
  if (!line.starts_with(kQuery))
    return InternalError("unexpected first stdout line: " + std::string(line));
  line.remove_prefix(kQuery.size());
  const size_t sep = line.find(kRegister);
  if (sep == std::string_view::npos) return InternalError("no register= in the ready line");
  query = std::string(line.substr(0, sep));
  std::string_view rest = line.substr(sep + kRegister.size());
  reg = std::string(rest.substr(0, rest.find(' ')));
  constexpr std::string_view kMetrics = " metrics=";
  const size_t m = rest.find(kMetrics);
  metrics.clear();
  if (m != std::string_view::npos) {
    std::string_view url = rest.substr(m + kMetrics.size());
    metrics = std::string(url.substr(0, url.find(' ')));
  }
  constexpr std::string_view kEvents = " events=";
  const size_t e = rest.find(kEvents);
  events.clear();
  if (e != std::string_view::npos) {
    std::string_view ep = rest.substr(e + kEvents.size());
    events = std::string(ep.substr(0, ep.find(' ')));
  }
  return Status::Ok();
}

}  // namespace

const char* BlockhubdPath() { return BLOCKHUBD_PATH; }

Result<HubProcess> HubProcess::Start(HubProcessOptions options) {
  std::vector<std::string> argv{BlockhubdPath()};
  if (options.loopback_endpoints) {
    if (!HasArg(options.args, "--query-addr")) {
      argv.insert(argv.end(), {"--query-addr", "tcp://127.0.0.1:*"});
    }
    if (!HasArg(options.args, "--register-addr")) {
      argv.insert(argv.end(), {"--register-addr", "tcp://127.0.0.1:*"});
    }
  }
  const bool metrics_env = std::any_of(options.env.begin(), options.env.end(), [](const auto& kv) {
    return kv.first == "DYN_REGISTRY_HUB_METRICS_ADDR";
  });
  if (!HasArg(options.args, "--metrics-addr") && !metrics_env && !options.default_metrics_addr) {
    argv.insert(argv.end(), {"--metrics-addr", options.metrics ? "127.0.0.1:0" : "off"});
  }
  argv.insert(argv.end(), options.args.begin(), options.args.end());
  auto spawned = Spawn(std::move(argv), BuildEnvironment(options.env), /*capture_stderr=*/false,
                       options.stderr_path);
  if (!spawned) return spawned.error();

  HubProcess hub;
  hub.pid_ = spawned->pid;
  hub.stdout_fd_ = spawned->stdout_fd;
  hub.pid_fd_ =
      static_cast<int>(syscall(SYS_pidfd_open, hub.pid_, 0));  // -1: fall back to the pipe

  // Read up to the first newline, bounded by the ready timeout.
  const auto deadline = Clock::now() + options.ready_timeout;
  std::string line;
  while (line.find('\n') == std::string::npos) {
    pollfd pfd{hub.stdout_fd_, POLLIN, 0};
    const int n = poll(&pfd, 1, RemainingMs(deadline));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return TimeoutError("blockhubd printed no ready line in time");  // dtor kills it
    char buf[512];
    const ssize_t got = read(hub.stdout_fd_, buf, sizeof(buf));
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) {
      auto exit = hub.Wait(std::chrono::milliseconds(2000));
      return UnavailableError("blockhubd exited before it was ready (exit code " +
                              std::to_string(exit ? exit->code : -1) + ")");
    }
    line.append(buf, static_cast<size_t>(got));
  }
  line.resize(line.find('\n'));
  if (Status s = ParseReadyLine(line, hub.query_endpoint_, hub.register_endpoint_, hub.metrics_url_,
                                hub.events_endpoint_);
      !s.ok()) {
    return s;
  }
  return hub;
}

HubProcess::HubProcess(HubProcess&& other) noexcept { *this = std::move(other); }

HubProcess& HubProcess::operator=(HubProcess&& other) noexcept {
  if (this != &other) {
    Reset();
    pid_ = std::exchange(other.pid_, -1);
    stdout_fd_ = std::exchange(other.stdout_fd_, -1);
    pid_fd_ = std::exchange(other.pid_fd_, -1);
    query_endpoint_ = std::move(other.query_endpoint_);
    register_endpoint_ = std::move(other.register_endpoint_);
    metrics_url_ = std::move(other.metrics_url_);
    events_endpoint_ = std::move(other.events_endpoint_);
  }
  return *this;
}

HubProcess::~HubProcess() { Reset(); }

void HubProcess::Reset() {
  Kill();
  if (stdout_fd_ >= 0) close(std::exchange(stdout_fd_, -1));
  if (pid_fd_ >= 0) close(std::exchange(pid_fd_, -1));
}

Status HubProcess::Signal(int signal) {
  if (pid_ <= 0) return InvalidArgumentError("blockhubd is not running");
  if (kill(pid_, signal) != 0) return IoError(std::string("kill: ") + strerror(errno));
  return Status::Ok();
}

Status HubProcess::Pause() {
  if (Status s = Signal(SIGSTOP); !s.ok()) return s;
  int status = 0;
  for (;;) {
    const pid_t r = waitpid(pid_, &status, WUNTRACED);
    if (r < 0 && errno == EINTR) continue;
    if (r != pid_) return IoError(std::string("waitpid: ") + strerror(errno));
    if (WIFSTOPPED(status)) return Status::Ok();
    pid_ = -1;  // it exited instead
    return UnavailableError("blockhubd exited instead of stopping");
  }
}

Result<ProcessExit> HubProcess::Wait(std::chrono::milliseconds timeout) {
  if (pid_ <= 0) return InvalidArgumentError("blockhubd is not running");
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    int status = 0;
    const pid_t r = waitpid(pid_, &status, WNOHANG);
    if (r == pid_) {
      pid_ = -1;
      return DecodeWaitStatus(status);
    }
    if (r < 0 && errno != EINTR) return IoError(std::string("waitpid: ") + strerror(errno));
    const int left = RemainingMs(deadline);
    if (left == 0) return TimeoutError("blockhubd did not exit in time");
    // Wake when the child exits: its pidfd becomes readable, or (no pidfd) its stdout reaches EOF.
    pollfd pfd{pid_fd_ >= 0 ? pid_fd_ : stdout_fd_, POLLIN, 0};
    const int n = poll(&pfd, 1, left);
    if (n > 0 && pid_fd_ < 0 && (pfd.revents & POLLIN)) {
      char buf[512];
      if (read(stdout_fd_, buf, sizeof(buf)) == 0) {
        // EOF: the child is exiting; a blocking reap finishes promptly.
        if (waitpid(pid_, &status, 0) == pid_) {
          pid_ = -1;
          return DecodeWaitStatus(status);
        }
      }
    }
  }
}

Result<ProcessExit> HubProcess::Stop(std::chrono::milliseconds timeout) {
  if (Status s = Signal(SIGTERM); !s.ok()) return s;
  auto exit = Wait(timeout);
  if (!exit) Kill();
  return exit;
}

void HubProcess::Kill() {
  if (pid_ <= 0) return;
  kill(pid_, SIGKILL);
  int status = 0;
  while (waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
  pid_ = -1;
}

Result<ProcessOutput> RunBlockhubd(const std::vector<std::string>& args,
                                   const std::vector<std::pair<std::string, std::string>>& env,
                                   std::chrono::milliseconds timeout) {
  std::vector<std::string> argv{BlockhubdPath()};
  argv.insert(argv.end(), args.begin(), args.end());
  auto spawned = Spawn(std::move(argv), BuildEnvironment(env), /*capture_stderr=*/true);
  if (!spawned) return spawned.error();

  ProcessOutput out;
  const auto deadline = Clock::now() + timeout;
  pollfd fds[2] = {{spawned->stdout_fd, POLLIN, 0}, {spawned->stderr_fd, POLLIN, 0}};
  std::string* sinks[2] = {&out.stdout_text, &out.stderr_text};
  int open_fds = 2;
  bool timed_out = false;
  while (open_fds > 0) {
    const int n = poll(fds, 2, RemainingMs(deadline));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      timed_out = true;
      break;
    }
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || fds[i].revents == 0) continue;
      char buf[4096];
      const ssize_t got = read(fds[i].fd, buf, sizeof(buf));
      if (got > 0) {
        sinks[i]->append(buf, static_cast<size_t>(got));
      } else if (got == 0 || errno != EINTR) {
        close(fds[i].fd);
        fds[i].fd = -1;  // poll ignores negative fds
        --open_fds;
      }
    }
  }
  for (auto& pfd : fds) {
    if (pfd.fd >= 0) close(pfd.fd);
  }
  if (timed_out) kill(spawned->pid, SIGKILL);
  int status = 0;
  while (waitpid(spawned->pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (timed_out) return TimeoutError("blockhubd did not exit in time");
  out.exit = DecodeWaitStatus(status);
  return out;
}

}  // namespace blockhub::testing
