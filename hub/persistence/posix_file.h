// Small POSIX file helpers for the persistence layer: an owning file descriptor, whole-buffer
// write/read, fsync of files and directories, an eventfd notifier. Every failure comes back as an
// IoError Status naming the path and errno text; nothing here ignores a failed fsync.
//
// UniqueFd is move-only (one owner). Notifier may be signalled from any thread and drained by its
// owner (the hub's loop thread).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

#include "common/status.h"

namespace blockhub::persistence {

class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  ~UniqueFd() { Reset(); }
  UniqueFd(UniqueFd&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
  UniqueFd& operator=(UniqueFd&& o) noexcept {
    if (this != &o) {
      Reset();
      fd_ = std::exchange(o.fd_, -1);
    }
    return *this;
  }
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  void Reset();

 private:
  int fd_ = -1;
};

// "<what> <path>: <strerror(errno)>" as an IoError.
Status ErrnoError(std::string_view what, std::string_view path, int err);

Result<UniqueFd> OpenFile(const std::string& path, int flags, int mode = 0644);
Status WriteAll(int fd, std::string_view data, const std::string& path);
Status SyncFile(int fd, const std::string& path);  // fdatasync
Status SyncDir(const std::string& dir);            // fsync of the directory itself
Result<std::string> ReadWholeFile(const std::string& path);
Status TruncateFile(const std::string& path, uint64_t size);  // truncate + fsync
Status RenameFile(const std::string& from, const std::string& to);
Status RemoveFile(const std::string& path);  // missing file is ok

// An eventfd the loop can poll: Signal() from any thread makes it readable; Drain() (owner)
// resets it. Non-blocking.
class Notifier {
 public:
  static Result<Notifier> Create();
  int fd() const { return fd_.get(); }
  void Signal() const;
  void Drain() const;

 private:
  explicit Notifier(UniqueFd fd) : fd_(std::move(fd)) {}
  UniqueFd fd_;
};

}  // namespace blockhub::persistence
