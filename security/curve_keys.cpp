#include "security/curve_keys.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zmq.h>

#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>

namespace blockhub {
namespace {

std::string Trim(std::string_view s) {
  const size_t begin = s.find_first_not_of(" \t\r\n");
  if (begin == std::string_view::npos) return {};
  const size_t end = s.find_last_not_of(" \t\r\n");
  return std::string(s.substr(begin, end - begin + 1));
}

// Writes `text` to `path` with `mode` through a temporary file renamed into place, so the file
// never exists with a wider mode or half written.
Status WriteFileAtomically(const std::string& path, const std::string& text, mode_t mode) {
  const std::string tmp = path + ".tmp";
  ::unlink(tmp.c_str());
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
  if (fd < 0) return UnavailableError("cannot create " + tmp + ": " + std::strerror(errno));
  const bool written = ::fchmod(fd, mode) == 0 &&
                       ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) &&
                       ::fsync(fd) == 0;
  const int err = errno;
  ::close(fd);
  if (!written || ::rename(tmp.c_str(), path.c_str()) != 0) {
    const int e = written ? errno : err;
    ::unlink(tmp.c_str());
    return UnavailableError("cannot write " + path + ": " + std::strerror(e));
  }
  return Status::Ok();
}

}  // namespace

bool CurveAvailable() { return zmq_has("curve") != 0; }

Result<CurveKeyPair> GenerateCurveKeyPair() {
  std::array<char, kCurveKeyZ85Chars + 1> pub{};
  std::array<char, kCurveKeyZ85Chars + 1> sec{};
  if (!CurveAvailable() || zmq_curve_keypair(pub.data(), sec.data()) != 0) {
    return UnavailableError("this libzmq has no CURVE support (zmq_curve_keypair failed)");
  }
  return CurveKeyPair{std::string(pub.data()), std::string(sec.data())};
}

Status ValidateCurveKey(std::string_view z85, std::string_view what) {
  std::array<uint8_t, 32> raw{};
  const std::string text(z85);
  if (text.size() != kCurveKeyZ85Chars || zmq_z85_decode(raw.data(), text.c_str()) == nullptr) {
    return InvalidArgumentError(std::string(what) + ": not a CurveZMQ key (expected " +
                                std::to_string(kCurveKeyZ85Chars) + " Z85 characters, got '" +
                                text.substr(0, 60) + "')");
  }
  return Status::Ok();
}

Result<std::string> CurvePublicFromSecret(std::string_view secret_z85) {
  if (Status s = ValidateCurveKey(secret_z85, "secret key"); !s.ok()) return s;
  std::array<char, kCurveKeyZ85Chars + 1> pub{};
  const std::string secret(secret_z85);
  if (zmq_curve_public(pub.data(), secret.c_str()) != 0) {
    return UnavailableError("this libzmq has no CURVE support (zmq_curve_public failed)");
  }
  return std::string(pub.data());
}

Result<std::string> ReadCurveKeyFile(const std::string& path, std::string_view what) {
  std::ifstream in(path);
  if (!in) {
    return InvalidArgumentError(std::string(what) + ": cannot read " + path + ": " +
                                std::strerror(errno));
  }
  std::stringstream text;
  text << in.rdbuf();
  std::string key = Trim(text.str());
  if (Status s = ValidateCurveKey(key, std::string(what) + " " + path); !s.ok()) return s;
  return key;
}

Status WriteCurveKeyPair(const std::string& prefix, const CurveKeyPair& pair) {
  if (prefix.empty()) return InvalidArgumentError("--out: an empty prefix");
  if (Status s = WriteFileAtomically(prefix + ".key", pair.secret_z85 + "\n", 0600); !s.ok()) {
    return s;
  }
  return WriteFileAtomically(prefix + ".pub", pair.public_z85 + "\n", 0644);
}

}  // namespace blockhub
