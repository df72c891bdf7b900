// ChunkStore implementation: see chunk_store.h.
#include "tools/dedup/chunk_store.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <random>

#include "tools/dedup/chunk_hash.h"

namespace blockhub::dedup {
namespace fs = std::filesystem;

namespace {
std::string Errno(const std::string& what, const fs::path& p) {
  return what + " " + p.string() + ": " + std::strerror(errno);
}

Status WriteAll(int fd, const uint8_t* p, size_t n, const fs::path& path) {
  while (n > 0) {
    ssize_t w = ::write(fd, p, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      return IoError(Errno("write", path));
    }
    p += w;
    n -= static_cast<size_t>(w);
  }
  return Status::Ok();
}
Status SyncDir(const fs::path& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return IoError(Errno("open", dir));
  Status st = ::fsync(fd) == 0 ? Status::Ok() : IoError(Errno("fsync", dir));
  ::close(fd);
  return st;
}

Status SyncFs(const fs::path& root) {
  int fd = ::open(root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return IoError(Errno("open", root));
  Status st = ::syncfs(fd) == 0 ? Status::Ok() : IoError(Errno("syncfs", root));
  ::close(fd);
  return st;
}
}  // namespace

Result<std::unique_ptr<ChunkStore>> ChunkStore::Open(const fs::path& root, bool create) {
  std::error_code ec;
  if (create) {
    for (const char* sub : {"chunks", "tmp", "log"}) {
      fs::create_directories(root / sub, ec);
      if (ec)
        return IoError("cannot create store folder " + (root / sub).string() + ": " + ec.message());
    }
    for (int i = 0; i < 256; ++i) {
      fs::create_directory(root / "chunks" / Hex(std::string(1, static_cast<char>(i))), ec);
      if (ec)
        return IoError("cannot create store folder under " + root.string() + ": " + ec.message());
    }
  } else if (!fs::is_directory(root / "chunks", ec)) {
    return IoError("not a blockhub-dedup store (no chunks/ folder): " + root.string());
  }
  return std::unique_ptr<ChunkStore>(new ChunkStore(root));
}

ChunkStore::~ChunkStore() {
  if (log_fd_ >= 0) ::close(log_fd_);
}

std::string ChunkStore::Location(std::string_view key) {
  std::string hex = Hex(key);
  return "chunks/" + hex.substr(0, 2) + "/" + hex;
}

bool ChunkStore::Exists(std::string_view key) const {
  struct stat st {};
  return ::stat(PathOf(key).c_str(), &st) == 0;
}

Status ChunkStore::LogUpload(std::string_view hex, size_t size, Outcome outcome) {
  std::lock_guard lock(mu_);
  if (log_fd_ < 0) {
    std::random_device rd;
    log_name_ = "uploads." + std::to_string(::getpid()) + "." + std::to_string(rd());
    fs::path p = root_ / "log" / log_name_;
    log_fd_ = ::open(p.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (log_fd_ < 0) return IoError(Errno("open", p));
  }
  const char* what = outcome == Outcome::kCreated   ? "created"
                     : outcome == Outcome::kPresent ? "present"
                                                    : "raced";
  std::string line = std::string(hex) + " " + std::to_string(size) + " " + what + "\n";
  return WriteAll(log_fd_, reinterpret_cast<const uint8_t*>(line.data()), line.size(),
                  root_ / "log" / log_name_);
}

Result<std::map<std::string, UploadCounts>> ChunkStore::ReadUploadLog(const fs::path& root) {
  std::map<std::string, UploadCounts> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(root / "log", ec)) {
    const std::string name = e.path().filename().string();
    if (name.rfind("uploads.", 0) != 0) continue;
    int fd = ::open(e.path().c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return IoError(Errno("open", e.path()));
    std::string text;
    char buf[65536];
    for (;;) {
      ssize_t r = ::read(fd, buf, sizeof buf);
      if (r < 0 && errno == EINTR) continue;
      if (r < 0) {
        Status err = IoError(Errno("read", e.path()));
        ::close(fd);
        return err;
      }
      if (r == 0) break;
      text.append(buf, static_cast<size_t>(r));
    }
    ::close(fd);
    size_t pos = 0;
    while (pos < text.size()) {
      size_t end = text.find('\n', pos);
      if (end == std::string::npos) break;  // a line cut short by a crash: not counted
      std::string_view line(text.data() + pos, end - pos);
      pos = end + 1;
      size_t a = line.find(' ');
      size_t b = a == std::string_view::npos ? a : line.find(' ', a + 1);
      if (b == std::string_view::npos)
        return IoError("bad upload-log line in " + e.path().string() + ": " + std::string(line));
      std::string_view hex = line.substr(0, a), what = line.substr(b + 1);
      UploadCounts& c = out[std::string(hex)];
      if (what == "created") {
        ++c.created;
      } else if (what == "present") {
        ++c.present;
      } else if (what == "raced") {
        ++c.raced;
      } else {
        return IoError("bad upload-log line in " + e.path().string() + ": " + std::string(line));
      }
    }
  }
  if (ec) return IoError("cannot list " + (root / "log").string() + ": " + ec.message());
  return out;
}

Result<bool> ChunkStore::Put(std::string_view key, std::span<const uint8_t> data) {
  const fs::path final_path = PathOf(key);
  const std::string hex = Hex(key);
  if (Exists(key)) {
    if (Status s = LogUpload(hex, data.size(), Outcome::kPresent); !s.ok()) return s;
    return false;
  }
  uint64_t n;
  {
    std::lock_guard lock(mu_);
    n = ++tmp_counter_;
  }
  const fs::path tmp =
      root_ / "tmp" / (hex + "." + std::to_string(::getpid()) + "." + std::to_string(n));
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) return IoError(Errno("create", tmp));
  Status st = WriteAll(fd, data.data(), data.size(), tmp);
  if (st.ok() && ::fsync(fd) != 0) st = IoError(Errno("fsync", tmp));
  if (::close(fd) != 0 && st.ok()) st = IoError(Errno("close", tmp));
  if (!st.ok()) {
    ::unlink(tmp.c_str());
    return st;
  }
  bool created = true;
  if (::link(tmp.c_str(), final_path.c_str()) == 0) {
    if (Status d = SyncDir(final_path.parent_path()); !d.ok()) {
      ::unlink(tmp.c_str());
      return d;
    }
  } else {
    if (errno != EEXIST) {
      Status err = IoError(Errno("link to", final_path));
      ::unlink(tmp.c_str());
      return err;
    }
    created = false;  // another writer won: its file has the same content
  }
  ::unlink(tmp.c_str());
  if (Status s = LogUpload(hex, data.size(), created ? Outcome::kCreated : Outcome::kRaced);
      !s.ok())
    return s;
  return created;
}

Result<std::vector<bool>> ChunkStore::PutBatch(std::span<const std::string> keys,
                                               std::span<const std::span<const uint8_t>> data) {
  std::vector<bool> created(keys.size(), false);
  std::vector<bool> present(keys.size(), false);
  std::vector<fs::path> tmps(keys.size());
  auto cleanup = [&] {
    for (const auto& t : tmps)
      if (!t.empty()) ::unlink(t.c_str());
  };
  // 1. Every chunk not yet present, to its temporary name (no fsync each).
  for (size_t i = 0; i < keys.size(); ++i) {
    if (Exists(keys[i])) {
      present[i] = true;
      continue;
    }
    uint64_t n;
    {
      std::lock_guard lock(mu_);
      n = ++tmp_counter_;
    }
    fs::path tmp =
        root_ / "tmp" / (Hex(keys[i]) + "." + std::to_string(::getpid()) + "." + std::to_string(n));
    int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0) {
      Status err = IoError(Errno("create", tmp));
      cleanup();
      return err;
    }
    tmps[i] = tmp;
    Status st = WriteAll(fd, data[i].data(), data[i].size(), tmp);
    if (::close(fd) != 0 && st.ok()) st = IoError(Errno("close", tmp));
    if (!st.ok()) {
      cleanup();
      return st;
    }
  }
  auto log_all = [&]() -> Status {
    for (size_t i = 0; i < keys.size(); ++i) {
      Outcome o = created[i] ? Outcome::kCreated : present[i] ? Outcome::kPresent : Outcome::kRaced;
      if (Status s = LogUpload(Hex(keys[i]), data[i].size(), o); !s.ok()) return s;
    }
    return Status::Ok();
  };
  bool any = false;
  for (const auto& t : tmps) any = any || !t.empty();
  if (!any) {
    if (Status s = log_all(); !s.ok()) return s;
    return created;
  }
  // 2. Their data durable before any final name can point at it.
  if (Status s = SyncFs(root_); !s.ok()) {
    cleanup();
    return s;
  }
  // 3. Final names (EEXIST: another writer won with the same content).
  for (size_t i = 0; i < keys.size(); ++i) {
    if (tmps[i].empty()) continue;
    const fs::path final_path = PathOf(keys[i]);
    if (::link(tmps[i].c_str(), final_path.c_str()) == 0) {
      created[i] = true;
    } else if (errno != EEXIST) {
      Status err = IoError(Errno("link to", final_path));
      cleanup();
      return err;
    }
  }
  // 4. The names durable; then the temporaries go (losing an unlink in a crash is harmless:
  // RemoveStaleTemps deletes them).
  Status synced = SyncFs(root_);
  cleanup();
  if (!synced.ok()) return synced;
  if (Status s = log_all(); !s.ok()) return s;
  return created;
}

Result<std::string> ChunkStore::Read(std::string_view key) const {
  const fs::path p = PathOf(key);
  int fd = ::open(p.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return IoError(Errno(errno == ENOENT ? "missing chunk" : "open", p));
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    ::close(fd);
    return IoError(Errno("stat", p));
  }
  std::string out(static_cast<size_t>(st.st_size), '\0');
  size_t got = 0;
  while (got < out.size()) {
    ssize_t r = ::read(fd, out.data() + got, out.size() - got);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) {
      ::close(fd);
      return IoError(Errno("read", p));
    }
    got += static_cast<size_t>(r);
  }
  ::close(fd);
  return out;
}

size_t ChunkStore::RemoveStaleTemps() {
  size_t removed = 0;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(root_ / "tmp", ec)) {
    std::string name = e.path().filename().string();
    // <hex>.<pid>.<n>
    size_t a = name.find('.');
    size_t b = a == std::string::npos ? a : name.find('.', a + 1);
    if (b == std::string::npos) continue;
    pid_t pid = static_cast<pid_t>(std::atoi(name.substr(a + 1, b - a - 1).c_str()));
    if (pid <= 0 || pid == ::getpid()) continue;
    if (::kill(pid, 0) != 0 && errno == ESRCH) {
      std::error_code rec;
      if (fs::remove(e.path(), rec)) ++removed;
    }
  }
  return removed;
}

}  // namespace blockhub::dedup
