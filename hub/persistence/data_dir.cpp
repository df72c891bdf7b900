#include "hub/persistence/data_dir.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <filesystem>
#include <string_view>

namespace blockhub::persistence {
namespace {

std::string Padded(uint64_t v) {
  std::string digits = std::to_string(v);
  return std::string(20 - digits.size(), '0') + digits;
}

// "wal-00000000000000000042.log" with prefix "wal-", suffix ".log" -> 42.
bool ParseName(std::string_view name, std::string_view prefix, std::string_view suffix,
               uint64_t& out) {
  if (name.size() != prefix.size() + 20 + suffix.size()) return false;
  if (name.substr(0, prefix.size()) != prefix) return false;
  if (name.substr(prefix.size() + 20) != suffix) return false;
  auto digits = name.substr(prefix.size(), 20);
  auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), out);
  return ec == std::errc() && ptr == digits.data() + digits.size();
}

std::string ReadHolderPid(int fd) {
  char buf[32] = {};
  ssize_t n = ::pread(fd, buf, sizeof(buf) - 1, 0);
  if (n <= 0) return {};
  std::string_view text(buf, static_cast<size_t>(n));
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.remove_suffix(1);
  bool digits = !text.empty() && std::all_of(text.begin(), text.end(), ::isdigit);
  return digits ? std::string(text) : std::string();
}

}  // namespace

Result<DataDir> DataDir::Open(const std::string& path) {
  std::error_code ec;
  std::filesystem::create_directories(path, ec);
  if (ec) return IoError("cannot create data dir " + path + ": " + ec.message());
  if (!std::filesystem::is_directory(path, ec)) {
    return IoError("data dir " + path + " is not a directory");
  }
  if (::access(path.c_str(), W_OK | X_OK) != 0) {
    return ErrnoError("data dir is not writable:", path, errno);
  }
  std::string lock_path = path + "/LOCK";
  auto fd = OpenFile(lock_path, O_RDWR | O_CREAT);
  if (!fd) return IoError("data dir " + path + " is not usable: " + fd.error().message());
  if (::flock(fd->get(), LOCK_EX | LOCK_NB) != 0) {
    int err = errno;
    if (err != EWOULDBLOCK) return ErrnoError("cannot lock data dir", path, err);
    std::string pid = ReadHolderPid(fd->get());
    return UnavailableError("data dir " + path + " is in use by another hub" +
                            (pid.empty() ? std::string() : " (pid " + pid + ")") + ": " +
                            lock_path + " is locked");
  }
  std::string me = std::to_string(::getpid()) + "\n";
  if (::ftruncate(fd->get(), 0) != 0 || ::pwrite(fd->get(), me.data(), me.size(), 0) < 0) {
    return ErrnoError("cannot write pid to", lock_path, errno);
  }
  return DataDir(path, std::move(*fd));
}

std::string DataDir::SegmentPath(uint64_t first_seq) const {
  return path_ + "/wal-" + Padded(first_seq) + ".log";
}
std::string DataDir::SnapshotPath(uint64_t base_seq) const {
  return path_ + "/snap-" + Padded(base_seq) + ".snap";
}
std::string DataDir::TempSnapshotPath(uint64_t base_seq) const {
  return SnapshotPath(base_seq) + ".tmp";
}

Result<DataDir::Listing> DataDir::List() const {
  Listing out;
  std::error_code ec;
  for (const auto& item : std::filesystem::directory_iterator(path_, ec)) {
    std::string name = item.path().filename().string();
    uint64_t seq = 0;
    if (ParseName(name, "wal-", ".log", seq)) {
      out.segments.push_back(seq);
    } else if (ParseName(name, "snap-", ".snap", seq)) {
      out.snapshots.push_back(seq);
    } else if (ParseName(name, "snap-", ".snap.tmp", seq)) {
      out.temp_files.push_back(item.path().string());
    }
  }
  if (ec) return IoError("cannot list data dir " + path_ + ": " + ec.message());
  std::sort(out.segments.begin(), out.segments.end());
  std::sort(out.snapshots.begin(), out.snapshots.end());
  return out;
}

}  // namespace blockhub::persistence
