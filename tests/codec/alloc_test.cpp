// Hostile counts must not make the decoder allocate: this binary replaces the global allocation
// functions with counting ones, and the test asserts on the largest single allocation made while
// decoding frames that announce 0xFFFFFFFF elements.
#include <doctest/doctest.h>

#include <atomic>
#include <cstdlib>
#include <new>

#include "codec/codec.h"
#include "tests/codec/codec_test_util.h"

namespace {
std::atomic<bool> g_tracking{false};
std::atomic<size_t> g_largest{0};
std::atomic<size_t> g_count{0};

void* CountedAlloc(size_t n) {
  if (g_tracking.load(std::memory_order_relaxed)) {
    g_count.fetch_add(1, std::memory_order_relaxed);
    size_t prev = g_largest.load(std::memory_order_relaxed);
    while (n > prev && !g_largest.compare_exchange_weak(prev, n)) {
    }
  }
  if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
  throw std::bad_alloc();
}
}  // namespace

void* operator new(size_t n) { return CountedAlloc(n); }
void* operator new[](size_t n) { return CountedAlloc(n); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, size_t) noexcept { std::free(p); }
void operator delete[](void* p, size_t) noexcept { std::free(p); }

namespace blockhub {
namespace {

using testing::Hex;

struct Tracked {
  size_t largest;
  size_t count;
};

template <typename F>
Tracked Track(F&& f) {
  g_largest = 0;
  g_count = 0;
  g_tracking = true;
  f();
  g_tracking = false;
  return {g_largest.load(), g_count.load()};
}

TEST_CASE("0xFFFFFFFF counts allocate nothing large") {
  DecodeLimits unlimited = testing::SampleLimits();
  unlimited.max_batch_keys = 0xFFFFFFFF;
  unlimited.key_format = KeyFormat::kBytes;
  unlimited.max_member_metadata_bytes = 65535;
  const std::string frames[] = {
      Hex("01 02 ff ff ff ff 08 00 01 00 00 00 00 00 00 00"),
      Hex("01 01 ff ff ff ff 01 00 6b 00 00 00 00"),
      Hex("02 0b 00 00 00 00 00 00 00 00 ff ff ff ff"),
      Hex("01 04 ff ff ff ff 00 01"),
      Hex("02 14 00 00 00 00 00 00 00 00 ff ff ff ff 01 00 6e"),
      // Announce metadata, Enumerate and Multicast filters, an EnumerateResponse.
      Hex("02 15 00 00 00 00 00 00 00 00 00 00 00 00 00 00 ff ff ff ff 01 00 6b 00 00"),
      Hex("02 15 00 00 00 00 00 00 00 00 00 00 00 00 00 00 ff ff 00 00 01 00 6b 00 00"),
      Hex("02 17 00 00 00 00 00 00 00 00 ff ff 00 00 01 00 6b 00"),
      Hex("02 19 00 00 00 00 00 00 00 00 ff ff ff ff 01 00 6b 00"),
      Hex("02 18 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 ff ff ff ff 00"),
  };
  for (const std::string& f : frames) {
    for (Channel ch : {Channel::kQuery, Channel::kRegistration}) {
      StatusCode code = StatusCode::kOk;
      Tracked t = Track([&] {
        auto r = DecodeRequest(f, unlimited, ch);
        if (!r) code = r.error().code();
        auto resp = DecodeResponse(f, unlimited);
        (void)resp;
      });
      CHECK(code != StatusCode::kOk);
      // Only error texts are allocated; nothing proportional to the announced count.
      CHECK(t.largest < 1024);
    }
  }
}

TEST_CASE("a valid decode reserves once per element vector") {
  std::string keys = Hex("01 02 40 00 00 00");  // 64 keys of 8 bytes
  for (int i = 0; i < 64; ++i) keys += Hex("08 00 01 02 03 04 05 06 07 08");
  DecodeLimits l = testing::SampleLimits();
  bool ok = false;
  Tracked t = Track([&] { ok = DecodeRequest(keys, l, Channel::kQuery).has_value(); });
  REQUIRE(ok);
  CHECK(t.count == 1);  // the key vector, reserved once; keys are views into the frame
  CHECK(t.largest == 64 * sizeof(std::string_view));
}

}  // namespace
}  // namespace blockhub
