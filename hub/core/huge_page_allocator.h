// HugePageAllocator: a std-style allocator for the catalog's big random-access arrays (the hash
// index). Allocations of 4 MiB or more are mmap'd and marked MADV_HUGEPAGE, so a lookup at random
// in a table of hundreds of MB costs a cache miss but rarely a TLB miss too (THP in `madvise`
// mode is the Debian default); they come zeroed and cost no memory until touched. Smaller
// allocations use (aligned) operator new. Stateless; thread-safe.
#pragma once

#include <sys/mman.h>

#include <cstddef>
#include <new>

namespace blockhub {

template <typename T>
class HugePageAllocator {
 public:
  using value_type = T;
  HugePageAllocator() = default;
  template <typename U>
  HugePageAllocator(const HugePageAllocator<U>&) {}  // NOLINT: rebinding is implicit

  T* allocate(size_t n) {
    const size_t bytes = n * sizeof(T);
    if (bytes < kHugeThreshold) return static_cast<T*>(::operator new(bytes, kAlign));
    void* p =
        mmap(nullptr, Rounded(bytes), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) throw std::bad_alloc();
    madvise(p, Rounded(bytes), MADV_HUGEPAGE);  // advisory: failure only loses the speed-up
    return static_cast<T*>(p);
  }
  void deallocate(T* p, size_t n) {
    const size_t bytes = n * sizeof(T);
    if (bytes < kHugeThreshold) {
      ::operator delete(p, kAlign);
    } else {
      munmap(p, Rounded(bytes));
    }
  }
  // True when allocate(n) returns zero-filled memory (the mmap'd sizes).
  static bool ReturnsZeroed(size_t n) { return n * sizeof(T) >= kHugeThreshold; }
  template <typename U>
  bool operator==(const HugePageAllocator<U>&) const {
    return true;
  }

 private:
  static constexpr std::align_val_t kAlign{alignof(T)};
  static constexpr size_t kHugeThreshold = size_t{4} << 20;
  static constexpr size_t kHugePage = size_t{2} << 20;
  static size_t Rounded(size_t bytes) { return (bytes + kHugePage - 1) & ~(kHugePage - 1); }
};

}  // namespace blockhub
