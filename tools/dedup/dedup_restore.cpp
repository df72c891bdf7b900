// RunGet / RunVerify / RunStats implementation: see dedup_restore.h.
#include "tools/dedup/dedup_restore.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <unordered_set>

#include "tools/dedup/chunk_store.h"

namespace blockhub::dedup {
namespace fs = std::filesystem;

namespace {

// Reads and checks every chunk of `e`; `sink` gets each chunk's bytes.
template <typename Sink>
Status CheckFile(const ChunkStore& store, HashKind kind, const ManifestEntry& e, Sink&& sink) {
  StreamHasher whole(kind);
  uint64_t off = 0;
  for (const auto& c : e.chunks) {
    auto data = store.Read(c.key);
    if (!data) {
      return IoError(fmt::format("{}: offset {}: chunk {} missing ({})", e.path, off, Hex(c.key),
                                 data.error().message()));
    }
    std::span<const uint8_t> bytes(reinterpret_cast<const uint8_t*>(data->data()), data->size());
    if (data->size() != c.length || Hash128(kind, bytes) != c.key) {
      return IoError(
          fmt::format("{}: offset {}: chunk {} is corrupt (size {} expected {}, or hash "
                      "mismatch)",
                      e.path, off, Hex(c.key), data->size(), c.length));
    }
    whole.Update(bytes);
    if (Status s = sink(bytes); !s.ok()) return s;
    off += c.length;
  }
  if (whole.Finish() != e.hash) {
    return IoError(fmt::format("{}: whole-file hash mismatch", e.path));
  }
  return Status::Ok();
}

Status Errno(const std::string& what, const fs::path& p) {
  return IoError(what + " " + p.string() + ": " + std::strerror(errno));
}

}  // namespace

Status RunGet(const fs::path& store_root, const fs::path& manifest_path, const fs::path& to) {
  auto m = ReadManifestFile(manifest_path);
  if (!m) return m.error();
  auto store = ChunkStore::Open(store_root, false);
  if (!store) return store.error();
  std::error_code ec;
  fs::create_directories(to, ec);
  if (ec) return IoError("cannot create " + to.string() + ": " + ec.message());
  std::vector<std::pair<fs::path, uint32_t>> dir_modes;
  for (const auto& e : m->entries) {
    const fs::path dest = to / e.path;
    fs::create_directories(dest.parent_path(), ec);
    if (ec) return IoError("cannot create " + dest.parent_path().string() + ": " + ec.message());
    switch (e.type) {
      case ManifestEntry::Type::kDir:
        fs::create_directories(dest, ec);
        if (ec) return IoError("cannot create " + dest.string() + ": " + ec.message());
        dir_modes.emplace_back(dest, e.mode);
        break;
      case ManifestEntry::Type::kSymlink:
        fs::remove(dest, ec);
        if (::symlink(e.target.c_str(), dest.c_str()) != 0) return Errno("symlink", dest);
        break;
      case ManifestEntry::Type::kFile: {
        fs::path tmp = dest;
        tmp += ".blockhub-dedup-tmp";
        int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        if (fd < 0) return Errno("create", tmp);
        Status st = CheckFile(**store, m->hash, e, [&](std::span<const uint8_t> b) -> Status {
          size_t done = 0;
          while (done < b.size()) {
            ssize_t w = ::write(fd, b.data() + done, b.size() - done);
            if (w < 0 && errno == EINTR) continue;
            if (w < 0) return Errno("write", tmp);
            done += static_cast<size_t>(w);
          }
          return Status::Ok();
        });
        if (st.ok() && ::fchmod(fd, e.mode) != 0) st = Errno("chmod", tmp);
        if (::close(fd) != 0 && st.ok()) st = Errno("close", tmp);
        if (st.ok() && ::rename(tmp.c_str(), dest.c_str()) != 0) st = Errno("rename to", dest);
        if (!st.ok()) {
          ::unlink(tmp.c_str());
          return st;
        }
        break;
      }
    }
  }
  // Directory modes last (a read-only folder would block its own restore).
  for (auto it = dir_modes.rbegin(); it != dir_modes.rend(); ++it) {
    if (::chmod(it->first.c_str(), it->second) != 0) return Errno("chmod", it->first);
  }
  return Status::Ok();
}

Status RunVerify(const fs::path& store_root, const fs::path& manifest_path) {
  auto m = ReadManifestFile(manifest_path);
  if (!m) return m.error();
  auto store = ChunkStore::Open(store_root, false);
  if (!store) return store.error();
  for (const auto& e : m->entries) {
    if (e.type != ManifestEntry::Type::kFile) continue;
    Status st =
        CheckFile(**store, m->hash, e, [](std::span<const uint8_t>) { return Status::Ok(); });
    if (!st.ok()) return Status(st.code(), manifest_path.string() + ": " + st.message());
  }
  return Status::Ok();
}

Result<StoreStats> RunStats(const fs::path& store_root, const std::vector<fs::path>& manifests) {
  auto store = ChunkStore::Open(store_root, false);
  if (!store) return store.error();
  StoreStats s;
  std::unordered_set<std::string> keys;
  for (const auto& p : manifests) {
    auto m = ReadManifestFile(p);
    if (!m) return m.error();
    for (const auto& e : m->entries) {
      s.referenced_bytes += e.size;
      for (const auto& c : e.chunks) {
        ++s.referenced_chunks;
        keys.insert(c.key);
      }
    }
  }
  s.unique_chunks = keys.size();
  std::error_code ec;
  for (const auto& e : fs::recursive_directory_iterator(store_root / "chunks", ec)) {
    if (e.is_regular_file()) {
      ++s.stored_chunks;
      s.stored_bytes += e.file_size();
    }
  }
  for (const auto& e : fs::directory_iterator(store_root / "tmp", ec)) {
    (void)e;
    ++s.temp_files;
  }
  auto log = ChunkStore::ReadUploadLog(store_root);
  if (!log) return log.error();
  for (const auto& [hex, c] : *log) {
    s.uploads_created += c.created;
    s.uploads_present += c.present;
    s.uploads_raced += c.raced;
  }
  s.dedup_ratio = s.stored_bytes > 0 ? static_cast<double>(s.referenced_bytes) / s.stored_bytes : 0;
  return s;
}

}  // namespace blockhub::dedup
