// RunPut implementation: see dedup_put.h.
#include "tools/dedup/dedup_put.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_set>

#include "tools/dedup/chunk_store.h"
#include "tools/dedup/manifest.h"

namespace blockhub::dedup {
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

struct Source {
  fs::path disk;  // where to read it
  size_t entry;   // index into the manifest entries
};

Status Walk(const fs::path& disk, const std::string& rec, Manifest& m, std::vector<Source>& files,
            uint64_t& total) {
  struct stat st {};
  if (::lstat(disk.c_str(), &st) != 0) {
    return IoError(fmt::format("cannot read {}: {}", disk.string(), std::strerror(errno)));
  }
  ManifestEntry e;
  e.path = rec;
  e.mode = st.st_mode & 07777;
  if (S_ISDIR(st.st_mode)) {
    e.type = ManifestEntry::Type::kDir;
    if (!rec.empty()) m.entries.push_back(e);
    std::vector<fs::path> children;
    std::error_code ec;
    for (const auto& c : fs::directory_iterator(disk, ec)) children.push_back(c.path());
    if (ec) return IoError(fmt::format("cannot list {}: {}", disk.string(), ec.message()));
    std::sort(children.begin(), children.end());
    for (const auto& c : children) {
      std::string child_rec =
          rec.empty() ? c.filename().string() : rec + "/" + c.filename().string();
      if (Status s = Walk(c, child_rec, m, files, total); !s.ok()) return s;
    }
  } else if (S_ISLNK(st.st_mode)) {
    e.type = ManifestEntry::Type::kSymlink;
    std::error_code ec;
    e.target = fs::read_symlink(disk, ec).string();
    if (ec) return IoError(fmt::format("cannot read link {}: {}", disk.string(), ec.message()));
    if (rec.empty()) return InvalidArgumentError("a symlink needs a name: " + disk.string());
    m.entries.push_back(e);
  } else if (S_ISREG(st.st_mode)) {
    if (rec.empty()) return InvalidArgumentError("a file needs a name: " + disk.string());
    e.type = ManifestEntry::Type::kFile;
    e.size = static_cast<uint64_t>(st.st_size);
    total += e.size;
    files.push_back({disk, m.entries.size()});
    m.entries.push_back(e);
  } else {
    std::fprintf(stderr, "blockhub-dedup: skipping %s (not a file, directory or symlink)\n",
                 disk.c_str());
  }
  return Status::Ok();
}

// A mapped input file, unmapped when the last chunk that points into it is resolved.
struct Mapping {
  void* addr = nullptr;
  size_t size = 0;
  std::string path;  // for error messages
  ~Mapping() {
    if (addr != nullptr) ::munmap(addr, size);
  }
};

struct Item {
  std::string key;
  std::span<const uint8_t> data;
  std::shared_ptr<const Mapping> file;  // keeps `data` mapped
};

class Runner {
 public:
  Runner(const PutOptions& o, Client& c, ChunkStore& s)
      : o_(o), client_(c), store_(s), chunker_(o.chunker) {}

  // One worker thread's claim/upload pipeline: chunks of consecutive files share batches (a
  // directory of small files is not one round trip and two syncfs per file), one batch asked
  // ahead while the previous one is resolved.
  struct Pipeline;
  // Chunks the file into `p`; its chunks may still be unresolved when it returns (Drain).
  Status ProcessFile(const Source& src, ManifestEntry& e, Pipeline& p);
  // Resolves everything `p` holds.
  Status Drain(Pipeline& p);
  void Stop() { stop_.store(true); }
  bool stopped() const { return stop_.load(); }

  std::atomic<uint64_t> bytes_in{0}, chunks{0}, chunks_new{0}, bytes_new{0}, chunks_dedup{0},
      leased_waits{0};

 private:
  struct Batch {
    std::vector<Item> items;
    std::future<Result<CanOffloadResult>> reply;
  };

 public:
  struct Pipeline {
    std::vector<Item> items;
    std::optional<Batch> inflight;
  };

