#include "tests/client/run_process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

extern char** environ;

namespace blockhub::testing {
namespace {

using Clock = std::chrono::steady_clock;

std::vector<std::string> ChildEnvironment(
    const std::vector<std::pair<std::string, std::string>>& env) {
  std::vector<std::string> out;
  for (char** e = environ; *e != nullptr; ++e) {
    std::string_view kv(*e);
    if (kv.starts_with("DYN_REGISTRY_")) continue;
    out.emplace_back(kv);
  }
  for (const auto& [k, v] : env) out.push_back(k + "=" + v);
  return out;
}

int ExitCodeOf(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

}  // namespace

Result<ChildProcess> ChildProcess::Start(
    const std::string& path, const std::vector<std::string>& args,
    const std::vector<std::pair<std::string, std::string>>& env) {
  int out_pipe[2], err_pipe[2];
  if (pipe2(out_pipe, O_CLOEXEC) != 0) return IoError("pipe failed");
  if (pipe2(err_pipe, O_CLOEXEC) != 0) {
    close(out_pipe[0]);
    close(out_pipe[1]);
    return IoError("pipe failed");
  }
  std::vector<std::string> argv_s = {path};
  argv_s.insert(argv_s.end(), args.begin(), args.end());
  std::vector<std::string> envp_s = ChildEnvironment(env);
  std::vector<char*> argv, envp;
  for (auto& a : argv_s) argv.push_back(a.data());
  argv.push_back(nullptr);
  for (auto& e : envp_s) envp.push_back(e.data());
  envp.push_back(nullptr);
  const pid_t parent = getpid();
  pid_t pid = fork();
  if (pid < 0) {
    for (int fd : {out_pipe[0], out_pipe[1], err_pipe[0], err_pipe[1]}) close(fd);
    return IoError("fork failed");
  }
  if (pid == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);  // never outlive a crashed test
    if (getppid() != parent) _exit(127);
    dup2(out_pipe[1], 1);
    dup2(err_pipe[1], 2);
    execve(path.c_str(), argv.data(), envp.data());
    _exit(127);
  }
  close(out_pipe[1]);
  close(err_pipe[1]);
  ChildProcess child;
  child.pid_ = pid;
  child.fds_[0] = out_pipe[0];
  child.fds_[1] = err_pipe[0];
  return child;
}

ChildProcess::ChildProcess(ChildProcess&& other) noexcept
    : pid_(std::exchange(other.pid_, -1)),
      fds_{std::exchange(other.fds_[0], -1), std::exchange(other.fds_[1], -1)},
      out_(std::move(other.out_)),
      err_(std::move(other.err_)) {}

ChildProcess& ChildProcess::operator=(ChildProcess&& other) noexcept {
  if (this != &other) {
    Reset();
    pid_ = std::exchange(other.pid_, -1);
    fds_[0] = std::exchange(other.fds_[0], -1);
    fds_[1] = std::exchange(other.fds_[1], -1);
    out_ = std::move(other.out_);
    err_ = std::move(other.err_);
  }
  return *this;
}

ChildProcess::~ChildProcess() { Reset(); }

void ChildProcess::Reset() {
  for (int& fd : fds_) {
    if (fd >= 0) close(fd);
    fd = -1;
  }
  if (pid_ > 0) {
    kill(pid_, SIGKILL);
    int status = 0;
    while (waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
    pid_ = -1;
  }
}

bool ChildProcess::ReadUntil(const std::function<bool()>& done, std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  std::string* sinks[2] = {&out_, &err_};
  while (!done()) {
    pollfd fds[2] = {{fds_[0], POLLIN, 0}, {fds_[1], POLLIN, 0}};
    if (fds_[0] < 0 && fds_[1] < 0) return false;  // both pipes closed: nothing more comes
    const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) return false;
    if (poll(fds, 2, static_cast<int>(left)) < 0) continue;
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || fds[i].revents == 0) continue;
      char buf[4096];
      const ssize_t n = read(fds[i].fd, buf, sizeof(buf));
      if (n > 0) {
        sinks[i]->append(buf, static_cast<size_t>(n));
      } else if (n == 0 || errno != EINTR) {
        close(fds_[i]);
        fds_[i] = -1;
      }
    }
  }
  return true;
}

Status ChildProcess::Signal(int signal) {
  if (pid_ <= 0) return InvalidArgumentError("the child has been reaped");
  if (kill(pid_, signal) != 0) return IoError(std::string("kill: ") + strerror(errno));
  return Status::Ok();
}

Result<ProcessResult> ChildProcess::Wait(std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  const bool closed = ReadUntil([&] { return fds_[0] < 0 && fds_[1] < 0; }, timeout);
  // The pipes close when the child exits; reap it, waiting on its pidfd (bounded by the same
  // deadline) in case it closed them without exiting.
  int status = 0;
  bool reaped = false;
  if (closed) {
    const int pid_fd = static_cast<int>(syscall(SYS_pidfd_open, pid_, 0));
    for (;;) {
      const pid_t r = waitpid(pid_, &status, WNOHANG);
      if (r == pid_) {
        reaped = true;
        break;
      }
      if (r < 0 && errno != EINTR) break;
      const auto left =
          std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now()).count();
      if (left <= 0) break;
      if (pid_fd < 0) {  // no pidfd: a blocking wait (the pipes are closed, the exit is near)
        reaped = waitpid(pid_, &status, 0) == pid_;
        break;
      }
      pollfd p{pid_fd, POLLIN, 0};
      poll(&p, 1, static_cast<int>(left));
    }
    if (pid_fd >= 0) close(pid_fd);
  }
  if (!reaped) {
    Reset();
    return TimeoutError("the child did not finish in time; stderr: " + err_);
  }
  pid_ = -1;
  return ProcessResult{ExitCodeOf(status), out_, err_};
}

Result<ProcessResult> RunProcess(const std::string& path, const std::vector<std::string>& args,
                                 const std::vector<std::pair<std::string, std::string>>& env,
                                 std::chrono::milliseconds timeout) {
  auto child = ChildProcess::Start(path, args, env);
  if (!child) return child.error();
  auto r = child->Wait(timeout);
  if (!r) return TimeoutError(path + " did not finish in time; stderr: " + child->err());
  return *r;
}

}  // namespace blockhub::testing
