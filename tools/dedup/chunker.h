// Chunker: content-defined chunking (FastCDC-style gear rolling hash with normalized chunking)
// for blockhub-dedup. Owner: tools/dedup. Pure and stateless after construction: thread-safe,
// one instance may be shared by every worker thread.
//
// Parameters (ChunkerParams::FromAverage): the average size `avg` is a power of two; the minimum
// is avg/4 and the maximum avg*4. A chunk boundary is searched from `min` on: up to `avg` with a
// strict mask (log2(avg)+2 bits must be zero), after `avg` with a loose mask (log2(avg)-2 bits),
// and forced at `max`. The masks take the high bits of the 64-bit gear fingerprint (the bits that
// depend on the last 64 bytes). The gear table comes from SplitMix64 with a fixed seed, so the
// boundaries are identical on every machine and release (pinned by known-answer tests).
//
// Parallel chunking with the same boundaries: the gear fingerprint at position i, once 64 bytes
// past the point where the search started, depends only on data[i-63..i] (older bytes are shifted
// out). Scan() computes that window fingerprint for any range independently (so ranges of one file
// can be scanned by different threads) and keeps the positions where the loose mask is zero (the
// strict-mask positions are a subset, flagged). Cuts() then walks those candidates serially,
// evaluating the first 63 positions of each search directly: the result equals Split() exactly.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "common/status.h"

namespace blockhub::dedup {

struct ChunkerParams {
  size_t min = 16 * 1024;
  size_t avg = 64 * 1024;
  size_t max = 256 * 1024;
  // avg must be a power of two in [1 KiB, 16 MiB]; min = avg/4, max = avg*4.
  static Result<ChunkerParams> FromAverage(size_t avg);
};

class Chunker {
 public:
  explicit Chunker(ChunkerParams params);

  // Length of the chunk that starts at data[0]: in [1, max], or data.size() when that is shorter
  // than the cut found (the final chunk of a file). 0 only for empty data.
  size_t NextLength(std::span<const uint8_t> data) const;
  // Every chunk length of `data`, in order (sums to data.size(); empty for empty data).
  std::vector<size_t> Split(std::span<const uint8_t> data) const;

  // A position whose window fingerprint matches the loose mask (strict: the strict mask too).
  struct Candidate {
    uint64_t pos;
    bool strict;
  };
  // Candidates at positions [begin, end) of `data` (which is the whole file), in order.
  std::vector<Candidate> Scan(std::span<const uint8_t> data, size_t begin, size_t end) const;
  // Every chunk length of `data`, given the candidates of all of it (Scan ranges concatenated in
  // order); equal to Split(data).
  std::vector<size_t> Cuts(std::span<const uint8_t> data, std::span<const Candidate> cands) const;

  const ChunkerParams& params() const { return params_; }

 private:
  ChunkerParams params_;
  uint64_t mask_strict_ = 0;
  uint64_t mask_loose_ = 0;
};

}  // namespace blockhub::dedup