 private:
  // Files at least this large are chunked with a parallel boundary search.
  static constexpr size_t kParallelScanBytes = 16u << 20;
  std::vector<size_t> ParallelCuts(std::span<const uint8_t> all) const;
  Batch Start(std::vector<Item> items);
  Status Resolve(Batch& b);
  // Starts a batch of p.items and resolves the one before it.
  Status Flush(Pipeline& p);
  // Resolve, with the file of the batch's first chunk named in an error.
  Status ResolveNamed(Batch& b);
  // True for the first reference to `key` in this process (any thread): that thread resolves it
  // (asks the hub, uploads it when Granted) before its file is done, or the run fails. Every
  // later reference is deduplicated without asking: the threads of a process share one lease
  // owner, so the hub would grant the same key to two of them and both would upload it.
  bool Claim(const std::string& key) {
    std::lock_guard lock(mu_);
    return claimed_.insert(key).second;
  }

  const PutOptions& o_;
  Client& client_;
  ChunkStore& store_;
  Chunker chunker_;
  std::atomic<bool> stop_{false};
  std::mutex mu_;
  std::unordered_set<std::string> claimed_;
};

std::vector<size_t> Runner::ParallelCuts(std::span<const uint8_t> all) const {
  const size_t parts = static_cast<size_t>(o_.jobs);
  std::vector<std::vector<Chunker::Candidate>> found(parts);
  std::vector<std::thread> scanners;
  const size_t step = (all.size() + parts - 1) / parts;
  for (size_t p = 0; p < parts; ++p) {
    const size_t begin = std::min(all.size(), p * step);
    const size_t end = std::min(all.size(), begin + step);
    scanners.emplace_back([&, p, begin, end] { found[p] = chunker_.Scan(all, begin, end); });
  }
  for (auto& t : scanners) t.join();
  std::vector<Chunker::Candidate> cands;
  for (auto& f : found) cands.insert(cands.end(), f.begin(), f.end());
  return chunker_.Cuts(all, cands);
}

Runner::Batch Runner::Start(std::vector<Item> items) {
  Batch b;
  b.items = std::move(items);
  std::vector<std::string> keys;
  keys.reserve(b.items.size());
  for (const auto& it : b.items) keys.push_back(it.key);
  b.reply = client_.CanOffloadAsync(keys);
  return b;
}

Status Runner::Resolve(Batch& b) {
  std::vector<Item> pending = std::move(b.items);
  bool first = true;
  const auto deadline = Clock::now() + o_.wait_timeout;
  auto backoff = std::chrono::milliseconds(10);
  while (!pending.empty()) {
    std::vector<std::string> keys;
    for (const auto& it : pending) keys.push_back(it.key);
    Result<CanOffloadResult> r = first ? b.reply.get() : client_.CanOffload(keys);
    first = false;
    if (!r) return Status(r.error().code(), "CanOffload: " + r.error().message());
    if (r->statuses.size() != pending.size())
      return InternalError("CanOffload: reply size mismatch");
    std::vector<Item> next;
    std::vector<Item> uploaded;
    std::vector<Item> granted;
    std::vector<std::string> release;
    Status upload_error = Status::Ok();
    for (size_t i = 0; i < pending.size(); ++i) {
      Item& it = pending[i];
      switch (r->statuses[i]) {
        case OffloadStatus::kGranted:
          granted.push_back(it);
          break;
        case OffloadStatus::kAlreadyStored: {
          if (!store_.Exists(it.key)) {  // the hub knows it, this store lacks it: heal
            auto put = store_.Put(it.key, it.data);
            if (!put) return put.error();
            if (*put) {
              chunks_new += 1;
              bytes_new += it.data.size();
            }
          } else {
            chunks_dedup += 1;
          }
          break;
        }
        case OffloadStatus::kLeased:
          leased_waits += 1;
          next.push_back(it);
          break;
      }
    }
    // Granted chunks: stored with one durability barrier for the whole batch, before they are
    // registered (a registered key must be durable: other workers skip it).
    if (!granted.empty()) {
      std::vector<std::string> gkeys;
      std::vector<std::span<const uint8_t>> gdata;
      for (const auto& it : granted) {
        gkeys.push_back(it.key);
        gdata.push_back(it.data);
      }
      auto put = store_.PutBatch(gkeys, gdata);
      if (!put) {
        upload_error = put.error();
        release = std::move(gkeys);
      } else {
        for (size_t i = 0; i < granted.size(); ++i) {
          if ((*put)[i]) {
            chunks_new += 1;
            bytes_new += granted[i].data.size();
          } else {
            chunks_dedup += 1;
          }
        }
        uploaded = std::move(granted);
      }
    }
    if (!release.empty()) (void)client_.Release(release);
    if (!uploaded.empty()) {
      std::vector<BlockEntry> entries;
      for (const auto& it : uploaded) entries.push_back({it.key, ChunkStore::Location(it.key), {}});
      if (client_.protocol() == ProtocolVersion::kV1) {
        if (Status s = client_.Register(std::move(entries)); !s.ok()) return s;
      } else {
        auto reg = client_.RegisterSync(entries);
        if (!reg) return Status(reg.error().code(), "RegisterSync: " + reg.error().message());
        for (size_t i = 0; i < uploaded.size(); ++i) {
          if (i < reg->size() && (*reg)[i] == RegisterStatus::kRejected) {
            next.push_back(uploaded[i]);  // lease lost meanwhile: ask again
          }
        }
      }
    }
    if (!upload_error.ok()) {
      return Status(upload_error.code(), "upload: " + upload_error.message());
    }
    if (next.empty()) break;
    if (stopped()) return UnavailableError("stopped");
    if (Clock::now() > deadline) {
      return TimeoutError(fmt::format("{} chunks still leased by another worker after {} ms",
                                      next.size(), o_.wait_timeout.count()));
    }
    std::this_thread::sleep_for(backoff);  // another worker is uploading: ask again later
    backoff = std::min(backoff * 2, std::chrono::milliseconds(200));
    pending = std::move(next);
  }
  return Status::Ok();
}

Status Runner::ResolveNamed(Batch& b) {
  const std::string file = b.items.empty() ? std::string() : b.items.front().file->path;
  Status s = Resolve(b);
  if (s.ok() || file.empty()) return s;
  return Status(s.code(), file + ": " + s.message());
}

Status Runner::Flush(Pipeline& p) {
  Batch b = Start(std::move(p.items));
  p.items.clear();
  Status s = Status::Ok();
  if (p.inflight) s = ResolveNamed(*p.inflight);
  p.inflight = std::move(b);
  return s;
}

Status Runner::Drain(Pipeline& p) {
  Status status = Status::Ok();
  if (!p.items.empty()) status = Flush(p);
  if (p.inflight) {
    Status s = ResolveNamed(*p.inflight);
    p.inflight.reset();
    if (status.ok()) status = s;
  }
  if (status.ok() && stopped()) status = UnavailableError("stopped after an error elsewhere");
  return status;
}

Status Runner::ProcessFile(const Source& src, ManifestEntry& e, Pipeline& p) {
  int fd = ::open(src.disk.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return IoError(fmt::format("cannot open {}: {}", src.disk.string(), std::strerror(errno)));
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    ::close(fd);
    return IoError(fmt::format("cannot stat {}", src.disk.string()));
  }
  const size_t size = static_cast<size_t>(st.st_size);
  e.size = size;
  const uint8_t* base = nullptr;
  auto mapping = std::make_shared<Mapping>();
  mapping->path = src.disk.string();
  if (size > 0) {
    void* map = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (map == MAP_FAILED) {
      ::close(fd);
      return IoError(fmt::format("cannot map {}: {}", src.disk.string(), std::strerror(errno)));
    }
    mapping->addr = map;
    mapping->size = size;
    (void)::madvise(map, size, MADV_SEQUENTIAL);
    base = static_cast<const uint8_t*>(map);
  }
  ::close(fd);
  std::span<const uint8_t> all(base, size);
  StreamHasher file_hash(o_.hash);
  file_hash.Update(all);
  // A large file's boundaries are searched by --jobs threads at once (Scan on equal ranges, then
  // the serial Cuts walk: exactly the boundaries NextLength gives), so the last file of a run does
  // not leave the other cores idle.
  std::vector<size_t> lengths;
  const bool parallel = o_.jobs > 1 && size >= kParallelScanBytes;
  if (parallel) lengths = ParallelCuts(all);
  size_t next_length = 0;
  Status status = Status::Ok();
  size_t off = 0;
  while (off < size && status.ok() && !stopped()) {
    size_t len = parallel ? lengths[next_length++] : chunker_.NextLength(all.subspan(off));
    auto data = all.subspan(off, len);
    std::string key = Hash128(o_.hash, data);
    e.chunks.push_back({key, static_cast<uint32_t>(len)});
    chunks += 1;
    if (!Claim(key)) {
      chunks_dedup += 1;
    } else {
      p.items.push_back({std::move(key), data, mapping});
      if (p.items.size() >= o_.batch_keys) status = Flush(p);
    }
    off += len;
    bytes_in += len;
  }
  e.hash = file_hash.Finish();
  if (status.ok() && stopped()) status = UnavailableError("stopped after an error elsewhere");
  return status;
}

std::string Human(double bytes) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  int u = 0;
  while (bytes >= 1024 && u < 4) {
    bytes /= 1024;
    ++u;
  }
  return fmt::format("{:.1f} {}", bytes, units[u]);
}

}  // namespace

