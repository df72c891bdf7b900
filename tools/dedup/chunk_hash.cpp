// Chunk and file hashes: see chunk_hash.h.
#include "tools/dedup/chunk_hash.h"

#include <openssl/evp.h>
#include <xxhash.h>

#include <cstring>

#include "common/bytes.h"

namespace blockhub::dedup {

Result<HashKind> ParseHashKind(std::string_view name) {
  if (name == "xxh3") return HashKind::kXxh3;
  if (name == "sha256") return HashKind::kSha256;
  return InvalidArgumentError("--hash must be xxh3 or sha256, got '" + std::string(name) + "'");
}

std::string_view HashKindName(HashKind k) { return k == HashKind::kXxh3 ? "xxh3" : "sha256"; }

namespace {
std::string FromXxh(XXH128_hash_t h) {
  XXH128_canonical_t c;
  XXH128_canonicalFromHash(&c, h);
  return std::string(reinterpret_cast<const char*>(c.digest), 16);
}
}  // namespace

std::string Hash128(HashKind kind, std::span<const uint8_t> data) {
  StreamHasher h(kind);
  h.Update(data);
  return h.Finish();
}

std::string Hex(std::string_view bytes) { return ToHex(bytes); }

bool FromHex32(std::string_view hex, std::string& out) {
  if (hex.size() != 32) return false;
  out.assign(16, '\0');
  for (size_t i = 0; i < 32; ++i) {
    char c = hex[i];
    int v = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
    if (v < 0) return false;
    out[i / 2] = static_cast<char>(out[i / 2] | (i % 2 == 0 ? v << 4 : v));
  }
  return true;
}

struct StreamHasher::State {
  HashKind kind;
  XXH3_state_t* xxh = nullptr;
  EVP_MD_CTX* sha = nullptr;
  ~State() {
    if (xxh != nullptr) XXH3_freeState(xxh);
    if (sha != nullptr) EVP_MD_CTX_free(sha);
  }
};

StreamHasher::StreamHasher(HashKind kind) : s_(std::make_unique<State>()) {
  s_->kind = kind;
  if (kind == HashKind::kXxh3) {
    s_->xxh = XXH3_createState();
    XXH3_128bits_reset(s_->xxh);
  } else {
    s_->sha = EVP_MD_CTX_new();
    EVP_DigestInit_ex(s_->sha, EVP_sha256(), nullptr);
  }
}
StreamHasher::~StreamHasher() = default;
StreamHasher::StreamHasher(StreamHasher&&) noexcept = default;
StreamHasher& StreamHasher::operator=(StreamHasher&&) noexcept = default;

void StreamHasher::Update(std::span<const uint8_t> data) {
  if (data.empty()) return;
  if (s_->kind == HashKind::kXxh3) {
    XXH3_128bits_update(s_->xxh, data.data(), data.size());
  } else {
    EVP_DigestUpdate(s_->sha, data.data(), data.size());
  }
}

std::string StreamHasher::Finish() {
  if (s_->kind == HashKind::kXxh3) return FromXxh(XXH3_128bits_digest(s_->xxh));
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_DigestFinal_ex(s_->sha, md, &len);
  return std::string(reinterpret_cast<const char*>(md), 16);
}

}  // namespace blockhub::dedup
