// Chunker implementation: see chunker.h.
#include "tools/dedup/chunker.h"

#include <array>
#include <bit>
#include <string>

namespace blockhub::dedup {
namespace {

constexpr std::array<uint64_t, 256> MakeGear() {
  std::array<uint64_t, 256> t{};
  uint64_t x = 0x626c6f636b687562ULL;  // "blockhub"
  for (auto& v : t) {
    x += 0x9e3779b97f4a7c15ULL;  // SplitMix64
    uint64_t z = x;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    v = z ^ (z >> 31);
  }
  return t;
}
constexpr std::array<uint64_t, 256> kGear = MakeGear();

constexpr uint64_t HighMask(int bits) { return bits <= 0 ? 0 : ~uint64_t{0} << (64 - bits); }

}  // namespace

Result<ChunkerParams> ChunkerParams::FromAverage(size_t avg) {
  if (avg < 1024 || avg > 16 * 1024 * 1024 || !std::has_single_bit(avg)) {
    return InvalidArgumentError("--chunk-avg must be a power of two between 1024 and 16777216, got " +
                                std::to_string(avg));
  }
  return ChunkerParams{avg / 4, avg, avg * 4};
}

Chunker::Chunker(ChunkerParams params) : params_(params) {
  int bits = std::countr_zero(params_.avg);
  mask_strict_ = HighMask(bits + 2);
  mask_loose_ = HighMask(bits - 2);
}

size_t Chunker::NextLength(std::span<const uint8_t> data) const {
  const size_t n = data.size();
  if (n <= params_.min) return n;
  const size_t normal = n < params_.avg ? n : params_.avg;
  const size_t limit = n < params_.max ? n : params_.max;
  uint64_t fp = 0;
  size_t i = params_.min;
  for (; i < normal; ++i) {
    fp = (fp << 1) + kGear[data[i]];
    if ((fp & mask_strict_) == 0) return i + 1;
  }
  for (; i < limit; ++i) {
    fp = (fp << 1) + kGear[data[i]];
    if ((fp & mask_loose_) == 0) return i + 1;
  }
  return limit;
}

std::vector<size_t> Chunker::Split(std::span<const uint8_t> data) const {
  std::vector<size_t> out;
  size_t off = 0;
  while (off < data.size()) {
    size_t len = NextLength(data.subspan(off));
    out.push_back(len);
    off += len;
  }
  return out;
}

}  // namespace blockhub::dedup
