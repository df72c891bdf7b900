// Chunker implementation: see chunker.h.
#include "tools/dedup/chunker.h"

#include <algorithm>
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
    return InvalidArgumentError(
        "--chunk-avg must be a power of two between 1024 and 16777216, got " + std::to_string(avg));
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

std::vector<Chunker::Candidate> Chunker::Scan(std::span<const uint8_t> data, size_t begin,
                                              size_t end) const {
  std::vector<Candidate> out;
  if (end > data.size()) end = data.size();
  if (begin >= end) return out;
  const uint8_t* d = data.data();
  const uint64_t loose = mask_loose_;
  const uint64_t strict = mask_strict_;
  // Four interleaved streams (independent dependency chains) over four equal parts of the range;
  // each part warms up on the 63 bytes before it, so its fingerprints are the window values.
  constexpr int kStreams = 4;
  const size_t len = end - begin;
  const size_t part = len / kStreams;
  std::vector<Candidate> found[kStreams];
  auto warm = [&](size_t start) {
    uint64_t fp = 0;
    for (size_t j = start >= 63 ? start - 63 : 0; j < start; ++j) fp = (fp << 1) + kGear[d[j]];
    return fp;
  };
  if (part > 0) {
    const uint8_t* p0 = d + begin;
    const uint8_t* p1 = p0 + part;
    const uint8_t* p2 = p1 + part;
    const uint8_t* p3 = p2 + part;
    uint64_t f0 = warm(begin), f1 = warm(begin + part), f2 = warm(begin + 2 * part),
             f3 = warm(begin + 3 * part);
    // Hits are rare (one in 2^(log2(avg)-2) positions): one well-predicted branch per step, the
    // hit path out of line.
    for (size_t i = 0; i < part; ++i) {
      f0 = (f0 << 1) + kGear[p0[i]];
      f1 = (f1 << 1) + kGear[p1[i]];
      f2 = (f2 << 1) + kGear[p2[i]];
      f3 = (f3 << 1) + kGear[p3[i]];
      if (((f0 & loose) == 0) | ((f1 & loose) == 0) | ((f2 & loose) == 0) | ((f3 & loose) == 0))
          [[unlikely]] {
        const uint64_t fs[kStreams] = {f0, f1, f2, f3};
        for (int k = 0; k < kStreams; ++k) {
          if ((fs[k] & loose) == 0) {
            found[k].push_back({begin + static_cast<size_t>(k) * part + i, (fs[k] & strict) == 0});
          }
        }
      }
    }
  }
  for (int k = 0; k < kStreams; ++k) out.insert(out.end(), found[k].begin(), found[k].end());
  // The remainder after the four parts.
  size_t pos = begin + kStreams * part;
  uint64_t fp = warm(pos);
  for (; pos < end; ++pos) {
    fp = (fp << 1) + kGear[d[pos]];
    if ((fp & loose) == 0) out.push_back({pos, (fp & strict) == 0});
  }
  return out;
}

std::vector<size_t> Chunker::Cuts(std::span<const uint8_t> data,
                                  std::span<const Candidate> cands) const {
  std::vector<size_t> out;
  const size_t size = data.size();
  size_t c = 0;  // first candidate not yet passed
  size_t s = 0;  // start of the current chunk
  while (s < size) {
    const size_t n = size - s;
    size_t len = n;
    if (n > params_.min) {
      const size_t normal = s + (n < params_.avg ? n : params_.avg);
      const size_t limit = s + (n < params_.max ? n : params_.max);
      // The first 63 positions of the search: the fingerprint still holds fewer than 64 bytes,
      // unlike the window values of Scan, so evaluate them as NextLength does.
      size_t i = s + params_.min;
      const size_t direct_end = std::min(limit, i + 63);
      uint64_t fp = 0;
      size_t cut = 0;
      for (; i < direct_end; ++i) {
        fp = (fp << 1) + kGear[data[i]];
        if ((fp & (i < normal ? mask_strict_ : mask_loose_)) == 0) {
          cut = i + 1;
          break;
        }
      }
      if (cut == 0) {
        while (c < cands.size() && cands[c].pos < direct_end) ++c;
        for (size_t k = c; k < cands.size() && cands[k].pos < limit; ++k) {
          if (cands[k].pos >= normal || cands[k].strict) {
            cut = static_cast<size_t>(cands[k].pos) + 1;
            break;
          }
        }
        if (cut == 0) cut = limit;
      }
      len = cut - s;
    }
    out.push_back(len);
    s += len;
  }
  return out;
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
