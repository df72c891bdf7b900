// Manifest implementation: see manifest.h.
#include "tools/dedup/manifest.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <fstream>
#include <sstream>

namespace blockhub::dedup {
namespace fs = std::filesystem;

std::string EncodePath(std::string_view raw) {
  static constexpr char kDigits[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : raw) {
    if (c <= 0x20 || c == 0x7f || c == '%') {
      out.push_back('%');
      out.push_back(kDigits[c >> 4]);
      out.push_back(kDigits[c & 15]);
    } else {
      out.push_back(static_cast<char>(c));
    }
  }
  return out;
}

Result<std::string> DecodePath(std::string_view enc) {
  std::string out;
  for (size_t i = 0; i < enc.size(); ++i) {
    if (enc[i] != '%') {
      out.push_back(enc[i]);
      continue;
    }
    unsigned v = 0;
    if (i + 2 >= enc.size()) return MalformedError("bad %-escape");
    auto r = std::from_chars(enc.data() + i + 1, enc.data() + i + 3, v, 16);
    if (r.ec != std::errc() || r.ptr != enc.data() + i + 3) return MalformedError("bad %-escape");
    out.push_back(static_cast<char>(v));
    i += 2;
  }
  return out;
}

std::string FormatManifest(const Manifest& m) {
  std::string out = "blockhub-dedup-manifest 1\nhash ";
  out += HashKindName(m.hash);
  out += "\nchunk-avg " + std::to_string(m.chunk_avg) + "\n";
  char mode[16];
  for (const auto& e : m.entries) {
    std::snprintf(mode, sizeof mode, "%04o", e.mode & 07777);
    switch (e.type) {
      case ManifestEntry::Type::kDir:
        out += std::string("dir ") + mode + " " + EncodePath(e.path) + "\n";
        break;
      case ManifestEntry::Type::kSymlink:
        out += "symlink " + EncodePath(e.path) + " " + EncodePath(e.target) + "\n";
        break;
      case ManifestEntry::Type::kFile:
        out += std::string("file ") + mode + " " + std::to_string(e.size) + " " + Hex(e.hash) +
               " " + std::to_string(e.chunks.size()) + " " + EncodePath(e.path) + "\n";
        for (const auto& c : e.chunks) {
          out += "c " + Hex(c.key) + " " + std::to_string(c.length) + "\n";
        }
        break;
    }
  }
  out += "end\n";
  return out;
}

namespace {
std::vector<std::string_view> Fields(std::string_view line) {
  std::vector<std::string_view> f;
  size_t pos = 0;
  while (pos <= line.size()) {
    size_t sp = line.find(' ', pos);
    if (sp == std::string_view::npos) sp = line.size();
    f.push_back(line.substr(pos, sp - pos));
    pos = sp + 1;
  }
  return f;
}

template <typename T>
bool Num(std::string_view s, T& v, int base = 10) {
  auto r = std::from_chars(s.data(), s.data() + s.size(), v, base);
  return !s.empty() && r.ec == std::errc() && r.ptr == s.data() + s.size();
}

Status LineError(size_t line, std::string_view what) {
  return MalformedError("manifest line " + std::to_string(line) + ": " + std::string(what));
}

bool SafeRelative(const std::string& p) {
  if (p.empty() || p[0] == '/') return false;
  for (const auto& part : fs::path(p)) {
    if (part == "..") return false;
  }
  return true;
}
}  // namespace

Result<Manifest> ParseManifest(std::string_view text) {
  Manifest m;
  size_t lineno = 0;
  size_t pos = 0;
  bool ended = false;
  size_t chunks_left = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    if (nl == std::string_view::npos) return LineError(lineno + 1, "no final newline (truncated?)");
    std::string_view line = text.substr(pos, nl - pos);
    pos = nl + 1;
    ++lineno;
    if (ended) return LineError(lineno, "text after 'end'");
    auto f = Fields(line);
    if (lineno == 1) {
      if (line != "blockhub-dedup-manifest 1") return LineError(1, "not a blockhub-dedup manifest");
      continue;
    }
    if (chunks_left > 0) {
      ChunkRef c;
      if (f.size() != 3 || f[0] != "c" || !FromHex32(f[1], c.key) || !Num(f[2], c.length)) {
        return LineError(lineno, "expected 'c KEY LEN'");
      }
      m.entries.back().chunks.push_back(std::move(c));
      --chunks_left;
      continue;
    }
    if (f[0] == "hash" && f.size() == 2) {
      auto k = ParseHashKind(f[1]);
      if (!k) return LineError(lineno, k.error().message());
      m.hash = *k;
    } else if (f[0] == "chunk-avg" && f.size() == 2) {
      if (!Num(f[1], m.chunk_avg)) return LineError(lineno, "bad chunk-avg");
    } else if (f[0] == "end" && f.size() == 1) {
      ended = true;
    } else {
      ManifestEntry e;
      std::string_view enc_path;
      if (f[0] == "dir" && f.size() == 3) {
        e.type = ManifestEntry::Type::kDir;
        if (!Num(f[1], e.mode, 8)) return LineError(lineno, "bad mode");
        enc_path = f[2];
      } else if (f[0] == "symlink" && f.size() == 3) {
        e.type = ManifestEntry::Type::kSymlink;
        enc_path = f[1];
        auto t = DecodePath(f[2]);
        if (!t) return LineError(lineno, t.error().message());
        e.target = std::move(*t);
      } else if (f[0] == "file" && f.size() == 6) {
        e.type = ManifestEntry::Type::kFile;
        if (!Num(f[1], e.mode, 8) || !Num(f[2], e.size) || !FromHex32(f[3], e.hash) ||
            !Num(f[4], chunks_left)) {
          return LineError(lineno, "expected 'file MODE SIZE HASH NCHUNKS PATH'");
        }
        enc_path = f[5];
      } else {
        return LineError(lineno, "unknown record");
      }
      auto p = DecodePath(enc_path);
      if (!p) return LineError(lineno, p.error().message());
      if (!SafeRelative(*p)) return LineError(lineno, "path must be relative without '..'");
      e.path = std::move(*p);
      m.entries.push_back(std::move(e));
    }
  }
  if (!ended) return MalformedError("manifest has no 'end' line (truncated?)");
  for (const auto& e : m.entries) {
    uint64_t sum = 0;
    for (const auto& c : e.chunks) sum += c.length;
    if (e.type == ManifestEntry::Type::kFile && sum != e.size) {
      return MalformedError("manifest: chunk lengths of " + e.path + " do not add up to its size");
    }
  }
  return m;
}