Result<PutSummary> RunPut(const PutOptions& o, Client& client) {
  const auto t0 = Clock::now();
  auto store = ChunkStore::Open(o.store, true);
  if (!store) return store.error();
  (*store)->RemoveStaleTemps();
  Manifest m;
  m.hash = o.hash;
  m.chunk_avg = o.chunker.avg;
  std::vector<Source> files;
  uint64_t total = 0;
  for (const auto& p : o.paths) {
    std::string rec = RecordedPath(p);
    if (Status s = Walk(p, rec, m, files, total); !s.ok()) return s;
  }
  Runner runner(o, client, **store);
  std::atomic<size_t> next{0};
  std::mutex err_mu;
  Status first_error = Status::Ok();
  auto worker = [&] {
    Runner::Pipeline pipeline;
    auto fail = [&](const Status& s) {
      std::lock_guard lock(err_mu);
      if (first_error.ok()) first_error = s;
      runner.Stop();
    };
    for (;;) {
      size_t i = next.fetch_add(1);
      if (i >= files.size() || runner.stopped()) break;
      Status s = runner.ProcessFile(files[i], m.entries[files[i].entry], pipeline);
      if (!s.ok()) {
        fail(s);
        break;
      }
    }
    // Every chunk this thread claimed is resolved before the run ends (or the run fails).
    if (Status s = runner.Drain(pipeline); !s.ok()) fail(s);
  };
  std::atomic<bool> done{false};
  std::mutex pm;
  std::condition_variable pcv;
  const bool tty = ::isatty(STDERR_FILENO) == 1;
  auto report = [&](bool final_line) {
    double secs = std::chrono::duration<double>(Clock::now() - t0).count();
    uint64_t in = runner.bytes_in.load();
    double rate = secs > 0 ? static_cast<double>(in) / secs : 0;
    double eta = rate > 0 ? static_cast<double>(total - std::min(in, total)) / rate : 0;
    std::string line =
        fmt::format("{} / {} {:.1f} MB/s chunks new {} dedup {} ETA {:.0f}s",
                    Human(static_cast<double>(in)), Human(static_cast<double>(total)), rate / 1e6,
                    runner.chunks_new.load(), runner.chunks_dedup.load(), eta);
    if (tty) {
      int width = 24;
      int fill = total > 0 ? static_cast<int>(width * static_cast<double>(in) / total) : width;
      std::string bar = "[" + std::string(fill, '#') + std::string(width - fill, ' ') + "] ";
      std::fprintf(stderr, "\r%s%s\033[K%s", bar.c_str(), line.c_str(), final_line ? "\n" : "");
    } else {
      std::fprintf(stderr, "blockhub-dedup: %s\n", line.c_str());
    }
  };
  std::thread progress;
  if (o.progress) {
    progress = std::thread([&] {
      auto period = tty ? std::chrono::milliseconds(200) : std::chrono::milliseconds(2000);
      std::unique_lock lock(pm);
      while (!pcv.wait_for(lock, period, [&] { return done.load(); })) report(false);
    });
  }
  std::vector<std::thread> threads;
  for (int i = 0; i < std::max(1, o.jobs); ++i) threads.emplace_back(worker);
  for (auto& t : threads) t.join();
  {
    std::lock_guard lock(pm);
    done = true;
  }
  pcv.notify_all();
  if (progress.joinable()) {
    progress.join();
    if (tty) report(true);
  }
  if (!first_error.ok()) return first_error;
  if (!o.manifest.empty()) {
    if (Status s = WriteManifestFile(o.manifest, m); !s.ok()) return s;
  }
  PutSummary sum;
  sum.files = files.size();
  sum.bytes_in = runner.bytes_in;
  sum.chunks = runner.chunks;
  sum.chunks_new = runner.chunks_new;
  sum.bytes_new = runner.bytes_new;
  sum.chunks_dedup = runner.chunks_dedup;
  sum.leased_waits = runner.leased_waits;
  sum.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  return sum;
}

}  // namespace blockhub::dedup
