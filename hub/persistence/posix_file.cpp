#include "hub/persistence/posix_file.h"

#include <fcntl.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace blockhub::persistence {

void UniqueFd::Reset() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

Status ErrnoError(std::string_view what, std::string_view path, int err) {
  return IoError(std::string(what) + " " + std::string(path) + ": " + std::strerror(err));
}

Result<UniqueFd> OpenFile(const std::string& path, int flags, int mode) {
  int fd = ::open(path.c_str(), flags | O_CLOEXEC, mode);
  if (fd < 0) return ErrnoError("cannot open", path, errno);
  return UniqueFd(fd);
}

Status WriteAll(int fd, std::string_view data, const std::string& path) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoError("write failed on", path, errno);
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return Status::Ok();
}

Status SyncFile(int fd, const std::string& path) {
  if (::fdatasync(fd) != 0) return ErrnoError("fdatasync failed on", path, errno);
  return Status::Ok();
}

Status SyncDir(const std::string& dir) {
  auto fd = OpenFile(dir, O_RDONLY | O_DIRECTORY);
  if (!fd) return fd.error();
  if (::fsync(fd->get()) != 0) return ErrnoError("fsync failed on directory", dir, errno);
  return Status::Ok();
}

Result<std::string> ReadWholeFile(const std::string& path) {
  auto fd = OpenFile(path, O_RDONLY);
  if (!fd) return fd.error();
  struct stat st {};
  if (::fstat(fd->get(), &st) != 0) return ErrnoError("cannot stat", path, errno);
  std::string data(static_cast<size_t>(st.st_size), '\0');
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::read(fd->get(), data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return ErrnoError("read failed on", path, errno);
    if (n == 0) break;  // shrank while reading
    done += static_cast<size_t>(n);
  }
  data.resize(done);
  return data;
}

Status TruncateFile(const std::string& path, uint64_t size) {
  auto fd = OpenFile(path, O_WRONLY);
  if (!fd) return fd.error();
  if (::ftruncate(fd->get(), static_cast<off_t>(size)) != 0) {
    return ErrnoError("cannot truncate", path, errno);
  }
  return SyncFile(fd->get(), path);
}

Status RenameFile(const std::string& from, const std::string& to) {
  if (std::rename(from.c_str(), to.c_str()) != 0) {
    return ErrnoError("cannot rename to " + to + ":", from, errno);
  }
  return Status::Ok();
}

Status RemoveFile(const std::string& path) {
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
    return ErrnoError("cannot remove", path, errno);
  }
  return Status::Ok();
}

Result<Notifier> Notifier::Create() {
  int fd = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (fd < 0) return ErrnoError("cannot create", "eventfd", errno);
  return Notifier(UniqueFd(fd));
}

void Notifier::Signal() const {
  uint64_t one = 1;
  // EAGAIN only when the counter would overflow, i.e. it is already readable: nothing to do.
  [[maybe_unused]] ssize_t n = ::write(fd_.get(), &one, sizeof(one));
}

void Notifier::Drain() const {
  uint64_t value = 0;
  [[maybe_unused]] ssize_t n = ::read(fd_.get(), &value, sizeof(value));
}

}  // namespace blockhub::persistence