Status WriteManifestFile(const fs::path& path, const Manifest& m) {
  std::string text = FormatManifest(m);
  fs::path tmp = path;
  tmp += ".tmp." + std::to_string(::getpid());
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return IoError("cannot write manifest " + tmp.string() + ": " + std::strerror(errno));
  size_t off = 0;
  while (off < text.size()) {
    ssize_t w = ::write(fd, text.data() + off, text.size() - off);
    if (w < 0 && errno == EINTR) continue;
    if (w < 0) {
      Status st = IoError("write " + tmp.string() + ": " + std::strerror(errno));
      ::close(fd);
      ::unlink(tmp.c_str());
      return st;
    }
    off += static_cast<size_t>(w);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0 || ::rename(tmp.c_str(), path.c_str()) != 0) {
    Status st = IoError("cannot write manifest " + path.string() + ": " + std::strerror(errno));
    ::unlink(tmp.c_str());
    return st;
  }
  return Status::Ok();
}

Result<Manifest> ReadManifestFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return IoError("cannot read manifest " + path.string());
  std::stringstream ss;
  ss << in.rdbuf();
  auto m = ParseManifest(ss.str());
  if (!m) return MalformedError(path.string() + ": " + m.error().message());
  return m;
}

std::string RecordedPath(const fs::path& arg) {
  fs::path out;
  for (const auto& part : arg.lexically_normal()) {
    if (part == "/" || part == ".." || part == "." || part.empty()) continue;
    out /= part;
  }
  return out.generic_string();
}

}  // namespace blockhub::dedup
