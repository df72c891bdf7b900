// Deterministic pseudo-random numbers for load generators and tests (not for keys or secrets):
// Mix64, the splitmix64 finalizer (a bijective 64-bit mixer), and Rng, xoshiro256** seeded
// through splitmix64 — fast enough to fill a GiB of test data in well under a second.
// Plain value types; one owner each (no locks).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

namespace blockhub {

inline uint64_t Mix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

class Rng {
 public:
  explicit Rng(uint64_t seed) {
    for (uint64_t& s : s_) {
      seed += 0x9e3779b97f4a7c15ull;
      s = Mix64(seed);
    }
  }
  uint64_t Next() {
    const uint64_t result = Rotl(s_[1] * 5, 7) * 9;
    const uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = Rotl(s_[3], 45);
    return result;
  }
  uint64_t Below(uint64_t n) { return n == 0 ? 0 : Next() % n; }  // bias < n / 2^64
  double Unit() { return static_cast<double>(Next() >> 11) * 0x1.0p-53; }
  // `n` random bytes at `p`.
  void Fill(uint8_t* p, size_t n) {
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
      const uint64_t v = Next();
      std::memcpy(p + i, &v, 8);
    }
    if (i < n) {
      const uint64_t v = Next();
      std::memcpy(p + i, &v, n - i);
    }
  }

 private:
  static uint64_t Rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  uint64_t s_[4];
};

}  // namespace blockhub
